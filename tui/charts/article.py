"""The article's charts over the load axis (throughput, decode bottlenecks, cost) and over the
prompt length (memory and time per token); its two maps (boundness, roofline) are in
:mod:`tui.charts.maps`. With a scenario pinned (A) on the same load axis, each draws A's numbers
beside this scenario's, and A's wall where it is not this scenario's."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from engine.views.dashboard import Dashboard
from engine.views.format import count
from tui.charts.base import (
    AXIS_NAMES,
    AXIS_UNITS,
    DOTTED,
    SOLID,
    Chart,
    load_positions,
    rich,
    serving_run,
)
from tui.charts.colours import (
    BLUE,
    COMPUTE,
    FG,
    GREEN,
    GREY,
    MAGENTA,
    MEMORY,
    ORANGE,
    REAL,
    RED,
    REQ,
    RGB,
    YELLOW,
    legible,
)
from tui.charts.ticks import round_125, short

#: A part of the decode step: its name and colour (the Bottlenecks chart's bars).
PARTS: dict[str, RGB] = {
    "weights+act": GREEN,
    "KV cache": MAGENTA,
    "compute": BLUE,
    "comm": ORANGE,
    "overhead": GREY,
    "prompts": YELLOW,
}
TOTAL, PER_REQUEST = REAL, REQ  # the throughput chart's two quantities (solid, dotted: mode)
BOUND_MARKS = {"compute": ("C", COMPUTE), "communication": ("N", ORANGE), "memory": ("M", MEMORY)}
EIGHTHS = " ▁▂▃▄▅▆▇█"  # a cell filled from the bottom, 0 to 8 eighths
HATCH = "▒"  # the hidden (overlapped) side of a step
#: The pinned scenario's (A's) time per token beside a bar: a line at the bottom, middle or top
#: of its cell (a third of a cell's accuracy).
A_LEVELS = "▁━▔"
A_TICK = A_LEVELS[1]


def overlay(strip: Strip, cells: dict[int, Segment]) -> Strip:
    """``strip`` with the cells at the given columns replaced (one character each)."""
    chars = [Segment(c, seg.style) for seg in strip for c in seg.text]
    for col, seg in cells.items():
        if 0 <= col < len(chars):
            chars[col] = seg
    return Strip(Segment.simplify(chars), len(chars))


def fit_entry(chart: Chart, index: int, *names: str) -> None:
    """The legend entry at ``index`` named each of ``names`` in turn (shorter and shorter) while
    the legend does not fit the chart (:meth:`Chart.fit_pinned_legend`)."""
    for name in names:
        if chart.fit_pinned_legend():
            return
        sample, _, color = chart.legend_items[index]
        chart.legend_items[index] = (sample, name, color)
    chart.fit_pinned_legend()


def canvas_box(strips: Sequence[Strip]) -> tuple[int, int, int, int] | None:
    """Where plotext's frame is: (top row, bottom row, left column, right column), or None."""
    texts = [s.text for s in strips]
    for top, text in enumerate(texts):
        if "┌" in text:
            left, right = text.index("┌"), text.rindex("┐")
            for bottom in range(top + 1, len(texts)):
                if texts[bottom][left : left + 1] == "└":
                    return top, bottom, left, right
    return None


