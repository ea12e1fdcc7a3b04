"""Serving loads in the app: the load selector and the axis field of each kind, bad axis values
refused at the field as the command line refuses them, [ and ] on a serving axis (named after it),
the engine selector, the summary of a serving point, and the Serving and Latency charts."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from support import app_from_args
from textual.widgets import Input

from engine.cli.main import main as cli_main
from engine.physics import serving
from engine.physics.deployment import EngineSettings
from engine.scenario import ScenarioInput, resolve
from engine.scenario.workload import (
    DEFAULT_BATCHES,
    DEFAULT_CONCURRENCY,
    DEFAULT_RATES,
    DEFAULT_REQUESTS,
)
from engine.storage.catalog import default_catalog
from engine.storage.presets import user_presets_dir
from engine.storage.profiles import default_efficiency
from engine.views.format import human_seconds
from tui.app import TokentuiApp
from tui.charts import Chart
from tui.panes.summary import SummaryStrip
from tui.widgets import Choice, Field

SMALL = ("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1")
AXES = ("batch_sizes", "concurrency", "rates", "num_requests")


def make_app(*args: str) -> TokentuiApp:
    app: TokentuiApp = app_from_args(*args)
    return app


def summary(app: TokentuiApp) -> str:
    return str(app.main.query_one(SummaryStrip).render())


def shown_axes(app: TokentuiApp) -> set[str]:
    return {f.field_name for f in app.main.query(Field) if f.field_name in AXES and f.display}


async def choose(pilot, app: TokentuiApp, choice: str, value: str) -> None:  # type: ignore[no-untyped-def]
    """Step the Choice ``choice`` with the Right key until it shows ``value``."""
    widget = app.main.query_one(f"#{choice}", Choice)
    widget.focus()
    await pilot.pause()
    for _ in range(len(widget.options)):
        if widget.value == value:
            return
        await pilot.press("right")
        await pilot.pause()
    assert widget.value == value


async def type_at_once(pilot, app: TokentuiApp, name: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Put ``text`` in the field in one change (typing it key by key would apply its valid
    prefixes on the way)."""
    app.main.field(name).input.value = text
    await pilot.pause()


def error_at(app: TokentuiApp, name: str) -> str:
    return str(app.main.field(name).query_one(".error").render())


def cli_refusal(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """What ``tokentui estimate ARGS`` says when it refuses them (exit code 2)."""
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["estimate", *SMALL, *args])
    assert exit_info.value.code == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    line = line.removeprefix("tokentui: error: ")
    line = re.sub(r"^argument --[a-z-]+: ", "", line)
    return line.removesuffix(" (see 'tokentui estimate --help')")


async def test_each_load_kind_from_the_selector() -> None:
    app = make_app(*SMALL)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        assert (screen.dashboard.axis, shown_axes(app)) == ("batch", {"batch_sizes"})
        await choose(pilot, app, "load", "concurrency")
        d = screen.dashboard
        assert d.scenario.workload.KIND == "concurrency"
        assert (d.axis, d.loads) == ("concurrency", [float(c) for c in DEFAULT_CONCURRENCY])
        assert shown_axes(app) == {"concurrency"}
        assert screen.field("concurrency").input.value == "1..256"  # 1, 2, 4 ... 256
        assert " concurrency 16 " in summary(app)  # the middle of the axis

        await choose(pilot, app, "load", "rate")
        d = screen.dashboard
        assert (d.axis, d.loads) == ("rate", list(DEFAULT_RATES))
        assert math.isinf(d.loads[-1])
        assert shown_axes(app) == {"rates", "num_requests"}
        assert screen.field("rates").input.value == "0.5,1,2,4,8,16,inf"
        assert screen.field("num_requests").input.value == str(DEFAULT_REQUESTS)

        await choose(pilot, app, "load", "offline")
        d = screen.dashboard
        assert (d.axis, d.loads) == ("requests", [float(DEFAULT_REQUESTS)])
        assert shown_axes(app) == {"num_requests"}
        await type_at_once(pilot, app, "num_requests", "100,1000,10000")
        assert screen.dashboard.loads == [100.0, 1000.0, 10000.0]

        await choose(pilot, app, "load", "static")
        d = screen.dashboard
        assert (d.axis, d.loads) == ("batch", [float(b) for b in DEFAULT_BATCHES])
        assert shown_axes(app) == {"batch_sizes"}
        assert d.scenario.workload.KIND == "static"


