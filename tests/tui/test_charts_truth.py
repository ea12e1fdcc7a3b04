"""The charts say what the engine says (issue #12, "charts that are wrong today"), checked on the
app as a user drives it (Pilot) and on what it draws: the KV wall of the Context chart where
memory_plan puts it, the solid throughput line the current mode's, the Bottlenecks bars as tall as
the time per output token, no numbers for a scenario that does not fit, round ticks, a marker at
the selected load, the KV wall on every chart of the batch axis, legends under the plot, glyphs
every common terminal font has, colours that stand out on the light theme as on the dark one.

Reference values come from the engine (memory_plan, the scenario's run), never from the charts.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from rich.style import Style
from support import app_from_args, show_chart
from textual.strip import Strip

from engine.physics.memory import memory_plan
from tui.app import TokentuiApp
from tui.charts import Chart
from tui.charts.colours import contrast
from tui.panes.summary import SummaryStrip

ARTICLE = "123456"  # the article's charts; 8 and 9 are the serving ones (7: the Measured table)
SERVING = (
    "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--engine", "trtllm",
    "--concurrency", "1,8,32,128,512", "--input-tokens", "1000", "--output-tokens", "200",
)  # fmt: skip
RATES = (
    "--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--rate", "0.5,2,8,inf",
    "--input-tokens", "1000", "--output-tokens", "200",
)  # fmt: skip
NO_FIT = ("--model", "llama-3.1-405b", "--gpu", "rtx-4060", "--gpus", "1")
#: What DejaVu Sans Mono (and every common terminal font) draws: ASCII, box drawing, block
#: elements and a few symbols; not braille, not plotext's right-axis legend mark U+2143.
FONT = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0x2500, 0x25A0)} | set("•·µ●○")
EIGHTHS = " ▁▂▃▄▅▆▇█"


def lines(chart: Chart) -> list[Strip]:
    return [chart.render_line(y) for y in range(chart.size.height)]


def text(chart: Chart) -> list[str]:
    return [s.text for s in lines(chart)]


def summary(app: TokentuiApp) -> str:
    return str(app.main.query_one(SummaryStrip).render())


def is_125(v: float) -> bool:
    if v <= 0:
        return False
    m = v / 10.0 ** math.floor(math.log10(v) + 1e-9)
    return any(abs(m - k) < 1e-6 for k in (1, 2, 5))


def round_axis(values: list[float]) -> bool:
    """A log axis' ticks are each 1, 2 or 5 x 10^k; a linear axis' are the multiples of such a
    step (0, 500, 1000, 1500 ...)."""
    if all(is_125(v) for v in values):
        return True
    steps = np.diff(values)
    return (
        len(values) >= 2
        and np.allclose(steps, steps[0])
        and is_125(float(steps[0]))
        and all(abs(v / steps[0] - round(v / steps[0])) < 1e-6 for v in values)
    )


def y_labels(rows: list[str]) -> list[str]:
    """The tick labels plotext wrote left of the y axis (``12┤``) and right of a right one."""
    out = []
    for row in rows:
        out += re.findall(r"([0-9.$µA-Za-z/]+)┤", row)
        out += re.findall(r"├([0-9.$µA-Za-z/]+)", row)
    return out


def significant(label: str) -> int:
    digits = re.sub(r"[^0-9.]", "", label).strip(".")
    return len(digits.replace(".", "").lstrip("0").rstrip("0")) if digits else 0


async def test_the_context_wall_is_where_memory_plan_stops_fitting_the_batch() -> None:
    """Memory is weights + workspace + KV against what the GPU may use: at batch 16 the wall is
    the longest prompt memory_plan still fits 16 of (~31k tokens), not where the KV cache alone
    would reach the usable memory (~59k)."""
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        chart = await show_chart(pilot, app, "4")
        d = app.main.dashboard
        s, batch = d.scenario, d.batch
        assert batch == 16 and "batch 16" in summary(app)
        seqs = math.ceil(batch / s.replicas)

        def fits(prompt: int) -> bool:
            return memory_plan(s, prompt + s.output_tokens).max_seqs_per_replica >= seqs

        lo, hi = 1, s.model.max_context  # the longest prompt that fits, by bisection
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        assert chart.marks["wall"] == lo
        assert 30_000 < lo < 40_000
        plan = memory_plan(s, s.context_tokens)
        kv_alone = plan.usable_bytes / (seqs * plan.kv_per_token_bytes) - s.output_tokens
        assert lo < 0.6 * kv_alone  # the old chart's wall (~59k) was the KV against all memory
        assert chart.marks["prompt"] == s.input_tokens
        shown = "\n".join(text(chart))
        assert f"KV wall {lo:,} tokens" in shown
        assert f"usable {plan.usable_bytes / 1e9:.1f} GB" in shown  # 77.3 GB, the line drawn
        # stacked: the memory at the shortest prompt is the weights, the workspace and its KV
        first = d.context.contexts[0] + s.output_tokens
        stacked = plan.weights_bytes + plan.reserve_bytes + seqs * first * plan.kv_per_token_bytes
        assert chart.series["memory GB"][0] == pytest.approx(stacked / 1e9)


async def test_in_ideal_mode_the_solid_lines_are_the_ideal_run() -> None:
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("m")
        await pilot.pause()
        chart = await show_chart(pilot, app, "1")
        d = app.main.dashboard
        assert d.scenario.mode == "ideal"
        ideal, real = d.scenario.run(), d.other_mode.run()
        assert d.other_mode.mode == "realistic"
        np.testing.assert_allclose(chart.series["solid: total"], ideal.total_tokens_per_s)
        np.testing.assert_allclose(
            chart.series["solid: per request"], ideal.per_request_tokens_per_s
        )
        np.testing.assert_allclose(chart.series["dotted: total"], real.total_tokens_per_s)
        assert chart.series["solid: total"][0] > chart.series["dotted: total"][0]
        shown = "\n".join(text(chart))
        assert "━━ ideal" in shown and "•• realistic" in shown  # the legend says which is which
        assert "solid: ideal" in shown.splitlines()[0]  # and so does the title


@pytest.mark.parametrize("mode_key", ["", "m"])
async def test_the_bottleneck_bars_are_as_tall_as_the_time_per_token(mode_key: str) -> None:
    """Each bar reaches the run's TPOT (batch 256 runs in two waves: their mean), drawn in
    eighths of a cell; the overlapped side stands beside it, true to the axis too (0.08 ms of
    compute at batch 1 is not a cell)."""
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        if mode_key:
            app.main.query_one("#charts").focus()
            await pilot.press(mode_key)
            await pilot.pause()
        chart = await show_chart(pilot, app, "2")
        d = app.main.dashboard
        tpot_ms = np.asarray(d.run.tpot_s) * 1e3
        np.testing.assert_allclose(chart.series["step ms"], tpot_ms, rtol=1e-6)
        strips, layout = lines(chart), chart.bar_layout  # type: ignore[attr-defined]
        unit, bottom, surface = layout["unit"], layout["bottom"], chart.surface()

        def drawn(col: int) -> float:
            """ms drawn in a column, from the canvas' bottom up: a full cell, or a cell's
            eighths (a cell with a part above the glyph's is full)."""
            eighths = 0
            for row in range(bottom, bottom - layout["rows"], -1):
                seg = next(iter(strips[row].crop(col, col + 1)))
                style = seg.style or Style()
                bg = style.bgcolor.get_truecolor() if style.bgcolor else None
                if seg.text in ("█", "▒") or (bg is not None and tuple(bg) != surface):
                    eighths += 8
                elif seg.text in EIGHTHS[1:]:
                    eighths += EIGHTHS.index(seg.text)
                    break
                else:
                    break
            return eighths / 8 * unit

        for k, col in enumerate(layout["columns"]):
            assert drawn(col) == pytest.approx(tpot_ms[k], abs=unit / 8 + 1e-9)
        # the hidden side, beside the bar (its right), is as tall as what it hides
        hidden = np.asarray(chart.series["hidden ms"])
        body = list(strips[bottom].text[layout["columns"][0] :]).index(" ")  # cells right
        for k, col in enumerate(layout["columns"]):
            side = col + body
            assert drawn(side) == pytest.approx(hidden[k], abs=unit / 8 + 1e-9)
        assert hidden[0] < unit / 16 and drawn(layout["columns"][0] + body) == 0
        if not mode_key:
            assert np.asarray(d.run.waves)[d.loads.index(256)] == 2
        assert "M/C/N memory/compute/comm" in "\n".join(text(chart))  # the letters explained


async def test_a_scenario_that_does_not_fit_draws_no_numbers() -> None:
    app = app_from_args(*NO_FIT)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert "DOES NOT FIT" in summary(app)
        assert app.main.dashboard.fit_error
        for key in (*ARTICLE, "8", "9"):
            chart = await show_chart(pilot, app, key)
            assert chart.note.startswith("DOES NOT FIT"), key
            assert chart.series == {} and chart.ticks == {}, key
            shown = "\n".join(text(chart))
            assert "┤" not in shown and "└" not in shown  # no axes
            assert "DOES NOT FIT" in shown


SCENES = [((), ""), ((), "m"), (SERVING, ""), (RATES, "")]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
@pytest.mark.parametrize(("args", "mode_key"), SCENES)
async def test_every_chart_ticks_round_draws_common_glyphs_and_no_legend_over_data(
    size: tuple[int, int], args: tuple[str, ...], mode_key: str
) -> None:
    app = app_from_args(*args)
    async with app.run_test(size=size) as pilot:
        if mode_key:
            app.main.query_one("#charts").focus()
            await pilot.press(mode_key)
            await pilot.pause()
        serving = bool(args)
        for key in (*ARTICLE, *("89" if serving else "")):
            chart = await show_chart(pilot, app, key)
            rows = text(chart)
            assert chart.ticks, key
            for axis, values in chart.ticks.items():
                assert round_axis(values), (key, axis, values)
            for label in y_labels(rows):
                assert significant(label) <= 2, (key, label)  # no 2499.4
            odd = {c for row in rows for c in row} - FONT
            assert not odd, (key, odd)
            # the legend is under the plot: no name of it between the frame's top and bottom
            top = next(i for i, r in enumerate(rows) if "┌" in r)
            bottom = next(i for i, r in enumerate(rows) if "└" in r)
            for _, name, _ in chart.legend_items:
                assert not any(name in r for r in rows[top : bottom + 1]), (key, name)
                assert any(name in r for r in rows[bottom:]), (key, name)  # and it is shown


@pytest.mark.parametrize("theme", ["textual-light", "textual-dark"])
async def test_every_mark_stands_out_from_the_background(theme: str) -> None:
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await pilot.pause()
        for key in ARTICLE:
            chart = await show_chart(pilot, app, key)
            surface = chart.surface()
            for strip in lines(chart):
                for seg in strip:
                    style = seg.style
                    if not seg.text.strip() or style is None or style.color is None:
                        continue
                    bg = style.bgcolor.get_truecolor() if style.bgcolor else None
                    if bg is None or tuple(bg) != surface:
                        continue  # on a bar: the bar's own colour is the background
                    fg = style.color.get_truecolor()
                    assert contrast(tuple(fg), surface) >= 3.0, (key, seg.text, fg)


async def test_the_selected_marker_follows_the_summary() -> None:
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        for press in ("", "right_square_bracket"):
            if press:
                app.main.query_one("#charts").focus()
                await pilot.press(press)
                await pilot.pause()
            d = app.main.dashboard
            assert f"batch {d.batch}" in summary(app)
            for key in "1235":
                chart = await show_chart(pilot, app, key)
                assert chart.marks["selected"] == d.batch, key
            chart = await show_chart(pilot, app, "1")
            canvas = "".join(text(chart)[2:-6])
            assert canvas.count("O") >= 2  # on the total and on the per-request line
            chart = await show_chart(pilot, app, "2")
            layout = chart.bar_layout  # type: ignore[attr-defined]
            for k, col in enumerate(layout["columns"]):
                letters = [
                    seg
                    for strip in lines(chart)[: layout["bottom"] + 1]  # the canvas
                    for seg in strip.crop(col, col + 1)
                    if seg.text in "MCN" and seg.text.strip()
                ]
                assert len(letters) == 1
                style = letters[0].style
                assert style is not None and style.bgcolor is not None
                reversed_ = tuple(style.bgcolor.get_truecolor()) != chart.surface()
                assert reversed_ == (k == d.selected)  # the selected bar's letter, reversed
        assert app.main.dashboard.batch == 32


async def test_the_kv_wall_is_on_every_chart_of_the_batch_axis() -> None:
    app = app_from_args()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        s = app.main.dashboard.scenario
        wall = memory_plan(s, s.context_tokens).max_batch  # "fits 211 seqs"
        assert f"fits {wall} seqs" in summary(app)
        for key in "123":
            chart = await show_chart(pilot, app, key)
            assert chart.marks["wall"] == wall, key
            assert f"KV wall {wall}" in "\n".join(text(chart)), key
        # boundness: batch against context, the wall a line
        chart = await show_chart(
            pilot, app, "5"
        )  # boundness: batch against context, the wall a line
        contexts = app.main.dashboard.grid.context
        expected = [memory_plan(s, int(c)).max_batch for c in contexts]
        assert chart.series["KV wall batch"] == expected
    app = app_from_args(*SERVING)
    async with app.run_test(size=(100, 30)) as pilot:
        for key in "129":
            chart = await show_chart(pilot, app, key)
            assert chart.marks["wall"] == pytest.approx(app.main.dashboard.run.wall), key
            assert chart.marks["selected"] == app.main.dashboard.load, key
