"""The pinned scenario (A) drawn on every chart that can show it (issue #12, "pin the current
scenario and compare it with another (charts overlay both, labelled)" and "the KV wall on every
batch-axis chart"): the Bottlenecks bars get A's time per token beside each, the Boundness maps
A's boundaries and point, the roofline A's points (and A's roof where it is another), and the
batch-axis charts A's KV wall where it is not this scenario's. Each is named in the legend, which
still fits at 80 x 24.

A's reference numbers are the engine's run of the scenario pinned (on this scenario's loads) and
the specs' own figures (FLOPs, peak, bandwidth, memory_plan), never the chart's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from support import app_from_args, show_chart, until
from test_charts_truth import FONT, lines, text

from engine.physics.arch import decode_flops_coefficients, prefill_flops
from engine.physics.memory import memory_plan
from engine.physics.sweeps import boundness
from engine.scenario.scenario import Scenario
from engine.views.dashboard import grid_axes
from engine.views.side_by_side import on_loads_of
from tui.app import TokentuiApp
from tui.charts import Chart
from tui.charts.colours import COMPUTE, MEMORY, contrast, legible
from tui.widgets import Edit

SIZES = [(80, 24), (120, 40)]
SERVING = (
    "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--concurrency", "1..1024",
)  # fmt: skip


async def pin_then(pilot: Any, app: TokentuiApp, field: str, value: object) -> Scenario:
    """Pin the scenario on screen as A, then change ``field`` of B to ``value`` (as the panes
    post it); A on B's loads, as the app evaluates it."""
    await pilot.pause()
    app.main.query_one("#charts").focus()
    await pilot.press("p")
    await pilot.pause()
    before = app.main.dashboard.scenario
    app.main.post_message(Edit(field, value))
    await until(pilot, lambda: app.main.dashboard.scenario != before)
    await pilot.pause()
    app.clear_notifications()  # the pin's notice would cover the legend
    await pilot.pause()
    assert app.main.pinned == before
    return on_loads_of(before, app.main.dashboard.scenario)


def shown(chart: Chart) -> str:
    return "\n".join(text(chart))


def under_plot(chart: Chart) -> list[str]:
    rows = text(chart)
    bottom = max(i for i, r in enumerate(rows) if "└" in r)
    return rows[bottom:]


def legend_shown(chart: Chart) -> None:
    """Every entry of the legend is on the rows under the plot (none left out for want of room),
    and every glyph drawn is one a common terminal font has."""
    below = under_plot(chart)
    for sample, name, _ in chart.legend_items:
        assert any(f"{sample} {name}" in r for r in below), (chart.LABEL, sample, name)
    odd = {c for row in text(chart) for c in row} - FONT
    assert not odd, (chart.LABEL, odd)


def cells(chart: Chart, rows: range, glyph: str) -> list[tuple[int, int, Any]]:
    """(row, column, style) of every ``glyph`` in the given rows of the chart."""
    out = []
    for r, strip in enumerate(lines(chart)):
        if r not in rows:
            continue
        col = 0
        for seg in strip:
            for ch in seg.text:
                if ch == glyph:
                    out.append((r, col, seg.style))
                col += 1
    return out


def canvas_rows(chart: Chart) -> range:
    rows = text(chart)
    top = next(i for i, r in enumerate(rows) if "┌" in r)
    bottom = max(i for i, r in enumerate(rows) if "└" in r)
    return range(top + 1, bottom)


def ink(style: Any) -> tuple[int, int, int]:
    return tuple(style.color.get_truecolor())  # type: ignore[no-any-return]


