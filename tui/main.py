"""The ``tokentui`` console script: headless commands, or the app when no command is given.

Textual is imported only when the app starts, so headless commands stay fast.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.cli import main as cli_main

if TYPE_CHECKING:
    from tui.app import TokentuiApp
    from tui.state import Draft


def initial_draft(args: argparse.Namespace) -> Draft:
    """The app's first scenario: the article's setup, the local NVIDIA GPU if one is seen, then
    whatever the command line gave. Invalid choices raise InputError (exit 2 before the app)."""
    from engine import default_catalog
    from tui.detect import detect_local_gpu
    from tui.state import Draft

    catalog = default_catalog()
    draft = Draft()
    local = None if args.gpu else detect_local_gpu(catalog)
    if local is not None:
        draft = draft.with_value("gpu", local[0]).with_value("gpus", local[1])
    given = {
        "model": args.model,
        "gpu": args.gpu,
        "gpus": args.gpus,
        "tp": args.tp,
        "input_tokens": args.input_tokens,
        "output_tokens": args.output_tokens,
        "batch_sizes": args.batch,
        "mode": args.mode,
        "price_per_gpu_hour": args.price_per_gpu_hour,
        "gamma": args.gamma,
        "weight_dtype": args.weight_dtype,
        "kv_dtype": args.kv_dtype,
    }
    for name, value in given.items():
        if value is not None:
            draft = draft.with_value(name, value)
    draft.scenario(catalog)  # refuse a bad command line before the app starts
    return draft


def make_app(args: argparse.Namespace) -> TokentuiApp:
    """The app for the parsed command line (what ``tokentui`` with no command opens); with
    ``--preset`` it opens that preset, the options given beside it on top."""
    from engine import default_catalog
    from tui.app import TokentuiApp

    catalog = default_catalog()
    if getattr(args, "preset", None):
        from engine.cli import scenario_from_args
        from engine.presets import load_preset
        from tui.state import Draft

        preset = load_preset(args.preset, catalog)
        catalog.add_model(preset.scenario.model)  # a preset may carry its own model or GPU
        catalog.add_gpu(preset.scenario.gpu)
        scenario = scenario_from_args(args, catalog)
        return TokentuiApp(catalog, Draft.from_scenario(scenario), preset.chart, preset)
    return TokentuiApp(catalog, initial_draft(args))


def _launch(args: argparse.Namespace) -> int:
    make_app(args).run()
    return 0


def app_from_argv(argv: Sequence[str]) -> TokentuiApp:
    """Parse ``argv`` exactly as ``tokentui`` does and build the app without running it
    (the start-up benchmark measures the real path this way)."""
    apps: list[TokentuiApp] = []

    def capture(args: argparse.Namespace) -> int:
        apps.append(make_app(args))
        return 0

    cli_main(argv, launch_app=capture)
    return apps[0]


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, launch_app=_launch)


if __name__ == "__main__":
    raise SystemExit(main())
