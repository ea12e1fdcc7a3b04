"""The ``tokentui`` console script: headless commands, or the app when no command is given.

Textual is imported only when the app starts, so headless commands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from engine.cli import main as cli_main


def _launch(args: argparse.Namespace) -> int:
    print(
        "tokentui: the interactive app is not built yet; use 'tokentui estimate' (see --help)",
        file=sys.stderr,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, launch_app=_launch)


if __name__ == "__main__":
    raise SystemExit(main())