@pytest.mark.parametrize("size", SIZES)
async def test_the_bottlenecks_show_a_s_time_per_token_beside_each_bar(
    size: tuple[int, int],
) -> None:
    """The article's 4 x H100 pinned, then H200: at each batch, a line left of the bar where A's
    time per output token is (its TPOT, as A's run gives it at that batch), to a third of a row;
    A's KV wall (211 sequences on H100) dotted between the bars, B's (519) being off the axis."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=size) as pilot:
        a_s = await pin_then(pilot, app, "gpu", "h200")
        b = app.main.dashboard
        a_run = a_s.run()
        a_ms = np.asarray(a_run.tpot_s) * 1e3
        chart = await show_chart(pilot, app, "2")
        assert chart.series["A step ms"] == pytest.approx(a_ms.tolist())
        assert not np.allclose(a_ms, np.asarray(b.run.tpot_s) * 1e3)  # A is not B
        layout = chart.bar_layout  # type: ignore[attr-defined]
        unit, bottom, strips = layout["unit"], layout["bottom"], lines(chart)
        for k, (centre, cols) in enumerate(
            zip(layout["columns"], layout["A columns"], strict=True)
        ):
            assert cols and all(c < centre for c in cols), k  # left of the bar
            found = [
                (bottom - r, "▁━▔".index(strips[r].text[cols[0]]))
                for r in range(bottom, bottom - layout["rows"], -1)
                if strips[r].text[cols[0]] in "▁━▔"
            ]
            assert len(found) == 1, (k, found)
            row, third = found[0]
            drawn = (row + (third + 0.5) / 3) * unit
            assert drawn == pytest.approx(a_ms[k], abs=unit / 6 + 1e-9), k
        a_wall = memory_plan(a_s, a_s.context_tokens).max_batch
        assert a_wall == 211 and b.run.wall > max(b.loads)
        assert chart.marks["A wall"] == a_wall and "wall" not in chart.marks
        assert cells(chart, canvas_rows(chart), "┊")  # drawn
        legend_shown(chart)
        assert f"┊ A KV wall {a_wall}" in "\n".join(under_plot(chart))


@pytest.mark.parametrize("size", SIZES)
async def test_the_roofline_shows_a_s_points_and_its_own_roof(size: tuple[int, int]) -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=size) as pilot:
        a_s = await pin_then(pilot, app, "gpu", "h200")
        b = app.main.dashboard
        a_run, i = a_s.run(), b.selected  # A on B's loads: the same point
        chart = await show_chart(pilot, app, "6")
        # achieved FLOP/s per GPU: the step's FLOPs over its time
        batch = math.ceil(float(a_run.batch[i]) / a_s.replicas)
        pf = batch * float(prefill_flops(a_s.model, a_s.input_tokens, a_s.flop_count)) / a_s.tp
        assert chart.series["A prefill"] == pytest.approx([pf / float(a_run.prefill_s[i])])
        c0, c1 = decode_flops_coefficients(a_s.model)
        mean_l = a_s.input_tokens + a_s.output_tokens / 2
        dec = float(a_run.running_batch[i]) * (c0 + c1 * mean_l) / a_s.tp
        assert chart.series["A decode"] == pytest.approx([dec / float(a_run.tpot_s[i])])
        # A's roof: the H100's peak and bandwidth, not the H200's
        peak, bw = a_s.gpu.peak(a_s.weight_dtype), a_s.gpu.memory_bandwidth
        assert max(chart.series["A roof"]) == pytest.approx(peak)
        assert chart.series["A roof"][0] == pytest.approx(0.1 * bw)
        assert bw != b.scenario.gpu.memory_bandwidth
        names = {name for sample, name, _ in chart.legend_items if sample == "A"}
        assert f"prefill: AI {float(a_run.prefill_ai[i]):,.0f} FLOP/B" in names
        assert f"decode: AI {float(a_run.decode_ai[i]):,.0f} FLOP/B" in names
        below = "\n".join(under_plot(chart))
        assert "A prefill: AI" in below and "A decode: AI" in below and "•• A" in below
        # both of A's points are seen (beside the O where they share its cell)
        bg = chart.surface()
        colours = {ink(st) for _, _, st in cells(chart, canvas_rows(chart), "A")}
        assert {legible(COMPUTE, bg), legible(MEMORY, bg)} <= colours
        legend_shown(chart)


async def test_the_roofline_says_when_a_has_the_same_roof() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        await pin_then(pilot, app, "model", "llama-3.1-8b")  # the same GPUs
        chart = await show_chart(pilot, app, "6")
        assert "A roof" not in chart.series and "A decode" in chart.series
        assert "the same roof" in "\n".join(under_plot(chart))
        bg = chart.surface()
        colours = {ink(st) for _, _, st in cells(chart, canvas_rows(chart), "A")}
        assert {legible(COMPUTE, bg), legible(MEMORY, bg)} <= colours


@pytest.mark.parametrize("size", SIZES)
async def test_the_boundness_maps_show_a_s_boundaries(size: tuple[int, int]) -> None:
    """A (Llama 3.3 70B) over Llama 3 70B, whose maps stop at its 8k context: A's boundaries
    (the engine's boundness of A over A's grid) drawn in hollow dots where they fall on B's
    axes, said so; A's point, at B's prompt and batch, said to be under the O."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=size) as pilot:
        a_s = await pin_then(pilot, app, "model", "llama-3-70b")
        b = app.main.dashboard
        chart = await show_chart(pilot, app, "5")
        batches, contexts = grid_axes(a_s, float(np.max(a_s.run().batch)))
        ref = boundness(a_s, batches, contexts)
        assert chart.series["A context"] == pytest.approx(contexts.tolist())
        assert chart.series["A Decode boundary"] == pytest.approx(ref.decode_boundary.tolist())
        assert chart.series["A Prefill boundary"] == pytest.approx(ref.prefill_boundary.tolist())
        assert contexts[-1] > b.grid.context[-1]  # A's maps reach further: clipped to B's
        assert cells(chart, canvas_rows(chart), "○")
        below = "\n".join(under_plot(chart))
        assert "where on these axes" in below and "at the O" in below
        assert not cells(chart, canvas_rows(chart), "A")  # under the O, not drawn beside it
        legend_shown(chart)


