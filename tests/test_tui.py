"""The app driven with keys through Textual's Pilot: what the summary and charts show after
changing model, GPUs, tokens and mode; refused input; help; resizing."""

from __future__ import annotations

import argparse
import types

import pytest
from textual.widgets import Input

from engine import default_catalog
from engine.catalog import gpu_id_for_device
from tui.app import TokentuiApp
from tui.charts import Chart
from tui.detect import detect_local_gpu
from tui.help import HelpScreen
from tui.main import initial_draft
from tui.main_screen import MainScreen
from tui.panes.summary import Summary
from tui.state import Draft


def make_app(**changes: object) -> TokentuiApp:
    draft = Draft()
    for name, value in changes.items():
        draft = draft.with_value(name, value)
    return TokentuiApp(default_catalog(), draft)


def summary(app: TokentuiApp) -> str:
    return str(app.main.query_one(Summary).render())


async def set_field(pilot, app: TokentuiApp, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    field_input = app.main.field(name).input
    field_input.focus()
    await pilot.pause()
    field_input.value = ""
    await pilot.press(*list(text))
    await pilot.pause()


async def test_starts_with_the_article_setup() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        s = app.main.dashboard.scenario
        assert (s.model.id, s.gpu.id, s.gpus, s.input_tokens, s.output_tokens) == (
            "llama-3.3-70b",
            "h100-sxm",
            4,
            2035,
            300,
        )
        text = summary(app)
        assert "batch 16" in text and "TTFT" in text and "$" in text
        assert "fits 211 seqs" in text  # the memory plan's largest batch
        assert app.main.visible_chart().draws >= 1


async def test_changing_the_model_recomputes() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        before = screen.visible_chart().draws
        screen.query_one("#model-filter", Input).focus()
        await pilot.press(*"3.1 8b", "enter")
        await pilot.pause()
        d = screen.dashboard
        assert d.scenario.model.id == "llama-3.1-8b"
        assert d.params == 8_030_261_248
        assert "fits" in summary(app)
        assert screen.visible_chart().draws > before


async def test_gpu_count_tokens_and_mode() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        await set_field(pilot, app, "gpus", "8")
        assert screen.dashboard.scenario.gpus == 8 and screen.dashboard.scenario.tp == 8
        await set_field(pilot, app, "input_tokens", "16000")
        assert screen.dashboard.scenario.input_tokens == 16000
        ttft_long = float(screen.dashboard.run.ttft_s[0])
        await set_field(pilot, app, "input_tokens", "1000")
        assert float(screen.dashboard.run.ttft_s[0]) < ttft_long
        screen.query_one("#charts").focus()
        await pilot.press("escape", "m")
        await pilot.pause()
        assert screen.dashboard.scenario.mode == "ideal"
        assert "ideal" in summary(app)
        await pilot.press("m")
        await pilot.pause()
        assert screen.dashboard.scenario.mode == "realistic"


async def test_invalid_input_is_refused_at_the_field() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        await set_field(pilot, app, "input_tokens", "12x")
        error = screen.field("input_tokens").query_one(".error")
        assert "whole number" in str(error.render())
        # Each keystroke that leaves a valid value applies it ("1", "12"); "12x" does not.
        assert screen.dashboard.scenario.input_tokens == 12
        before = screen.dashboard
        await set_field(pilot, app, "gpus", "0")
        assert "from 1" in str(screen.field("gpus").query_one(".error").render())
        assert screen.dashboard is before


async def test_an_impossible_combination_is_notified_and_kept_out() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        await set_field(pilot, app, "gpus", "3")  # TP 3 does not divide 64 heads
        assert screen.dashboard.scenario.gpus == 4
        assert any("does not divide" in n.message for n in app._notifications)
        await set_field(pilot, app, "gpus", "2")  # fixing it applies
        assert screen.dashboard.scenario.gpus == 2


async def test_not_fitting_says_so() -> None:
    app = make_app(model="llama-3.1-405b", gpus=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert "DOES NOT FIT" in summary(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_chart_draws_at_small_and_large_sizes(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        screen = app.main
        for key, chart in zip(
            "123456",
            ("throughput", "bottlenecks", "cost", "context", "boundness", "roofline"),
            strict=True,
        ):
            screen.query_one("#charts").focus()
            await pilot.press(key)
            await pilot.pause()
            assert screen.chart == chart
            widget = screen.visible_chart()
            assert widget.draws >= 1
            assert widget.size.width > 20 and widget.size.height > 5
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        await pilot.resize_terminal(200, 60)
        await pilot.pause()


async def test_batch_keys_move_the_summary() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        screen.query_one("#charts").focus()
        assert screen.dashboard.batch == 16
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.dashboard.batch == 32
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert screen.dashboard.batch == 8
        assert "batch 8" in summary(app)


async def test_help_and_theme() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        theme = app.theme
        await pilot.press("d")
        assert app.theme != theme


def test_gpu_names_from_the_driver() -> None:
    gib = 1024**3
    assert gpu_id_for_device("NVIDIA H100 80GB HBM3", 80 * gib) == "h100-sxm"
    assert gpu_id_for_device("NVIDIA H100 PCIe", 80 * gib) == "h100-pcie"
    assert gpu_id_for_device("NVIDIA A100-SXM4-40GB", 40 * gib) == "a100-40gb"
    assert gpu_id_for_device("NVIDIA A100-SXM4-80GB", 80 * gib) == "a100-80gb"
    assert gpu_id_for_device("NVIDIA GeForce RTX 4090", 24 * gib) == "rtx-4090"
    assert gpu_id_for_device("Tesla T4", 16 * gib) is None


def fake_nvml(name: str, count: int, fail: bool = False) -> types.SimpleNamespace:
    def init() -> None:
        if fail:
            raise RuntimeError("NVML Shared Library Not Found")

    return types.SimpleNamespace(
        nvmlInit=init,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetCount=lambda: count,
        nvmlDeviceGetHandleByIndex=lambda i: i,
        nvmlDeviceGetName=lambda h: name.encode(),
        nvmlDeviceGetMemoryInfo=lambda h: types.SimpleNamespace(total=80 * 1024**3),
    )


def test_local_gpu_is_preselected_when_nvml_sees_one() -> None:
    cat = default_catalog()
    assert detect_local_gpu(cat, fake_nvml("NVIDIA H100 80GB HBM3", 8)) == ("h100-sxm", 8)
    assert detect_local_gpu(cat, fake_nvml("NVIDIA H100 80GB HBM3", 8, fail=True)) is None
    assert detect_local_gpu(cat, fake_nvml("Tesla T4", 1)) is None


def test_command_line_opens_the_app_with_those_choices() -> None:
    from engine.cli import add_scenario_args

    parser = argparse.ArgumentParser()
    add_scenario_args(parser, defaults=False)
    args = parser.parse_args(
        ["--model", "llama-3.1-8b", "--gpu", "rtx-4090", "--gpus", "2", "--input-tokens", "512"]
    )
    draft = initial_draft(args)
    assert isinstance(draft, Draft)
    assert (draft.model, draft.gpu, draft.gpus, draft.input_tokens) == (
        "llama-3.1-8b",
        "rtx-4090",
        2,
        512,
    )


def test_bad_command_line_exits_2_before_the_app() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "tui.main", "--gpus", "3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert "does not divide" in out.stderr


def test_all_charts_are_chart_widgets() -> None:
    from tui.charts import CHART_CLASSES
    from tui.state import CHART_IDS

    assert set(CHART_CLASSES) == set(CHART_IDS)
    assert all(issubclass(c, Chart) for c in CHART_CLASSES.values())
