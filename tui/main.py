"""The ``tokentui`` console script: headless commands, or the app when no command is given.

The app's options are ``estimate``'s, read by the same code (:mod:`engine.cli.scenario_args`) and
resolved by the same resolver before the app starts: a bad option is one line and exit code 2, a
good one takes effect in the app. Textual is imported only when the app starts, so headless commands
stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.cli.main import main as cli_main
from engine.cli.main import names_command
from tui import startup

if TYPE_CHECKING:
    from engine.scenario.inputs import ScenarioInput
    from engine.storage.catalog import Catalog
    from tui.app import TokentuiApp


def with_local_gpu(inp: ScenarioInput, catalog: Catalog) -> ScenarioInput:
    """``inp`` on the machine's NVIDIA GPUs, when it names no GPU and some are seen (and the
    model's heads split over that many; else over one)."""
    from engine.errors import InputError
    from engine.scenario.resolve import resolve
    from engine.storage.profiles import default_efficiency
    from tui.detect import detect_local_gpu

    if inp.gpu is not None:
        return inp
    local = detect_local_gpu(catalog)
    if local is None:
        return inp
    for count in (inp.gpus or local[1], 1):
        candidate = replace(inp, gpu=local[0], gpus=count)
        try:
            resolve(candidate, catalog, default_efficiency())
        except InputError:
            continue
        return candidate
    return inp


def make_app(args: argparse.Namespace) -> TokentuiApp:
    """The app for the parsed command line (what ``tokentui`` with no command opens); with
    ``--preset`` it opens that preset, the options given beside it on top. Raises InputError for
    options that do not make a scenario."""
    from engine.cli.scenario_args import from_args
    from engine.scenario.resolve import resolve
    from engine.storage.catalog import default_catalog
    from engine.storage.profiles import default_efficiency
    from tui.app import TokentuiApp
    from tui.state import Draft

    catalog = default_catalog()
    given = from_args(args, catalog)
    inp, scenario, preset = given.input, given.scenario, given.preset
    if preset is None:
        local = with_local_gpu(inp, catalog)
        if local is not inp:
            inp, scenario = local, resolve(local, catalog, default_efficiency())
    else:
        catalog.add_model(preset.scenario.model)  # a preset may carry its own model or GPU
        catalog.add_gpu(preset.scenario.gpu)
    draft = Draft.start(inp, scenario, default_efficiency())
    chart = preset.chart if preset else "throughput"
    return TokentuiApp(catalog, draft, default_efficiency(), chart, preset)


def _launch(args: argparse.Namespace) -> int:
    """Run the app; its exit code: 0 after a quit, Textual's non-zero one (1) after a crash (an
    exception nobody caught: Textual prints its traceback and sets ``return_code``)."""
    app = make_app(args)
    app.run()
    return app.return_code or 0


def app_from_argv(argv: Sequence[str]) -> TokentuiApp:
    """Parse ``argv`` exactly as ``tokentui`` does and build the app without running it
    (the start-up benchmark and the tests take the real path this way)."""
    apps: list[TokentuiApp] = []

    def capture(args: argparse.Namespace) -> int:
        apps.append(make_app(args))
        return 0

    cli_main(argv, launch_app=capture)
    return apps[0]


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if names_command(words) or "--version" in words:  # no app to start
        startup.release()  # held by the console script (tui.launch) for the app's start only
    try:
        return cli_main(words, launch_app=_launch)
    finally:
        startup.release()


if __name__ == "__main__":
    raise SystemExit(main())
