"""The app driven with keys through Textual's Pilot: what the summary and charts show after
changing model, GPUs, tokens and mode; refused input; help; resizing."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
from support import app_from_args, set_field
from textual.widgets import Input

from engine.storage.catalog import default_catalog, match_gpu_name
from tui.app import TokentuiApp
from tui.charts import Chart
from tui.detect import detect_local_gpu
from tui.help import HelpScreen
from tui.panes.summary import SummaryStrip
from tui.screens.main import MainScreen


def make_app(*args: str) -> TokentuiApp:
    """The app as ``tokentui ARGS`` opens it."""
    app: TokentuiApp = app_from_args(*args)
    return app


def summary(app: TokentuiApp) -> str:
    return str(app.main.query_one(SummaryStrip).render())


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


async def test_pipeline_and_expert_fields() -> None:
    app = make_app("--model", "llama-2-7b", "--gpu", "rtx-3090", "--gpus", "6", "--tp", "1")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        one_gpu_replicas = float(screen.dashboard.run.tpot_s[0])
        await set_field(pilot, app, "pp", "6")
        s = screen.dashboard.scenario
        assert (s.tp, s.pp, s.replicas) == (1, 6, 1)
        assert "TP 1 x PP 6" in str(screen.query_one("#gpu-facts").render())
        # batch 1 through six stages in a row: slower than one GPU (the hops)
        assert float(screen.dashboard.run.tpot_s[0]) > one_gpu_replicas
        await set_field(pilot, app, "ep", "2")  # a dense model has no experts to spread
        assert screen.dashboard.scenario.ep == 1
    app = make_app("--model", "mixtral-8x7b", "--gpu", "h100-sxm", "--gpus", "2", "--tp", "1")
    async with app.run_test(size=(120, 40)) as pilot:
        await set_field(pilot, app, "ep", "2")
        s = app.main.dashboard.scenario
        assert (s.model.id, s.tp, s.pp, s.ep) == ("mixtral-8x7b", 1, 1, 2)
        assert "EP 2" in str(app.main.query_one("#gpu-facts").render())


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
    app = make_app("--model", "llama-3.1-405b", "--gpus", "1")
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
    """One matcher for the driver's names (NVML) and the names results files record."""
    gib, ids = 1024**3, default_catalog().gpus
    assert match_gpu_name("NVIDIA H100 80GB HBM3", ids, 80 * gib) == "h100-sxm"
    assert match_gpu_name("NVIDIA H100 PCIe", ids, 80 * gib) == "h100-pcie"
    assert match_gpu_name("NVIDIA A100-SXM4-40GB", ids, 40 * gib) == "a100-40gb"
    assert match_gpu_name("NVIDIA A100-SXM4-80GB", ids, 80 * gib) == "a100-80gb"
    assert match_gpu_name("NVIDIA A100", ids, 80 * gib) == "a100-80gb"  # told by its memory
    assert match_gpu_name("NVIDIA A100", ids, 40 * gib) == "a100-40gb"
    assert match_gpu_name("NVIDIA GeForce RTX 4090", ids, 24 * gib) == "rtx-4090"
    assert match_gpu_name("NVIDIA H200", ids, 141 * gib) == "h200"
    assert match_gpu_name("AMD Instinct MI300X", ids, 192 * gib) == "mi300x"
    assert match_gpu_name("Tesla T4", ids, 16 * gib) is None


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


def test_a_local_gpu_count_the_model_cannot_split_falls_back_to_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three H100s seen: TP 3 does not divide Llama 3.3 70B's 64 heads, so the app opens on one
    of them (it exited with an error before), and on all eight when they split."""
    import tui.detect

    monkeypatch.setattr(tui.detect, "detect_local_gpu", lambda catalog: ("h100-sxm", 3))
    draft = make_app().initial[0]
    assert (draft.input.gpu, draft.input.gpus) == ("h100-sxm", 1)
    monkeypatch.setattr(tui.detect, "detect_local_gpu", lambda catalog: ("h200", 8))
    assert make_app().initial[0].input.gpus == 8
    assert make_app("--gpu", "b200").initial[0].input.gpu == "b200"  # a choice beats the machine


def test_command_line_opens_the_app_with_those_choices() -> None:
    app = make_app(
        "--model", "llama-3.1-8b", "--gpu", "rtx-4090", "--gpus", "2", "--input-tokens", "512"
    )
    draft = app.initial[0]
    assert (draft.input.model, draft.input.gpu, draft.input.gpus) == ("llama-3.1-8b", "rtx-4090", 2)
    assert draft.input.input_tokens == 512


async def test_every_option_takes_effect_in_the_app(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The app reads estimate's options through the same path (they were ignored before:
    --profile, --max-num-seqs and the factor flags)."""
    from engine.physics.deployment import Efficiency
    from engine.storage.profiles import save_profile

    save_profile(Efficiency(compute=0.4, memory=0.8, step_overhead_s=2e-3), "mine")
    app = make_app("--profile", "mine", "--max-num-seqs", "64", "--seq-overhead-us", "100")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        s = app.main.dashboard.scenario
        assert s.engine.max_num_seqs == 64
        assert (s.efficiency.compute, s.efficiency.memory) == (0.4, 0.8)
        assert s.efficiency.step_overhead_s == pytest.approx(2e-3)
        assert s.efficiency.seq_overhead_s == pytest.approx(100e-6)
        assert app.main.field("seq_overhead_us").input.value == "100"
        assert app.main.field("compute_efficiency").input.value == "0.4"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gpus", "3"], "does not divide"),
        (["--profile", "no-such-profile"], "unknown profile 'no-such-profile'"),
        (["--max-num-seqs", "0"], "--max-num-seqs must be from 1"),
        (["--compute-efficiency", "2"], "--compute-efficiency must be in (0, 1]"),
        (["--mode", "ideal", "--profile", "default"], "does not apply in ideal mode"),
        (["--preset", "nope"], "unknown preset 'nope'"),
    ],
)
def test_bad_command_line_exits_2_before_the_app(args: list[str], message: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui.main", *args], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]
    assert message in out.stderr and "Traceback" not in out.stderr


def test_all_charts_are_chart_widgets() -> None:
    """Every chart a preset may name has a tab: the article's six on keys 1-6, and the serving
    charts after the Measured table on 8 and 9; one chart widget each, with a label."""
    from engine.storage.preset_format import CHARTS
    from tui.charts import CHART_CLASSES, CHART_KEYS, CHART_TABS, SERVING_TABS

    article = [c for c in CHARTS if c not in ("serving", "latency")]
    assert article == [c for c, _ in CHART_TABS] and len(article) == 6
    assert [c for c, _ in SERVING_TABS] == ["serving", "latency"]
    assert list(CHART_CLASSES) == list(CHARTS)
    assert [(k, c) for k, c, _ in CHART_KEYS] == [
        *((str(n), c) for n, c in enumerate(article, start=1)),
        ("8", "serving"),
        ("9", "latency"),
    ]
    assert all(issubclass(c, Chart) and c.LABEL for c in CHART_CLASSES.values())
