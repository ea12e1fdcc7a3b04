"""The serving charts: throughput per GPU against the speed each user sees (one point per load),
and the latencies (time to first token, inter-token latency; mean and p99) over the load axis.
A static batch has neither: they say how to get one."""

from __future__ import annotations

import math

import numpy as np

from engine.physics.serving import ServingRun
from engine.views.dashboard import Dashboard
from tui.charts.base import (
    AXIS_UNITS,
    BLUE,
    CYAN,
    GREEN,
    GREY,
    ORANGE,
    REAL,
    YELLOW,
    Chart,
    log10_ticks,
    serving_run,
    short,
    time_label,
)

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
        plt.plot(xs, ys, color=REAL, marker="hd")  # no legend: it would sit on the top points
        unstable = [i for i, ok in enumerate(r.stable.tolist()) if not ok]
        if unstable:
            plt.scatter(
                [xs[i] for i in unstable], [ys[i] for i in unstable], color=GREY, marker="x"
            )
        i = d.selected
        plt.scatter([xs[i]], [ys[i]], color=GREEN, marker="O")
        hi_x, hi_y = max(xs), max(ys)
        width, height = self.size.width or 80, self.size.height or 20
        col = hi_x * 1.1 / max(width - 10, 10)  # one character cell, in data units
        row = hi_y * 1.2 / max(height - 5, 5)
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
        plt.xlim(0, hi_x * 1.1)
        plt.ylim(0, hi_y * 1.2)
        plt.xlabel("tok/s per user")
        plt.ylabel("tok/s per GPU")
        self.set_title(
            "Output tok/s per GPU vs tok/s per user",
            f"a point per {d.axis}",
            f"O: {d.axis} {point_label(d.axis, d.load)}",
            "x: above capacity" if unstable else "",
        )


class LatencyChart(Chart):
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
        values = [np.asarray(getattr(r, attr), dtype=np.float64) for _, attr, _, _ in self.SERIES]
        positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in values])
        lo = float(positive.min()) if positive.size else 1e-3
        hi = float(positive.max()) if positive.size else 1.0
        one = len(xs) == 1  # a lone point: a line of it is one cell, a dot is seen
        for (name, _, color, marker), v in zip(self.SERIES, values, strict=True):
            plt.plot(
                xs,
                np.log10(np.clip(v, lo, hi)).tolist(),
                color=color,
                marker=("●" if marker == "hd" else "○") if one else marker,
                label=name,
            )
        unstable = [i for i, ok in enumerate(r.stable.tolist()) if not ok]
        if unstable:
            ttft = np.log10(np.clip(values[2], lo, hi))
            plt.scatter(
                [xs[i] for i in unstable],
                [float(ttft[i]) for i in unstable],
                color=GREY,
                marker="x",
            )
        ticks, _ = log10_ticks(lo, hi)
        plt.yticks(ticks, [time_label(10**t) for t in ticks])
        wall = _wall_note(d, r) if self.mark_wall(d) else ""
        plt.ylabel("seconds (log)")
        self.set_title(
            f"Latency vs {d.axis}",
            wall,
            "x: above capacity (a finite run)" if unstable else "",
            "p99 dotted",
        )


def _wall_note(d: Dashboard, r: ServingRun) -> str:
    """What the grey line marks: the load at which the running batch reaches its wall (named
    after the one the points past it have reached)."""
    walls = [WALLS[w] for w in r.binding_wall.tolist() if w in WALLS and w != "compute"]
    at = f"{short(float(f'{r.wall:.3g}'))}{AXIS_UNITS.get(d.axis, '')}"
    return f"grey line: {walls[-1] + ' ' if walls else ''}wall at {at}"