class ThroughputChart(Chart):
    LABEL = "Throughput"

    def draw(self, d: Dashboard) -> None:
        """This mode solid; dotted, the other mode, or the pinned scenario (A) when there is
        one (on the same load axis)."""
        xs = self.load_axis(d)
        mode, other = d.scenario.mode, d.other_mode.mode
        a = self.pinned_on(d)
        totals: list[float] = []
        per_req: list[float] = []
        # the dotted first, so that this mode's solid lines are drawn over its dots
        dotted = (d.other, xs, "dotted") if a is None else (a.run, load_positions(a.loads), "A")
        for run, at, style in (dotted, (d.run, xs, "solid")):
            marker = "hd" if style == "solid" else "dot"
            tot = run.total_tokens_per_s.tolist()
            per = run.per_request_tokens_per_s.tolist()
            self.plot_series(f"{style}: total", at, tot, TOTAL, marker)
            self.plot_series(f"{style}: per request", at, per, PER_REQUEST, marker, yside="right")
            totals += tot
            per_req += per
        self.legend(
            (SOLID, "total, left axis", TOTAL),
            (SOLID, "per request, right", PER_REQUEST),
            (SOLID, mode if a is None else "this scenario", None),
        )
        if a is None:
            self.legend((DOTTED, other, None))
        else:
            self.pinned_legend()
        y = self.linear_axis("y", 0.0, max(totals))
        self.linear_axis("y2", 0.0, max(per_req))
        r, i = d.run, d.selected
        out = [k for k, ok in enumerate(r.fits.tolist()) if not ok]
        if out:
            self.plt.scatter(
                [xs[k] for k in out],
                [float(r.total_tokens_per_s[k]) for k in out],
                color=GREY,
                marker="x",
            )
            past = "in waves" if mode == "realistic" else "past the wall"
            past = "above capacity" if serving_run(d) else past
            self.legend(("x", past, GREY))
        if self.measured:
            self.plt.scatter(
                [math.log2(b) for b, _ in self.measured],
                [t for _, t in self.measured],
                color=GREEN,
                marker="+",
            )
            self.legend(("+", "measured", GREEN))
        self.mark_wall(d)
        if a is not None:
            self.mark_pinned_wall(d, a, (y[0], y[-1]))
        self.mark_selected(
            d,
            xs[i],
            [
                (float(r.total_tokens_per_s[i]), "left"),
                (float(r.per_request_tokens_per_s[i]), "right"),
            ],
        )
        self.plt.ylabel("total output tok/s", yside="left")  # type: ignore[call-arg]
        self.plt.ylabel("tok/s per request", yside="right")  # type: ignore[call-arg]
        dots = other if a is None else "A (pinned)"
        self.set_title(f"Output tokens/s vs {d.axis}", f"solid: {mode}, dotted: {dots}")
        self.fit_pinned_legend()