async def test_an_axis_typed_for_one_kind_is_dropped_with_it() -> None:
    """As ``--preset`` with another load: the old kind's axis does not follow the new kind."""
    app = make_app(*SMALL, "--batch", "1,8")
    async with app.run_test(size=(120, 40)) as pilot:
        await choose(pilot, app, "load", "concurrency")
        assert app.main.draft.input.batch_sizes is None
        await type_at_once(pilot, app, "concurrency", "2,16")
        assert app.main.dashboard.loads == [2.0, 16.0]
        await choose(pilot, app, "load", "rate")
        await choose(pilot, app, "load", "offline")
        await choose(pilot, app, "load", "static")
        await choose(pilot, app, "load", "concurrency")
        assert app.main.dashboard.loads == [float(c) for c in DEFAULT_CONCURRENCY]


@pytest.mark.parametrize(
    ("kind", "field", "text", "flags"),
    [
        ("concurrency", "concurrency", "1,x", ("--concurrency", "1,x")),
        ("concurrency", "concurrency", "0", ("--concurrency", "0")),
        ("rate", "rates", "0", ("--rate", "0")),
        ("rate", "rates", "nan", ("--rate", "nan")),
        ("rate", "rates", "1,abc", ("--rate", "1,abc")),
        ("rate", "num_requests", "100,1000", ("--rate", "1", "--num-requests", "100,1000")),
        ("offline", "num_requests", "0", ("--offline", "--num-requests", "0")),
        ("offline", "num_requests", "5x", ("--offline", "--num-requests", "5x")),
    ],
)
async def test_a_bad_axis_is_refused_at_the_field_as_the_command_line_refuses_it(
    capsys: pytest.CaptureFixture[str], kind: str, field: str, text: str, flags: tuple[str, ...]
) -> None:
    expected = cli_refusal(capsys, *flags)
    flag = {"concurrency": "--concurrency", "rates": "--rate", "num_requests": "--num-requests"}
    term = {"concurrency": "concurrency", "rates": "rates", "num_requests": "requests"}
    app = make_app(*SMALL)
    async with app.run_test(size=(120, 40)) as pilot:
        await choose(pilot, app, "load", kind)
        draft, dashboard = app.main.draft, app.main.dashboard
        await type_at_once(pilot, app, field, text)
        assert error_at(app, field) == expected.replace(flag[field], term[field])
        assert app.main.draft is draft and app.main.dashboard is dashboard  # nothing applied
        app.main.query_one("#charts").focus()
        await pilot.press("9", "right_square_bracket")  # still running, still answering keys
        await pilot.pause()
        assert app.main.chart == "latency"
        await type_at_once(pilot, app, field, "inf" if field == "rates" else "64")
        assert error_at(app, field) == ""
        workload = app.main.dashboard.scenario.workload
        if field == "rates":
            assert app.main.dashboard.loads[-1] == math.inf
        elif kind == "rate":  # the run's length, not the axis
            assert getattr(workload, "num_requests", None) == 64
        else:
            assert app.main.dashboard.loads[-1] == 64.0


