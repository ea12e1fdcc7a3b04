"""The serving charts: throughput per GPU against the speed each user sees (one point per load),
and the latencies (time to first token, inter-token latency; mean and p99) over the load axis.
A static batch has neither: they say how to get one."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from engine.views.dashboard import Dashboard
from tui.charts.base import AXIS_UNITS, DOTTED, SOLID, Chart, load_positions, serving_run
from tui.charts.colours import BLUE, CYAN, GREY, ORANGE, REAL, SELECTED, YELLOW
from tui.charts.ticks import round_125, short, time_label

if TYPE_CHECKING:
    from engine.physics.serving import ServingRun

STATIC_NOTE = (
    "The {chart} chart is for a serving load: choose concurrency, rate or offline as the load "
    "in the Workload pane (a static batch has no queue)."
)
#: What the binding wall of a serving point is called.
WALLS = {
    "sequences": "max-seqs",
    "kv": "KV cache",
    "token_budget": "token budget",
    "compute": "compute",
}


def point_label(axis: str, value: float) -> str:
    """A point of the load axis as a chart labels it: 8, 4/s, inf."""
    if math.isinf(value):
        return "inf"
    return f"{short(value)}{AXIS_UNITS.get(axis, '')}"


def label_groups(xs: list[float], ys: list[float]) -> list[tuple[int, int]]:
    """The points to label, as runs (first, last) of consecutive loads that fall on one spot
    (within a few percent of the axes: loads past the wall all run the same batch)."""
    dx = (max(xs) - min(xs)) or 1.0
    dy = (max(ys) - min(ys)) or 1.0
    groups: list[tuple[int, int]] = []
    for i in range(len(xs)):
        if groups:
            first = groups[-1][0]
            if abs(xs[i] - xs[first]) < 0.05 * dx and abs(ys[i] - ys[first]) < 0.08 * dy:
                groups[-1] = (first, i)
                continue
        groups.append((i, i))
    return groups


class ServingChart(Chart):
    LABEL = "Serving"

    def draw(self, d: Dashboard) -> None:
        r = serving_run(d)
        if r is None:
            self.note = STATIC_NOTE.format(chart=self.LABEL)
            return
        plt = self.plt
        xs = r.per_user_tokens_per_s.tolist()
        ys = r.output_tokens_per_s_per_gpu.tolist()
        a = self.pinned_on(d)
        a_run = serving_run(a) if a is not None else None
        ax = a_run.per_user_tokens_per_s.tolist() if a_run is not None else []
        ay = a_run.output_tokens_per_s_per_gpu.tolist() if a_run is not None else []
        if ax:  # A's, dotted, under this scenario's
            self.plot_series("A: tok/s per GPU", ax, ay, ORANGE, "dot")
        self.plot_series("tok/s per GPU", xs, ys, REAL)  # labelled points, the legend below
        self.series["tok/s per user"] = xs
        unstable = [i for i, ok in enumerate(r.stable.tolist()) if not ok]
        if unstable:
            plt.scatter(
                [xs[i] for i in unstable], [ys[i] for i in unstable], color=GREY, marker="x"
            )
        i = d.selected
        plt.scatter([xs[i]], [ys[i]], color=SELECTED, marker="O")
        self.marks["selected"] = d.load
        hi_x = self.linear_axis("x", 0.0, max(xs + ax) * 1.1)[-1]
        hi_y = self.linear_axis("y", 0.0, max(ys + ay) * 1.15)[-1]
        width, height = self.size.width or 80, self.size.height or 20
        col = hi_x / max(width - 10, 10)  # one character cell, in data units
        row = hi_y / max(height - 7, 5)
        labels = [point_label(d.axis, v) for v in d.loads]
        for first, last in label_groups(xs, ys):
            text = labels[first]
            if first != last:  # 8-16/s, 8/s-inf
                unit = AXIS_UNITS.get(d.axis, "")
                head = text.removesuffix(unit) if unit and labels[last].endswith(unit) else text
                text = f"{head}-{labels[last]}"
            # up and to the right (the curve falls from the upper left, so that side is free),
            # two cells over: never on the point's own cell, however the row rounds
            plt.text(text, xs[first] + 2 * col, ys[first] + 0.7 * row, color=GREY)
        plt.xlabel("tok/s per user")
        plt.ylabel("tok/s per GPU")
        self.legend(
            ("━━", f"a point per {d.axis}, labelled", REAL),
            ("O", f"{d.axis} {point_label(d.axis, d.load)} (selected)", SELECTED),
        )
        if unstable:
            self.legend(("x", "above capacity", GREY))
        if ax:
            self.legend((DOTTED, f"A {self.pinned.label if self.pinned else ''}", ORANGE))
        self.set_title("Output tok/s per GPU vs tok/s per user", f"a point per {d.axis}")
        self.fit_pinned_legend()


class LatencyChart(Chart):
    """TTFT and ITL over the load axis: the means solid, the p99s dotted; with a pinned scenario
    (A) on the same axis, A's means dotted in place of the p99s."""

    LABEL = "Latency"

    SERIES = (  # the p99s first: a mean drawn over its p99 where they meet stays seen
        ("TTFT p99", "ttft_p99_s", YELLOW, "dot"),
        ("ITL p99", "itl_p99_s", CYAN, "dot"),
        ("TTFT", "ttft_s", ORANGE, "hd"),
        ("ITL", "itl_s", BLUE, "hd"),
    )

    def draw(self, d: Dashboard) -> None:
        r = serving_run(d)
        if r is None:
            self.note = STATIC_NOTE.format(chart=self.LABEL)
            return
        plt = self.plt
        xs = self.load_axis(d)
        a = self.pinned_on(d)
        a_run = serving_run(a) if a is not None else None
        # (name, values, colour, marker, x positions)
        lines = [
            (n, np.asarray(getattr(r, at), dtype=np.float64), c, m, xs)
            for n, at, c, m in self.SERIES
        ]
        if a is not None and a_run is not None:
            ax = load_positions(a.loads)
            lines = [
                *(
                    (f"A: {n}", np.asarray(getattr(a_run, at), dtype=np.float64), c, "dot", ax)
                    for n, at, c, _ in self.SERIES[2:]
                ),
                *lines[2:],
            ]
        positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for _, v, _, _, _ in lines])
        lo = float(positive.min()) if positive.size else 1e-3
        hi = float(positive.max()) if positive.size else 1.0
        one = len(xs) == 1  # a lone point: a line of it is one cell, a dot is seen
        for name, v, color, marker, at in lines:
            self.plot_series(
                name,
                at,
                v.tolist(),
                color,
                ("●" if marker == "hd" else "○") if one else marker,
                drawn=np.log10(np.clip(v, lo, hi)).tolist(),
            )
        shown = lines if a is None else lines[2:]  # A's: one legend entry, below
        self.legend(*(((SOLID if m == "hd" else DOTTED), n, c) for n, _, c, m, _ in shown[::-1]))
        if a is not None:
            self.pinned_legend(" (means)")
        unstable = [i for i, ok in enumerate(r.stable.tolist()) if not ok]
        ttft = np.log10(np.clip(r.ttft_s, lo, hi))
        if unstable:
            plt.scatter(
                [xs[i] for i in unstable],
                [float(ttft[i]) for i in unstable],
                color=GREY,
                marker="x",
            )
            self.legend(("x", "above capacity (a finite run)", GREY))
        self.log_axis("y", lo, hi, time_label)
        i = d.selected
        itl = float(np.log10(np.clip(r.itl_s[i], lo, hi)))
        self.mark_selected(d, xs[i], [(float(ttft[i]), "left"), (itl, "left")])
        self.mark_wall(d, name=_wall_name(r))
        if a is not None and a_run is not None:  # the y axis' ends, as log_axis sets them
            ends = round_125(max(lo, 1e-12), True), round_125(max(hi, lo * 1.0001), False)
            span = (math.log10(ends[0]), math.log10(ends[1]))
            self.mark_pinned_wall(d, a, span, name=_wall_name(a_run))
        plt.ylabel("seconds (log)")
        dots = "p99" if a is None else "A (pinned)"
        self.set_title(f"Latency vs {d.axis}", f"mean solid, {dots} dotted")
        self.fit_pinned_legend()


def _wall_name(r: ServingRun) -> str:
    """What the grey line marks: the load at which the running batch reaches its wall (named
    after the one the points past it have reached)."""
    walls = [WALLS[w] for w in r.binding_wall.tolist() if w in WALLS and w != "compute"]
    return f"{walls[-1]} wall" if walls else "wall"