class BottleneckChart(Chart):
    """One bar per load: the time per output token, max(compute, memory) + communication +
    overhead. The binding side is the bar's base; the side it hides (overlapped, adding nothing)
    is the hatched column beside it. Cells are filled in eighths, true to the axis."""

    LABEL = "Bottlenecks"

    def draw(self, d: Dashboard) -> None:
        st, n = d.step, len(d.loads)
        self.stacks: list[list[tuple[str, float]]] = []  # per bar, (part, ms) from the bottom
        self.hidden: list[list[tuple[str, float]]] = []  # per bar, the overlapped side
        for i in range(n):
            memory = [("weights+act", st.weights_s[i] * 1e3), ("KV cache", st.kv_s[i] * 1e3)]
            compute = [("compute", st.compute_s[i] * 1e3)]
            base, hidden = (compute, memory) if st.compute_bound[i] else (memory, compute)
            rest = [
                ("comm", st.comm_s[i] * 1e3),
                ("overhead", st.overhead_s[i] * 1e3),
                ("prompts", st.prompts_s[i] * 1e3),
            ]
            self.stacks.append([(p, float(v)) for p, v in base + rest])
            self.hidden.append([(p, float(v)) for p, v in hidden])
        heights = (st.time_s * 1e3).tolist()
        self.series["step ms"] = heights
        self.series["hidden ms"] = (st.hidden_s * 1e3).tolist()
        a = self.pinned_on(d)
        self.pinned_ms = self._pinned_ms(d, a)
        if a is not None:
            self.series["A step ms"] = self.pinned_ms
        drawn = [v for v in self.pinned_ms if math.isfinite(v)]
        top = max(max(heights), max(self.series["hidden ms"]), *drawn) * 1.1
        self.y_ticks = self.linear_axis("y", 0.0, top)
        unit = AXIS_UNITS.get(d.axis, "")
        self.plt.xticks(list(range(1, n + 1)), [f"{short(v)}{unit}" for v in d.loads])
        self.plt.xlim(0.5, n + 0.5)
        self.plt.scatter([0.5], [0.0], color=GREY, marker=" ")  # plotext draws no empty canvas
        wall = self._wall_position(d.run.wall, d.loads)
        if wall is not None:
            self.plt.vline(wall, GREY)
            self.marks["wall"] = d.run.wall
        self.marks["selected"] = d.load
        used = {p for stack in self.stacks + self.hidden for p, v in stack if v > 0}
        self.legend(*((("██", p, c) for p, c in PARTS.items() if p in used)))
        wide = (self.size.width or 80) >= 64
        overlap = "hidden under max(compute, memory)" if wide else "overlapped"
        self.legend((HATCH * 2, overlap, GREY))
        if wall is not None:
            self.legend(("│", f"KV wall {short(float(f'{d.run.wall:.3g}'))}{unit}", GREY))
        self.legend(
            ("M/C/N", "memory/compute/comm", None),
            (
                f"[{self._mark(d, d.selected)[0]}]",
                f"selected {short(d.load)}{unit}",
                None,
            ),
        )
        tick = -1  # the legend entry of A's time per token
        if a is not None and self.pinned is not None:
            if drawn:
                tick = len(self.legend_items)
                self.legend((A_TICK, f"A {self.pinned.label}: ms per token, left of a bar", None))
            at = self._wall_position(a.run.wall, d.loads)
            if at is not None:
                self.mark_pinned_wall(d, a, (0.0, self.y_ticks[-1]), x=at)
        self.plt.xlabel(AXIS_NAMES.get(d.axis, d.axis))
        self.plt.ylabel("ms per output token")
        self.set_title(
            "Time per token by resource",
            "max(compute, memory) + comm + overhead",
        )
        if tick >= 0:
            fit_entry(self, tick, "A ms/token", "A")
        self.fit_pinned_legend()

    @staticmethod
    def _pinned_ms(d: Dashboard, a: Dashboard | None) -> list[float]:
        """A's time per output token at each of this scenario's loads (A is evaluated on them;
        nan where A has no such load), kept as the series "A step ms"; [] with none pinned."""
        if a is None:
            return []
        ms = dict(zip(a.loads, (a.step.time_s * 1e3).tolist(), strict=True))
        return [ms.get(v, math.nan) for v in d.loads]

    def _mark(self, d: Dashboard, i: int) -> tuple[str, RGB]:
        return BOUND_MARKS.get(str(d.run.decode_bound[i]), ("M", MEMORY))

    @staticmethod
    def _wall_position(top: float, loads: Sequence[float]) -> float | None:
        """Where a wall at load ``top`` falls between the bars of ``loads`` (1..n), by its log
        between their loads."""
        pos = load_positions(loads)
        if not (math.isfinite(top) and top > 0) or len(pos) < 2:
            return None
        x = math.log2(top)
        for k in range(len(pos) - 1):
            if pos[k] <= x < pos[k + 1]:
                return k + 1 + (x - pos[k]) / (pos[k + 1] - pos[k])
        return None

    def build_strips(self, width: int, height: int) -> list[Strip]:
        """Set the y range so that each row of the canvas is a whole share of the axis (row k
        spans k to k + 1 units: 0 at the canvas' bottom), build, and draw the bars on it."""
        if self.dashboard is None or not hasattr(self, "stacks"):
            return super().build_strips(width, height)
        rows = height - 5  # plotext's rows: the title, the frame, the tick labels, the labels
        for _ in range(2):  # built again if the canvas is not that tall
            tick = self.y_ticks[-1]
            unit = tick / (max(rows, 2) - 0.5)
            self.plt.ylim(unit / 2, tick)
            strips = super().build_strips(width, height)
            box = canvas_box(strips)
            if box is None or box[1] - box[0] - 1 == rows:
                break
            rows = box[1] - box[0] - 1
        if box is None or rows < 2 or box[3] - box[2] < 3:
            return strips
        _, bottom, left, right = box
        cols, n, d = right - left - 1, len(self.stacks), self.dashboard
        centres = [left + 1 + math.floor(0.5 + (cols - 1) * (k + 0.5) / n) for k in range(n)]
        self.bar_layout = {"unit": unit, "bottom": bottom - 1, "rows": rows, "columns": centres}
        slot = cols / max(n, 1)
        body = max(1, round(slot * 0.45))
        cells: dict[int, dict[int, Segment]] = {}
        bg = self.surface()
        for k, (stack, hidden) in enumerate(zip(self.stacks, self.hidden, strict=True)):
            x0 = centres[k] - body // 2
            columns = [(range(x0, x0 + body), stack, "█")]
            if slot >= body + 2:
                columns.append((range(x0 + body, x0 + body + 1), hidden, HATCH))
            for span, parts, full in columns:
                for row, seg in self._column(parts, unit, rows, bg, full):
                    line = cells.setdefault(bottom - 1 - row, {})
                    line.update(dict.fromkeys(span, seg))
            letter, color = self._mark(d, k)
            row = min(rows - 1, math.ceil(sum(v for _, v in stack) / unit - 1 / 16))
            ink = legible(color, bg)
            fg, back = (bg, ink) if k == d.selected else (ink, bg)
            style = Style(color=rich(fg), bgcolor=rich(back), bold=True)
            cells.setdefault(bottom - 1 - row, {})[centres[k]] = Segment(letter, style)
        if self.pinned_ms:
            side = 1 if slot >= body + 2 else 0  # the hatched column right of each bar
            taken = {c - body // 2 + j for c in centres for j in range(body + side)}
            self.bar_layout["A columns"] = self._pinned_cells(
                cells, (unit, bottom - 1, rows), centres, (body, left), taken
            )
        return [overlay(s, cells[r]) if r in cells else s for r, s in enumerate(strips)]

    def _pinned_cells(
        self,
        cells: dict[int, dict[int, Segment]],
        canvas: tuple[float, int, int],
        centres: list[int],
        bars: tuple[int, int],
        taken: set[int],
    ) -> list[list[int]]:
        """A's time per token at each bar: a line in the (up to two) free cells left of the
        bar, at the third of the row that holds it; the columns of each bar's line. ``canvas``:
        a row's ms, the canvas' bottom row and its rows; ``bars``: a bar's width, the frame's
        left column."""
        (unit, bottom, rows), (body, left) = canvas, bars
        bg = self.surface()
        style = Style(color=rich(legible(self.foreground(), bg)), bgcolor=rich(bg), bold=True)
        out: list[list[int]] = []
        for k, ms in enumerate(self.pinned_ms):
            x0 = centres[k] - body // 2
            free = [c for c in (x0 - 2, x0 - 1) if c > left and c not in taken]
            at = free or [x0]  # no gap at all: over the bar's first column
            out.append(at if math.isfinite(ms) else [])
            if not math.isfinite(ms):
                continue
            level = min(max(ms / unit, 0.0), rows - 1e-9)  # rows up from the canvas' bottom
            row = int(level)
            glyph = A_LEVELS[min(2, int((level - row) * 3))]
            cells.setdefault(bottom - row, {}).update(dict.fromkeys(at, Segment(glyph, style)))
        return out

    @staticmethod
    def _column(
        stack: list[tuple[str, float]], unit: float, rows: int, bg: RGB, full: str
    ) -> list[tuple[int, Segment]]:
        """The cells (row from the bottom, glyph) of a column of a stack, by the part under each
        eighth of a cell: the lower part is the glyph's colour and the one above its background,
        so a cell shows two; the stack's top cell is filled to its height in eighths."""
        edges = np.cumsum([v for _, v in stack]) / unit
        names = [p for p, _ in stack]
        height = min(rows, math.ceil(float(edges[-1]))) if len(edges) else 0
        eighths = np.arange(height)[:, None] + (np.arange(8)[None, :] + 0.5) / 8
        under = np.searchsorted(edges, eighths).tolist()  # the part under each eighth
        out = []
        for k, parts in enumerate(under):
            filled = sum(p < len(names) for p in parts)  # eighths under the stack's top
            if filled == 0:
                continue
            ink, back = legible(PARTS[names[parts[0]]], bg), bg
            level = next((j for j, p in enumerate(parts) if p != parts[0]), 8)
            if filled < 8:
                glyph = EIGHTHS[filled]
            elif level == 8:
                glyph = full
            else:
                glyph, back = EIGHTHS[level], legible(PARTS[names[parts[level]]], bg)
            out.append((k, Segment(glyph, Style(color=rich(ink), bgcolor=rich(back)))))
        return out


class CostChart(Chart):
    LABEL = "Cost"

    def draw(self, d: Dashboard) -> None:
        r = d.run
        xs = self.load_axis(d)
        out, inp = r.cost_per_1m_output_usd, r.cost_per_1m_input_usd
        positive = np.concatenate([out[out > 0], inp[inp > 0]])
        if positive.size == 0:  # free GPUs: nothing to draw on a log axis
            self.note = "Cost: the price per GPU-hour is 0"
            return
        a = self.pinned_on(d)
        lines = [("", r, xs, "hd")]
        if a is not None:  # A's dotted, under this scenario's
            lines.insert(0, ("A: ", a.run, load_positions(a.loads), "dot"))
            a_out, a_in = a.run.cost_per_1m_output_usd, a.run.cost_per_1m_input_usd
            positive = np.concatenate([positive, a_out[a_out > 0], a_in[a_in > 0]])
        lo, hi = float(positive.min()), float(positive.max())
        for prefix, run, at, marker in lines:
            for name, values, color in (
                ("$ / 1M output", run.cost_per_1m_output_usd, RED),
                ("$ / 1M input", run.cost_per_1m_input_usd, BLUE),
            ):
                drawn = np.log10(np.maximum(values, lo)).tolist()
                self.plot_series(prefix + name, at, values.tolist(), color, marker, drawn=drawn)
                if not prefix:
                    self.legend((SOLID, name, color))
        if a is not None:
            self.pinned_legend()
        self.log_axis("y", lo, hi, lambda v: f"${short(v)}")
        self.mark_wall(d)
        if a is not None:  # the y axis' ends, as log_axis sets them
            ends = round_125(max(lo, 1e-12), True), round_125(max(hi, lo * 1.0001), False)
            self.mark_pinned_wall(d, a, (math.log10(ends[0]), math.log10(ends[1])))
        i = d.selected
        self.mark_selected(
            d, xs[i], [(math.log10(max(float(v[i]), lo)), "left") for v in (out, inp)]
        )
        self.plt.ylabel("$ per 1M tokens (log)")
        s = d.scenario
        self.set_title(
            "Cost per 1M tokens",
            f"{count(s.gpus, 'GPU')} x ${s.price_per_gpu_hour:g}/h",
            f"gamma {s.gamma:g}",
        )
        self.fit_pinned_legend()


class ContextChart(Chart):
    LABEL = "Context"

    def draw(self, d: Dashboard) -> None:
        c, p, s = d.context, d.plan, d.scenario
        xs = np.log10(c.contexts).tolist()
        lo, hi = float(c.contexts[0]), float(c.contexts[-1])
        weights, work = p.weights_bytes / 1e9, p.reserve_bytes / 1e9
        limit = (p.weights_bytes + p.reserve_bytes + p.kv_budget_bytes) / 1e9
        total = weights + work + c.kv_bytes / 1e9
        wide = (self.size.width or 80) >= 64
        self.plt.subplots(1, 2)
        left = self.plt.subplot(1, 1)  # plotext: draw on the sub-figure, not the master
        # the axis ends a little above the usable memory: the KV past the wall runs off the top
        top = min(float(total.max()), max(limit * 1.25, weights + work))
        left.plot(xs, np.minimum(total, top).tolist(), color=MAGENTA, marker="sd", fillx=True)
        left.plot(xs, [weights + work] * len(xs), color=ORANGE, marker="sd", fillx=True)
        left.plot(xs, [weights] * len(xs), color=GREEN, marker="sd", fillx=True)
        self.series["memory GB"] = total.tolist()
        left.hline(limit, GREY)
        half = (self.size.width or 80) // 2
        self.log_axis("x", lo, hi, on=left, key="left x", cells=half)
        self.linear_axis("y", 0.0, max(top, limit), on=left, key="left y")
        left.xlabel("prompt tokens (log)")
        left.ylabel("GB per GPU")
        left.title(
            f"Memory of {p.capacity_bytes / 1e9:.1f} GB, batch {d.batch}" if wide else "Memory"
        )
        right = self.plt.subplot(1, 2)
        ms = (c.step_s * 1e3).tolist()
        tps = c.run.total_tokens_per_s.tolist()
        a = self.pinned_on(d)
        if a is not None:  # A's dotted, under this scenario's, over its own prompt lengths
            ax, am = np.log10(a.context.contexts).tolist(), (a.context.step_s * 1e3).tolist()
            at = a.context.run.total_tokens_per_s.tolist()
            self.plot_series("A: ms per token", ax, am, RED, "dot", on=right)
            self.plot_series("A: tok/s", ax, at, BLUE, "dot", yside="right", on=right)
            ms_top, tps_top = max(ms + am), max(tps + at)
        else:
            ms_top, tps_top = max(ms), max(tps)
        self.plot_series("ms per token", xs, ms, RED, on=right)
        self.plot_series("tok/s", xs, tps, BLUE, yside="right", on=right)
        self.log_axis("x", lo, hi, on=right, key="right x", cells=half)
        self.linear_axis("y", 0.0, ms_top, on=right, key="right y")
        self.linear_axis("y2", 0.0, tps_top, on=right, key="right y2")
        right.xlabel("prompt tokens (log)")
        right.ylabel("ms per token", yside="left")  # type: ignore[call-arg]
        right.ylabel("total tok/s", yside="right")  # type: ignore[call-arg]
        right.title(f"Per token, batch {d.batch}" if wide else "Time, tok/s")
        wall, prompt = d.context_wall, s.input_tokens
        self.marks["prompt"], self.marks["selected"] = float(prompt), float(d.batch)
        self.legend(
            ("██", "weights", GREEN),
            ("██", "workspace", ORANGE),
            ("██", f"KV, batch {d.batch}", MAGENTA),
            ("──", f"usable {limit:.1f} GB", GREY),
        )
        if lo <= wall <= hi:
            for sub in (left, right):
                sub.vline(math.log10(wall), GREY)
            self.marks["wall"] = float(wall)
            self.legend(("│", f"KV wall {wall:,} tokens", GREY))
        else:
            self.legend(("│", f"KV wall {short(float(f'{wall:.3g}'))}: off axis", GREY))
        for sub in (left, right):
            sub.vline(math.log10(prompt), FG)
        self.legend(
            ("│", f"prompt {prompt:,}", None),
            (SOLID, "ms/token, left", RED),
            (SOLID, "tok/s, right", BLUE),
        )
        if a is not None:
            self.pinned_legend(f", batch {a.batch}")
            fit_entry(self, len(self.legend_items) - 1, "A")
        self.fit_pinned_legend()