async def test_brackets_step_a_concurrency_axis_and_say_so() -> None:
    users = (1, 8, 32, 128)
    app = make_app(*SMALL, "--concurrency", ",".join(map(str, users)))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        screen.query_one("#charts").focus()
        await pilot.pause()
        for key, word in (("left_square_bracket", "conc-"), ("right_square_bracket", "conc+")):
            assert screen.active_bindings[key].binding.description == word
        # the engine's own answer for these users, outside the app
        s = resolve(
            ScenarioInput(model="llama-3.1-8b", gpu="h100-sxm", gpus=1),
            default_catalog(),
            default_efficiency(),
        )
        run = serving.closed_loop(s, 2035, 300, np.array(users, dtype=float))
        assert screen.dashboard.load == 32
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert screen.dashboard.load == 128
        await pilot.press("right_square_bracket")  # the end of the axis: stays
        await pilot.pause()
        assert screen.dashboard.load == 128
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert screen.dashboard.load == 8
        text = summary(app)
        assert " concurrency 8 " in text
        assert f"TTFT {human_seconds(float(run.ttft_s[1]))}" in text
        assert f"ITL {human_seconds(float(run.itl_s[1]))}" in text
        assert f"{float(run.output_tokens_per_s[1]):,.0f} tok/s" in text
        assert "below the walls" in text and "stable" in text
        await choose(pilot, app, "load", "static")  # back on a batch: the keys say batch
        screen.query_one("#charts").focus()
        await pilot.pause()
        assert screen.active_bindings["left_square_bracket"].binding.description == "batch-"


async def test_a_rate_above_capacity_is_unstable_and_inf_is_the_top() -> None:
    app = make_app(*SMALL, "--rate", "1,64,inf")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        screen.query_one("#charts").focus()
        await pilot.press(*["right_square_bracket"] * 3)
        await pilot.pause()
        assert math.isinf(screen.dashboard.load)
        assert " rate inf " in summary(app) and "UNSTABLE" in summary(app)
        assert screen.active_bindings["right_square_bracket"].binding.description == "rate+"
        # 64 requests/s is more than one H100 serves (about 7.5/s of these 2,035 + 300 tokens)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.dashboard.load == 64 and "UNSTABLE" in summary(app)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert screen.dashboard.load == 1 and "UNSTABLE" not in summary(app)
        for key in "138":  # the throughput and cost charts, and the serving chart, with inf
            await pilot.press(key)
            await pilot.pause()
            assert "inf" in "".join(s.text for s in screen.visible_chart()._strips)


async def test_switching_the_engine_brings_its_settings() -> None:
    catalog = default_catalog()
    app = make_app(*SMALL, "--concurrency", "1,16,64", "--max-num-seqs", "64")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        assert screen.dashboard.scenario.engine.max_num_seqs == 64  # typed on vllm-v0
        await choose(pilot, app, "engine", "sglang")
        s = screen.dashboard.scenario
        assert s.engine_name == "sglang"
        # the engine's own settings: the one typed for vllm-v0 is dropped, as --engine does
        # beside a preset
        expected = EngineSettings(**catalog.engine("sglang").settings)
        assert s.engine == expected and s.engine.max_num_seqs != 64
        assert screen.draft.profile == "default"
        alone = resolve(
            ScenarioInput(
                model="llama-3.1-8b",
                gpu="h100-sxm",
                gpus=1,
                load="concurrency",
                concurrency=(1, 16, 64),
                engine="sglang",
            ),
            catalog,
            default_efficiency(),
        )
        r = alone.run()
        i = screen.dashboard.selected
        assert f"TTFT {human_seconds(float(r.ttft_s[i]))}" in summary(app)
        await choose(pilot, app, "engine", "vllm-v0")
        assert screen.dashboard.scenario.engine == EngineSettings()


def chart_text(chart: Chart) -> str:
    return "\n".join(s.text for s in chart._strips)