async def test_the_boundness_maps_mark_a_s_own_prompt() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        a_s = await pin_then(pilot, app, "input_tokens", 8000)
        chart = await show_chart(pilot, app, "5")
        assert chart.marks["A prompt"] == a_s.input_tokens == 2035
        assert chart.marks["prompt"] == 8000
        assert len(cells(chart, canvas_rows(chart), "A")) == 2  # on both maps
        assert "at the O" not in shown(chart)


@pytest.mark.parametrize("key", ["1", "3"])
async def test_a_s_kv_wall_is_marked_where_it_is_not_this_scenario_s(key: str) -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        a_s = await pin_then(pilot, app, "gpu", "h200")
        chart = await show_chart(pilot, app, key)
        a_wall = memory_plan(a_s, a_s.context_tokens).max_batch
        assert chart.marks["A wall"] == a_wall == 211
        assert "wall" not in chart.marks  # B's 519 is past the axis' 512
        assert f"┊ A KV wall {a_wall}" in "\n".join(under_plot(chart))
        assert len(cells(chart, canvas_rows(chart), "┊")) >= 5  # a line, not a dot
    app = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        await pin_then(pilot, app, "price_per_gpu_hour", 5.0)  # the same wall
        chart = await show_chart(pilot, app, key)
        assert chart.marks["wall"] == 211 and "A wall" not in chart.marks
        assert not cells(chart, canvas_rows(chart), "┊")


async def test_the_latency_chart_marks_a_s_wall_on_a_serving_axis() -> None:
    app: TokentuiApp = app_from_args(*SERVING)
    async with app.run_test(size=(120, 40)) as pilot:
        a_s = await pin_then(pilot, app, "gpu", "h200")
        b = app.main.dashboard
        chart = await show_chart(pilot, app, "9")
        a_wall = float(a_s.run().wall)
        assert chart.marks["A wall"] == pytest.approx(a_wall)
        assert chart.marks["wall"] == pytest.approx(float(b.run.wall)) != a_wall
        assert "┊ A " in "\n".join(under_plot(chart))


async def test_a_load_of_another_kind_is_said_not_drawn() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        await pin_then(pilot, app, "load", "concurrency")
        for key in "256":
            chart = await show_chart(pilot, app, key)
            assert not any(k.startswith("A ") for k in chart.series), key
            assert "A wall" not in chart.marks, key
            assert any("not drawn on this axis" in n for _, n, _ in chart.legend_items), key


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
async def test_a_s_marks_stand_out_on_either_theme(theme: str) -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await pin_then(pilot, app, "gpu", "h200")
        for key in "1256":
            chart = await show_chart(pilot, app, key)
            surface = chart.surface()
            for glyph in ("A", "┊", "▁", "━", "▔", "○"):
                for _, _, style in cells(chart, canvas_rows(chart), glyph):
                    bg = style.bgcolor.get_truecolor() if style.bgcolor else None
                    if style.color is None or (bg is not None and tuple(bg) != surface):
                        continue  # on a bar: the bar's own colour is the background
                    assert contrast(ink(style), surface) >= 3.0, (key, glyph)
