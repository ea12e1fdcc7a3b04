"""The headless command line: ``tokentui estimate | plan | models | gpus | engines | presets |
compare | calibrate | bench``; with no command, the parsed scenario options go to the app
(``launch_app``).

Bad input never shows a traceback: one line on stderr that says what is wrong and what is
accepted (for a mistyped command or flag, the one it was most likely meant to be), and exit code
2. Each command lives in its own module and registers itself here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from engine import __version__
from engine.cli import scenario_args
from engine.cli.base import PROG, ArgumentParser, fail, say
from engine.errors import InputError

#: The headless commands; any other command line opens the app.
COMMANDS = (
    "estimate",
    "plan",
    "models",
    "gpus",
    "engines",
    "presets",
    "compare",
    "calibrate",
    "bench",
)


def build_parser(commands: bool = True) -> ArgumentParser:
    """The whole command line; ``commands=False`` leaves the subcommands out (opening the app
    needs none of them, and registering them imports the measurement modules)."""
    parser = ArgumentParser(
        prog=PROG,
        description="What LLM inference costs and why. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    if not commands:
        return parser
    from engine.cli import bench, calibrate, catalog, compare, estimate, plan, presets

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)
    estimate.register(sub)
    plan.register(sub)
    catalog.register(sub, ArgumentParser)
    presets.register(sub, ArgumentParser)
    compare.register(sub)
    calibrate.register(sub)
    bench.register(sub)
    return parser


def names_command(words: Sequence[str]) -> bool:
    """Whether a command line names a headless command (or asks for the help)."""
    return any(w in COMMANDS or w in ("-h", "--help") for w in words)


def main(
    argv: Sequence[str] | None = None, launch_app: Callable[[argparse.Namespace], int] | None = None
) -> int:
    """Run a headless command; with none, hand the parsed options to ``launch_app``."""
    words = list(sys.argv[1:] if argv is None else argv)
    wants_commands = launch_app is None or names_command(words)
    parser = build_parser(commands=wants_commands)
    if launch_app is not None:
        scenario_args.add_args(parser)
    args = parser.parse_strictly(words, COMMANDS)
    try:
        if getattr(args, "command", None):
            return int(args.func(args))
        if launch_app is None:
            parser.print_help()
            return 0
        return launch_app(args)
    except InputError as exc:
        fail(str(exc))
    except BrokenPipeError:  # e.g. `tokentui models | head`
        return 0
    except OSError as exc:  # the file system refused (no permission on the user folder ...)
        fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc))
    except KeyboardInterrupt:  # Ctrl+C in a long command (calibrate): one line, no traceback
        say(f"{PROG}: interrupted", file=sys.stderr)
        return 130
