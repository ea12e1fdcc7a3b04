"""Helpers for the tests: scenarios built through the one resolver (as every front-end builds
them), the static batch of a scenario, the test data, and fixed factors for the app's pictures."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.physics.deployment import Efficiency, EngineSettings
from engine.physics.specs import GPUSpec, ModelSpec
from engine.physics.static_batch import StaticBatchRun
from engine.physics.static_batch import run as physics_run
from engine.scenario import Scenario, ScenarioInput, resolve
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency

DATA = Path(__file__).parent / "data"
BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

#: Fixed realistic factors for the app's pictures (snapshots), so that a refit of the built-in
#: profile does not change them: round numbers near the fitted ones.
SNAPSHOT_PROFILE = Efficiency(
    compute=0.5,
    memory=0.9,
    attention=0.9,
    attention_token_s=0.5e-9,
    attention_items=20.0,
    attention_floor=0.45,
    step_overhead_s=1.7e-3,
    seq_overhead_s=65e-6,
    collective_latency_s=18e-6,
    eager_layer_s=33e-6,
)


def make_scenario(
    model: ModelSpec | str,
    gpu: GPUSpec | str,
    *,
    efficiency: Efficiency | None = None,
    engine_settings: EngineSettings | None = None,
    batch_sizes: tuple[int, ...] | list[int] | None = None,
    **fields: Any,
) -> Scenario:
    """A scenario through the resolver: ``fields`` are :class:`ScenarioInput`'s; ``efficiency``
    is the realistic profile to start from; ``engine_settings`` the engine settings in full
    (``engine`` is the engine profile's name)."""
    settings = {
        **(asdict(engine_settings) if engine_settings else {}),
        **fields.pop("settings", {}),
    }
    inp = ScenarioInput(
        model=model,
        gpu=gpu,
        profile=efficiency,
        settings=settings,
        batch_sizes=None if batch_sizes is None else tuple(batch_sizes),
        **fields,
    )
    return resolve(inp, default_catalog(), default_efficiency())


def run(
    s: Scenario,
    batch: npt.ArrayLike | None = None,
    input_tokens: npt.ArrayLike | None = None,
    output_tokens: npt.ArrayLike | None = None,
) -> StaticBatchRun:
    """The static batch of ``s``, at its own batch sizes and lengths unless others are given."""
    sizes = s.workload.values() if batch is None else batch
    return physics_run(
        s,
        np.asarray(sizes, dtype=np.float64),
        s.input_tokens if input_tokens is None else input_tokens,
        s.output_tokens if output_tokens is None else output_tokens,
    )


def app_from_args(*args: str) -> Any:
    """The app exactly as ``tokentui ARGS`` builds it (not started)."""
    from tui.main import app_from_argv

    return app_from_argv(list(args))


def pinned_app(**inputs: Any) -> Any:
    """The app on ``inputs`` (ScenarioInput's fields), with the fixed factors of the snapshots in
    place of the fitted profile: its pictures do not change when the profile is refitted."""
    from tui.app import TokentuiApp
    from tui.state import Draft

    inp = ScenarioInput(**inputs)
    catalog = default_catalog()
    scenario = resolve(inp, catalog, SNAPSHOT_PROFILE)
    return TokentuiApp(catalog, Draft.start(inp, scenario, SNAPSHOT_PROFILE), SNAPSHOT_PROFILE)


def run_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``tokentui ARGS`` in a subprocess with ``home`` as its TOKENTUI_HOME."""
    env = {**os.environ, "TOKENTUI_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "tui.main", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


async def type_into(pilot: Any, widget: Any, text: str) -> None:
    """Empty the text field ``widget`` and type ``text`` into it, key by key (a Pilot test)."""
    widget.focus()
    await pilot.pause()
    widget.value = ""
    await pilot.press(*list(text))
    await pilot.pause()


async def set_field(pilot: Any, app: Any, name: str, text: str) -> None:
    """Type ``text`` into the main screen's field ``name``."""
    await type_into(pilot, app.main.field(name).input, text)


async def until(pilot: Any, condition: Any, timeout: float = 20.0) -> None:
    """Let the app run until ``condition()`` holds (a worker's run is async work, not a frame)."""
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, "timed out"
        await pilot.pause(0.05)


async def show_chart(pilot: Any, app: Any, key: str) -> Any:
    """Press the chart key ``key`` from the chart tabs and return the chart, built at its size
    (every line rendered once, as the screen would)."""
    app.main.query_one("#charts").focus()
    await pilot.press(key)
    await pilot.pause()
    chart = app.main.visible_chart()
    for y in range(chart.size.height):
        chart.render_line(y)
    return chart


def key_event(app: Any, key: str) -> Any:
    """The event a terminal makes of ``key``, with its character (as a Pilot's press makes it)."""
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _get_unicode_name_from_key

    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    return event


def send_at_once(app: Any, *keys: str) -> None:
    """Keys as a terminal sends them: one after the other, not waiting for the app to handle
    each (a Pilot's press waits, which hides races); ``await pilot.pause()`` lets them run."""
    for key in keys:
        app._driver.send_message(key_event(app, key))


def dialog_open(app: Any, kind: type) -> bool:
    """Whether the screen on top is a ``kind`` dialog with its widgets composed (a dialog is on
    the stack before its compose has run: a query at once can find nothing)."""
    screen = app.screen
    return isinstance(screen, kind) and bool(screen.query("Input"))
