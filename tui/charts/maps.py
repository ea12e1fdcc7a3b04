"""The two maps of the article's analysis that are not over the load axis: boundness over (batch,
context), prefill's and decode's side by side, and the roofline at the selected batch. With a
scenario pinned (A), each draws A's too: its boundaries and its point on the same axes, its
prefill and decode points (and its roof where it is another), each named in the legend."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from engine.physics.sweeps import Boundness
from engine.views.dashboard import Dashboard, kv_wall_batch
from tui.charts.article import canvas_box, fit_entry, overlay
from tui.charts.base import DOTTED, SOLID, Chart, LegendItem, rich
from tui.charts.colours import COMPUTE, FG, GREY, MEMORY, RGB, SELECTED, legible
from tui.charts.ticks import decade_ticks, short

#: A's boundary line on the Boundness maps: hollow dots, seen on the grid's filled ones.
A_LINE = "○"
#: A's point (the Boundness maps, the roofline): the letter, as B's is an O.
A_POINT = "A"


def _within(values: npt.NDArray[np.float64], lo: float, hi: float) -> npt.NDArray[np.bool_]:
    """Which of ``values`` fall in [lo, hi] (a hair's tolerance: the axes' own ends)."""
    return np.isfinite(values) & (values >= lo * 0.9999) & (values <= hi * 1.0001)


class BoundnessChart(Chart):
    LABEL = "Boundness"

    def draw(self, d: Dashboard) -> None:
        g, s = d.grid, d.scenario
        lx, ly = np.log2(g.context), np.log2(g.batch)
        yy, xx = np.meshgrid(ly, lx, indexing="ij")
        here = (math.log2(s.input_tokens), math.log2(max(d.batch, 1)))
        wall = kv_wall_batch(d.plan, g.context, s.engine.block_size)
        inside = (wall >= g.batch[0]) & (wall <= g.batch[-1])
        self.series["KV wall batch"] = wall.tolist()
        self.marks["selected"], self.marks["prompt"] = float(d.batch), float(s.input_tokens)
        a = self.pinned_on(d)
        ag = a.grid if a is not None else None
        if a is not None and ag is not None:
            self.series["A context"] = ag.context.tolist()
        a_point = self._pinned_point(d, a)
        a_drawn = 0  # A's boundary points on these axes, both maps
        wide = (self.size.width or 80) >= 90
        self.plt.subplots(1, 2)
        for col, (name, mask, boundary) in enumerate(
            (
                ("Prefill", g.prefill_compute_bound, g.prefill_boundary),
                ("Decode", g.decode_compute_bound, g.decode_boundary),
            ),
            start=1,
        ):
            sub = self.plt.subplot(1, col)
            for bound, color in ((True, COMPUTE), (False, MEMORY)):
                sel = mask == bound
                if sel.any():
                    sub.scatter(xx[sel].tolist(), yy[sel].tolist(), color=color, marker="dot")
            if ag is not None:  # A's first: this scenario's lines over it where they meet
                a_drawn += self._pinned_boundary(sub, g, ag, name)
            line = np.isfinite(boundary) & (boundary >= g.batch[0]) & (boundary <= g.batch[-1])
            if line.any():
                sub.plot(lx[line].tolist(), np.log2(boundary[line]).tolist(), color=FG, marker="hd")
            if inside.any():
                sub.plot(
                    lx[inside].tolist(), np.log2(wall[inside]).tolist(), color=GREY, marker="hd"
                )
            if a_point is not None and a_point != here:
                sub.scatter([a_point[0]], [a_point[1]], color=FG, marker=A_POINT)
            sub.scatter([here[0]], [here[1]], color=SELECTED, marker="O")
            for axis, values in (("x", g.context), ("y", g.batch)):
                lo, hi = float(values[0]), float(values[-1])
                ticks = [
                    t for t in decade_ticks(lo, hi, 6) if lo <= t * 1.0001 and t <= hi * 1.0001
                ]
                self.set_ticks(
                    axis, ticks, positions=np.log2(ticks).tolist(), on=sub, key=f"{name} {axis}"
                )
            sub.xlabel("context (log)")
            sub.ylabel("batch (log)")
            sub.title(f"{name}: batch vs context" if wide else name)
        self.legend(
            (DOTTED, "compute-bound", COMPUTE),
            (DOTTED, "memory-bound", MEMORY),
            (SOLID, "boundary", None),
            *([(SOLID, "KV wall: most that fit", GREY)] if inside.any() else []),
            ("O", f"your prompt, batch {d.batch}", SELECTED),
        )
        if a is not None and ag is not None:
            at_o = a_point is not None and a_point == here
            where = "at the O" if at_o else ("" if a_point is not None else "off these axes")
            point = f"A's prompt, batch {a.batch}" + (f": {where}" if where else "")
            self._pinned_legend(g, ag, a_drawn, point)
            fit_entry(self, len(self.legend_items) - 1, where or "A's prompt")
        self.fit_pinned_legend()

    def _pinned_point(self, d: Dashboard, a: Dashboard | None) -> tuple[float, float] | None:
        """A's prompt and batch on the maps (log2), where they fall on this scenario's axes."""
        if a is None:
            return None
        g, prompt = d.grid, float(a.scenario.input_tokens)
        self.marks["A selected"], self.marks["A prompt"] = float(a.batch), prompt
        if g.context[0] <= prompt <= g.context[-1] and g.batch[0] <= a.batch <= g.batch[-1]:
            return math.log2(prompt), math.log2(a.batch)
        return None

    def _pinned_boundary(self, sub: Any, g: Boundness, ag: Boundness, name: str) -> int:
        """A's boundary on map ``name``, where it falls on this scenario's axes (the batch at
        which A's step turns compute-bound, at each of A's contexts); how many points."""
        boundary = ag.prefill_boundary if name == "Prefill" else ag.decode_boundary
        self.series[f"A {name} boundary"] = boundary.tolist()
        on = _within(ag.context, g.context[0], g.context[-1]) & _within(
            boundary, g.batch[0], g.batch[-1]
        )
        if on.any():
            xs, ys = np.log2(ag.context[on]).tolist(), np.log2(boundary[on]).tolist()
            sub.plot(xs, ys, color=FG, marker=A_LINE)
        return int(on.sum())

    def _pinned_legend(self, g: Boundness, ag: Boundness, drawn: int, point: str) -> None:
        assert self.pinned is not None
        same = all(
            len(x) == len(y) and bool(np.allclose(x, y))
            for x, y in ((g.context, ag.context), (g.batch, ag.batch))
        )
        lines = "boundary" if same else "boundary, where on these axes"
        if not drawn:
            lines = "boundary off these axes (not drawn)"
        self.legend((A_LINE * 2, f"A {self.pinned.label}: {lines}", None))
        self.legend((A_POINT, point, None))


class RooflineChart(Chart):
    LABEL = "Roofline"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.pinned_points: list[RGB] = []  # the colours of A's points drawn
        self.beside: list[RGB] = []  # those drawn beside this scenario's O (build_strips)

    def draw(self, d: Dashboard) -> None:
        plt, rf = self.plt, d.roofline
        a = self.pinned_on(d)
        af = a.roofline if a is not None else None
        most_ai = max(rf.prefill_ai, af.prefill_ai if af is not None else 0.0)
        ai = np.geomspace(0.1, max(1e4, most_ai * 4), 80)
        roof = np.minimum(rf.peak_flops, ai * rf.bandwidth)
        lows, peaks = [float(roof[0]), rf.decode_flops_per_s], [rf.peak_flops]
        other_roof = af is not None and (af.peak_flops, af.bandwidth) != (
            rf.peak_flops,
            rf.bandwidth,
        )
        if af is not None and other_roof:  # A's dotted, under this scenario's
            a_roof = np.minimum(af.peak_flops, ai * af.bandwidth)
            xs, drawn = np.log10(ai).tolist(), np.log10(a_roof).tolist()
            self.plot_series("A roof", xs, a_roof.tolist(), FG, "dot", drawn=drawn)
            lows.append(float(a_roof[0]))
            peaks.append(af.peak_flops)
        self.plot_series(
            "roof", np.log10(ai).tolist(), roof.tolist(), FG, drawn=np.log10(roof).tolist()
        )
        self.legend((SOLID, "roof: min(peak, AI x bandwidth)", None))
        plt.vline(math.log10(rf.balance), GREY)
        self.legend(("│", f"machine balance {rf.balance:,.0f} FLOP/B", GREY))
        self.pinned_points, self.beside = [], []
        sides = [("", "O", rf)] if af is None else [("A ", A_POINT, af), ("", "O", rf)]
        entries: dict[str, list[LegendItem]] = {}
        for prefix, marker, of in sides:  # A's first: this scenario's O over it where they meet
            entries[prefix] = []
            for name, x, y, color in (
                ("prefill", of.prefill_ai, of.prefill_flops_per_s, COMPUTE),
                ("decode", of.decode_ai, of.decode_flops_per_s, MEMORY),
            ):
                if x > 0 and y > 0:
                    plt.scatter([math.log10(x)], [math.log10(y)], color=color, marker=marker)
                    self.series[prefix + name] = [float(y)]
                    entries[prefix].append((marker, f"{name}: AI {x:,.0f} FLOP/B", color))
                    if prefix:
                        lows.append(y)
                        self.pinned_points.append(color)
        self.legend(*entries[""], *entries.get("A ", []))  # "A prefill: AI ...", under B's
        self.marks["selected"] = float(d.batch)
        if a is not None and af is not None:
            assert self.pinned is not None
            self.marks["A selected"] = float(a.batch)
            at = "" if a.batch == d.batch else f", batch {a.batch}"
            roof_of_a = (DOTTED, "roof") if other_roof else (SOLID, "the same roof")
            self.legend((roof_of_a[0], f"A {self.pinned.label}: {roof_of_a[1]}{at}", None))
        lo = min(v for v in lows if v > 0) / 2
        self.log_axis("y", lo, max(peaks) * 1.5, lambda v: f"{short(v)}FLOP/s")
        self.log_axis("x", float(ai[0]), float(ai[-1]))
        plt.xlabel("arithmetic intensity, FLOPs per byte (log)")
        plt.ylabel("FLOP/s per GPU (log)")
        self.set_title(f"Roofline at batch {d.batch}", f"{d.scenario.mode} mode")
        if a is not None:  # the roof's formula, then the balance's words, left out if need be
            fit_entry(self, 0, "roof")
            fit_entry(self, 1, f"balance {rf.balance:,.0f} FLOP/B")
        self.fit_pinned_legend()

    def build_strips(self, width: int, height: int) -> list[Strip]:
        """The plot; where a point of A's falls in the cell of this scenario's point of the same
        colour (the O drawn over it), A's letter beside the O, in the next free cell: seen."""
        strips = super().build_strips(width, height)
        box = canvas_box(strips)
        if box is None or not self.pinned_points:
            return strips
        top, bottom, left, right = box
        bg, self.beside = self.surface(), []
        for colour in self.pinned_points:
            ink = legible(colour, bg)
            found = {
                glyph: (row, col)
                for row in range(top + 1, bottom)
                for col, glyph in _cells_of(strips[row], ink, left, right)
            }
            if A_POINT in found or "O" not in found:
                continue  # seen, or not drawn at all
            row, col = found["O"]
            text = strips[row].text
            free = [  # an empty cell, else one of A's own roof's dots
                c
                for blank in (" ", "•")
                for c in (col + 1, col - 1)
                if left < c < right and text[c] == blank
            ]
            if free:
                style = Style(color=rich(ink), bgcolor=rich(bg))
                strips[row] = overlay(strips[row], {free[0]: Segment(A_POINT, style)})
                self.beside.append(colour)
        return strips


def _cells_of(strip: Strip, ink: RGB, left: int, right: int) -> list[tuple[int, str]]:
    """The columns (inside the frame) and glyphs of ``strip``'s O and A cells in colour ``ink``."""
    out, col = [], 0
    for seg in strip:
        colour = seg.style.color if seg.style else None
        rgb = colour.get_truecolor() if colour is not None else None
        for ch in seg.text:
            if (
                left < col < right
                and ch in (A_POINT, "O")
                and rgb is not None
                and tuple(rgb) == ink
            ):
                out.append((col, ch))
            col += 1
    return out
