"""The Bench screen: opened by key and from the palette, a run against the in-process fake server
(levels, table, charts, analysis), Stop keeping the finished levels, bad input refused at the
field, an unreachable server as one notification, the run saved as a file the measured-results
reader reads, and a calibration saved as a profile that the scenario then uses."""

from __future__ import annotations

from pathlib import Path

from bench_fakes import FakeServer
from support import app_from_args, dialog_open, until
from textual.widgets import DataTable, Input, Static

from engine.measure.detect import load_measurement
from engine.storage.profiles import profiles_dir
from tui.app import TokentuiApp
from tui.charts.bench import BenchLatencyChart, BenchThroughputChart
from tui.dialogs import NameDialog
from tui.screens.bench import BenchScreen
from tui.screens.main import MainScreen

SMALL = ("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1")
SIZE = (120, 40)


def make_app() -> TokentuiApp:
    app: TokentuiApp = app_from_args(*SMALL)
    return app


def bench_of(app: TokentuiApp) -> BenchScreen:
    screen = app.screen
    assert isinstance(screen, BenchScreen)
    return screen


async def open_bench(pilot, app: TokentuiApp) -> BenchScreen:  # type: ignore[no-untyped-def]
    app.main.query_one("#charts").focus()
    await pilot.press("b")
    await until(pilot, lambda: isinstance(app.screen, BenchScreen))
    await pilot.pause()
    return bench_of(app)


def fill(screen: BenchScreen, **values: str) -> None:
    for name, text in values.items():
        screen.field(name).input.value = text


def text_of(screen: BenchScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def error_at(screen: BenchScreen, name: str) -> str:
    return str(screen.field(name).query_one(".error", Static).render())


async def test_open_by_key_and_from_the_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bench(pilot, app)
        predicted = text_of(screen, "#bench-predicted")
        assert "predicted" in predicted
        assert "llama-3.1-8b on 1 x h100-sxm, engine vllm-v0" in predicted
        # before any run, the charts already draw the prediction of the planned levels
        assert screen.query_one(BenchThroughputChart).has_series() == (False, True)
        # 10^6 prompt tokens: 131 GB of KV cache (2 x 32 layers x 8 heads x 128 x 2 bytes a
        # token), more than the 80 GB of one H100
        fill(screen, input="1000000")
        await pilot.pause()
        assert "none at C=1, C=8, C=32, C=128" in text_of(screen, "#bench-predicted")
        assert screen.query_one(BenchThroughputChart).has_series() == (False, False)
        await pilot.press("escape")  # idle: back to the scenario
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"bench: Measure")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BenchScreen))
        assert app.screen is screen  # the same screen, kept with its form and run


async def test_a_run_fills_the_table_charts_and_analysis_then_saves_and_calibrates(
    tmp_path: Path, home: Path
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bench(pilot, app)
        fake = FakeServer(ttft=0.01, step=0.002, share=0.2)
        screen.bench_transport = fake.transport()
        fill(screen, url="http://fake:8000", concurrency="1,2,4", output="8", input="16")
        fill(screen, requests="6")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not screen.running)
        run = screen.run
        assert run is not None and run.stopped is None
        assert [s["concurrency"] for s in run.summaries] == [1, 2, 4]
        assert all(s["requests"] == 6 for s in run.summaries)
        assert fake.max_active == 4
        await pilot.pause()

        table = screen.query_one(DataTable)
        assert table.row_count == 3
        assert [str(table.get_row_at(i)[0]).strip() for i in range(3)] == ["C=1", "C=2", "C=4"]
        for chart in (screen.query_one(BenchLatencyChart), screen.query_one(BenchThroughputChart)):
            assert chart.has_series() == (True, True)
        analysis = text_of(screen, "#bench-analysis")
        assert "Throughput from C=1" in analysis
        assert "The prediction says decode is" in analysis
        assert "done: 3 levels" in text_of(screen, "#bench-progress")
        # the fake server says it is llama.cpp (owned_by), the scenario predicts vLLM
        assert "the server is llamacpp" in text_of(screen, "#bench-predicted")
        assert not app._notifications  # a good run says nothing in a toast

        # save: a file the measured-results reader reads, the levels as serving points
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        path = tmp_path / "run.json"
        app.screen.query_one("#name-input", Input).value = str(path)
        await pilot.press("enter")
        await until(pilot, path.exists)
        meas = load_measurement(path)
        assert meas.kind == "serving"
        assert [p.concurrency for p in meas.points] == [1, 2, 4]

        # calibrate: a bad name is refused at the field, a good one saves a profile in use
        await until(pilot, lambda: isinstance(app.screen, BenchScreen))
        await pilot.press("ctrl+f")
        await until(pilot, lambda: dialog_open(app, NameDialog), timeout=30)
        dialog = app.screen
        assert "MAPE" in str(dialog.query_one(".hint", Static).render())
        dialog.query_one("#name-input", Input).value = "no good/name"
        await pilot.press("enter")
        await pilot.pause()
        assert str(dialog.query_one("#name-reason", Static).render())
        assert app.screen is dialog
        dialog.query_one("#name-input", Input).value = "from-bench"
        await pilot.press("enter")
        profile = profiles_dir() / "from-bench.toml"
        await until(pilot, profile.exists)
        assert profile.is_relative_to(home)
        await until(pilot, lambda: app.main.draft.profile == "from-bench")
        assert "fit" in profile.read_text()


async def test_stop_keeps_the_finished_levels() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bench(pilot, app)
        screen.bench_transport = FakeServer(ttft=0.01, step=0.004, share=0.1).transport()
        fill(screen, concurrency="1,2,4,8", output="64", input="16", requests="6")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: screen.run is not None and len(screen.run.summaries) >= 1)
        await pilot.press("escape")  # running: Escape stops
        await until(pilot, lambda: not screen.running)
        run = screen.run
        assert run is not None and run.stopped == "stopped by the user"
        assert 1 <= len([s for s in run.summaries if not s.get("partial")]) < 4
        assert run.summaries[0]["concurrency"] == 1 and not run.summaries[0].get("partial")
        assert "stopped" in text_of(screen, "#bench-progress")
        assert screen.query_one(DataTable).row_count == len(run.summaries)
        assert not app._notifications  # the user's own stop needs no toast
        assert app.is_running and isinstance(app.screen, BenchScreen)
        await pilot.press("escape")  # idle again: back
        await until(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_bad_levels_are_refused_at_the_field() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bench(pilot, app)
        fake = FakeServer()
        screen.bench_transport = fake.transport()
        fill(screen, concurrency="0,x")
        await pilot.pause()
        assert "concurrency" in error_at(screen, "concurrency")
        await pilot.press("ctrl+r")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not screen.running and screen.run is None
        assert fake.paths == []  # nothing was sent
        assert "concurrency" in error_at(screen, "concurrency")
        assert app.focused is screen.field("concurrency").input
        assert not app._notifications  # the reason is at the field, not in toasts
        assert app.is_running


async def test_an_unreachable_server_is_one_notification() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_bench(pilot, app)
        fill(screen, url="http://127.0.0.1:9", concurrency="1", output="4", input="4")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await until(pilot, lambda: not screen.running)
        await pilot.pause()
        notes = list(app._notifications)
        assert len(notes) == 1
        assert notes[0].severity == "error" and "127.0.0.1:9" in notes[0].message
        assert screen.run is None
        assert "not measured" in text_of(screen, "#bench-progress")
        assert app.is_running and isinstance(app.screen, BenchScreen)