@pytest.mark.parametrize("kind", ["concurrency", "rate", "offline"])
async def test_the_serving_charts_draw_for_each_serving_kind(kind: str) -> None:
    app = make_app(*SMALL)
    async with app.run_test(size=(120, 40)) as pilot:
        await choose(pilot, app, "load", kind)
        screen = app.main
        axis = screen.dashboard.axis
        for key, chart, title in (("8", "serving", "per GPU"), ("9", "latency", "Latency vs")):
            screen.query_one("#charts").focus()
            await pilot.press(key)
            await pilot.pause()
            widget = screen.visible_chart()
            assert (screen.chart, widget.note) == (chart, "")
            shown = chart_text(widget)
            assert title in shown
            if chart == "latency":
                assert f"Latency vs {axis}" in shown and "TTFT p99" in shown
            else:
                assert "tok/s per user" in shown


async def test_the_serving_charts_say_how_to_get_them_on_a_static_batch() -> None:
    app = make_app(*SMALL)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.main
        for key in "89":
            screen.query_one("#charts").focus()
            await pilot.press(key)
            await pilot.pause()
            shown = " ".join(chart_text(screen.visible_chart()).split())
            assert "choose concurrency, rate or offline as the load" in shown
            assert "┤" not in shown  # a note, not an empty plot
        await choose(pilot, app, "load", "concurrency")  # and the chart appears
        assert screen.chart == "latency" and screen.visible_chart().note == ""


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_every_chart_draws_on_a_rate_axis_with_inf(size: tuple[int, int]) -> None:
    """Down to a rate so low that a decode step holds one request but the mean running batch is
    a fiftieth of one (the context chart, drawn at the selected batch, hung on a batch of 0)."""
    app = make_app(*SMALL, "--rate", "0.01,2,8,inf")
    async with app.run_test(size=size) as pilot:
        screen = app.main
        screen.query_one("#charts").focus()
        await pilot.press(*["left_square_bracket"] * 3)
        await pilot.pause()
        d = screen.dashboard
        assert d.load == 0.01 and float(d.run.batch[0]) < 0.5 and d.batch == 1
        for key in "12345689":
            screen.query_one("#charts").focus()
            await pilot.press(key)
            await pilot.pause()
            widget = screen.visible_chart()
            assert widget.draws >= 1 and widget.note == ""
            assert widget.size.width > 20 and widget.size.height > 5


async def test_a_preset_keeps_the_load_kind_its_axis_and_the_engine() -> None:
    app = make_app(*SMALL, "--rate", "2,8", "--num-requests", "300", "--engine", "vllm")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog_input = app.screen.query_one(Input)
        dialog_input.value = "served"
        await pilot.press("enter")
        await pilot.pause()
        text = (user_presets_dir() / "served.toml").read_text()
        assert 'kind = "rate"' in text and "num_requests = 300" in text
        await choose(pilot, app, "load", "static")
        await choose(pilot, app, "engine", "vllm-v0")
        assert (app.main.dashboard.axis, shown_axes(app)) == ("batch", {"batch_sizes"})
        await pilot.press("ctrl+o")
        await pilot.pause()
        app.screen.query_one("#preset-filter", Input).value = "served"
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        d = app.main.dashboard
        assert (d.axis, d.loads, d.scenario.engine_name) == ("rate", [2.0, 8.0], "vllm")
        assert shown_axes(app) == {"rates", "num_requests"}
        assert app.main.field("rates").input.value == "2,8"
        assert app.main.field("num_requests").input.value == "300"
        assert app.main.query_one("#engine", Choice).value == "vllm"
        assert app.main.query_one("#load", Choice).value == "rate"


def test_the_nearest_load_of_an_axis_with_inf() -> None:
    """The summary's point: nearest in log scale, inf nearest to itself and above every rate."""
    import math as _m
    import warnings

    import numpy as _np

    from engine.views.dashboard import nearest_load

    axis = _np.array([0.5, 1.0, 2.0, 8.0, _m.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no inf - inf on the way
        assert nearest_load(axis, _m.inf) == 4
        assert nearest_load(axis, 1.9) == 2
        assert nearest_load(axis, 0.01) == 0
        assert nearest_load(axis, 1e6) == 4
        assert nearest_load(_np.array([_m.inf]), 3.0) == 0
