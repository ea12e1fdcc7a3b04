"""The six charts, one PlotextPlot subclass each, drawn from an engine Dashboard.

Every chart uses its widget's own ``plt`` (never the global plotext module), clears and redraws
in :meth:`Chart.replot`, then refreshes. Log scales crash textual-plotext on re-render, so log axes
are drawn as log2/log10 of the values on a linear axis with readable tick labels.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np
from textual.strip import Strip
from textual_plotext import PlotextPlot

from engine.storage.preset_format import CHARTS
from engine.views.dashboard import Dashboard
from tui.ansi import ansi_to_strips

# 24-bit colours: named ones are remapped by terminal palettes and themes.
BLUE, CYAN, ORANGE, YELLOW = (66, 135, 245), (0, 200, 215), (255, 145, 30), (240, 210, 60)
RED, GREEN, MAGENTA, GREY = (235, 60, 60), (60, 190, 90), (200, 90, 220), (140, 140, 140)
REAL, IDEAL, REQ, REQ_IDEAL = BLUE, CYAN, ORANGE, YELLOW
COMPUTE, MEMORY, FG = BLUE, RED, "default"
Measured = Sequence[tuple[float, float]]  # (batch, total tokens/s) points


def log2_ticks(values: Sequence[float]) -> tuple[list[float], list[str]]:
    vals = sorted({float(v) for v in values if v > 0})
    return [math.log2(v) for v in vals], [_short(v) for v in vals]


def pow2_ticks(lo: float, hi: float, most: int = 9) -> tuple[list[float], list[str]]:
    """Powers of two between lo and hi (thinned to at most ``most``), on a log2 axis, labelled
    the way token counts are spoken: 512, 1k, 8k, 128k."""
    a, b = math.ceil(math.log2(max(lo, 1e-9))), math.floor(math.log2(max(hi, lo * 2)))
    exps = list(range(a, b + 1)) or [a]
    step = max(1, math.ceil(len(exps) / most))
    exps = exps[::step]
    return [float(e) for e in exps], [_pow2_label(e) for e in exps]


def _pow2_label(e: int) -> str:
    if e >= 20:
        return f"{2 ** (e - 20)}M"
    if e >= 10:
        return f"{2 ** (e - 10)}k"
    return f"{2**e:g}" if e >= 0 else f"{2.0**e:g}"


def log10_ticks(lo: float, hi: float, fmt: str = "{}") -> tuple[list[float], list[str]]:
    """1-2-5 ticks between lo and hi, on a log10 axis."""
    lo, hi = max(lo, 1e-12), max(hi, lo * 1.0001)
    ticks: list[float] = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo / 1.0001 <= v <= hi * 1.0001:
                ticks.append(v)
    if len(ticks) > 7:
        ticks = [t for t in ticks if f"{t:.0e}".startswith("1")]
    if len(ticks) < 2:
        ticks = [lo, hi]
    return [math.log10(t) for t in ticks], [fmt.format(_short(t)) for t in ticks]


def _short(v: float) -> str:
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    if abs(v) >= 1 or v == 0:
        return f"{v:g}"
    return f"{v:.2g}"


#: How the x axis of a load is labelled.
AXIS_LABELS = {"batch": "batch size (requests, log scale)"}


class Chart(PlotextPlot):
    """Base: a chart that knows how to draw itself from a Dashboard."""

    ALLOW_MAXIMIZE = True
    LABEL = ""  # the tab's label

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dashboard: Dashboard | None = None
        self.measured: Measured = ()
        self.draws = 0  # how many times the chart was rebuilt (tests and benchmarks read it)
        self.last_render = 0.0
        self._strips: list[Strip] = []
        self._built_for: tuple[object, ...] = ()

    def render_line(self, y: int) -> Strip:
        """The line API: the plot is built only when its data, size or theme changed (not on
        every repaint), and turned straight into strips (PlotextPlot renders a Text, which
        Textual must convert again at every repaint: ~5x slower for a large chart)."""
        key = (self.size, self.app.theme, self.draws)
        if key != self._built_for:
            width, height = self.size
            self.plt.plotsize(width, height)
            self.plt._set_size(width, height)  # as PlotextPlot.render: resizing needs both
            self.plt.theme(self._get_plotext_theme_name(self.app.theme))
            self._strips = ansi_to_strips(self.plt.build(), width)
            self._built_for = key
            self.last_render = time.perf_counter()  # benchmarks: when the chart was last drawn
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    def show(self, d: Dashboard, measured: Measured = ()) -> None:
        self.dashboard, self.measured = d, measured
        plt = self.plt
        plt.clear_figure()
        self.draw(d)
        self.draws += 1
        self.refresh()

    def draw(self, d: Dashboard) -> None:  # pragma: no cover - every chart overrides it
        raise NotImplementedError

    def set_title(self, *parts: str) -> None:
        """The first part always; the others while they fit the chart's width."""
        room = max(20, (self.size.width or 80) - 4)
        text = parts[0]
        for part in parts[1:]:
            if part and len(text) + 3 + len(part) <= room:
                text += " · " + part
        self.plt.title(text)

    def load_axis(self, d: Dashboard) -> list[float]:
        """The x axis: the scenario's load (batch sizes), on a log2 scale."""
        xs = [math.log2(b) for b in d.loads]
        ticks, labels = log2_ticks(d.loads)
        self.plt.xticks(ticks, labels)
        self.plt.xlabel(AXIS_LABELS.get(d.axis, f"{d.axis} (log scale)"))
        return xs

    def mark_wall(self, d: Dashboard) -> None:
        """A vertical line where the KV cache runs out, when it falls inside the sweep."""
        top = d.run.wall
        if 1 <= top < d.loads[-1]:
            self.plt.vline(math.log2(top), GREY)


class ThroughputChart(Chart):
    LABEL = "Throughput"

    def draw(self, d: Dashboard) -> None:
        plt = self.plt
        xs = self.load_axis(d)
        real, ideal = d.realistic, d.ideal
        plt.plot(xs, real.total_tokens_per_s.tolist(), color=REAL, marker="hd", label="total")
        plt.plot(
            xs, ideal.total_tokens_per_s.tolist(), color=IDEAL, marker="dot", label="total, ideal"
        )
        plt.plot(
            xs,
            real.per_request_tokens_per_s.tolist(),
            color=REQ,
            marker="hd",
            yside="right",
            label="per request",
        )
        plt.plot(
            xs,
            ideal.per_request_tokens_per_s.tolist(),
            color=REQ_IDEAL,
            marker="dot",
            yside="right",
            label="per req., ideal",
        )
        out = [
            (x, y)
            for x, y, ok in zip(xs, d.run.total_tokens_per_s, d.run.fits, strict=True)
            if not ok
        ]
        if out:
            plt.scatter([p[0] for p in out], [float(p[1]) for p in out], color=GREY, marker="x")
        if self.measured:
            mx = [math.log2(b) for b, _ in self.measured]
            plt.scatter(
                mx, [t for _, t in self.measured], color=GREEN, marker="+", label="measured"
            )
        self.mark_wall(d)
        plt.ylabel("total output tok/s", yside="left")  # type: ignore[call-arg]
        plt.ylabel("tok/s per request", yside="right")  # type: ignore[call-arg]
        self.set_title(
            "Output tokens/s vs batch",
            f"{d.scenario.mode} solid, ideal dotted",
            f"x: past the {d.plan.max_batch}-sequence KV wall" if out else "",
        )


class BottleneckChart(Chart):
    LABEL = "Bottlenecks"

    SEGMENTS = (
        ("compute", "step_compute_s", BLUE),
        ("weights", "step_weights_s", GREEN),
        ("KV cache", "step_kv_s", MAGENTA),
        ("comm", "step_comm_s", ORANGE),
        ("overhead", "step_overhead_s", GREY),
    )

    def draw(self, d: Dashboard) -> None:
        plt, r = self.plt, d.run
        labels = [_short(b) for b in d.loads]
        parts = [(getattr(r, attr) * 1e3).tolist() for _, attr, _ in self.SEGMENTS]
        plt.stacked_bar(  # type: ignore[call-arg]  # plotext's own stub is out of date
            labels,
            parts,
            labels=[n for n, _, _ in self.SEGMENTS],
            color=[c for _, _, c in self.SEGMENTS],  # type: ignore[arg-type]
            width=0.6,
        )
        tops = np.sum(np.array(parts), axis=0)
        for i, (bound, top) in enumerate(zip(r.decode_bound, tops, strict=True)):
            mark = "C" if bound == "compute" else ("N" if bound == "communication" else "M")
            color = COMPUTE if bound == "compute" else (REQ if mark == "N" else MEMORY)
            plt.text(mark, i + 1, float(top) * 1.06, color=color, alignment="center")
        plt.ylim(0, float(max(tops)) * 1.18)
        plt.xlabel("batch size (requests)")
        plt.ylabel("ms per decode step")
        self.set_title("Decode step by resource", "C compute-bound (blue)", "M memory-bound (red)")


class CostChart(Chart):
    LABEL = "Cost"

    def draw(self, d: Dashboard) -> None:
        plt, r = self.plt, d.run
        xs = self.load_axis(d)
        out, inp = r.cost_per_1m_output_usd, r.cost_per_1m_input_usd
        positive = np.concatenate([out[out > 0], inp[inp > 0]])
        if positive.size == 0:  # free GPUs: nothing to draw on a log axis
            plt.title("Cost: the price per GPU-hour is 0")
            return
        lo, hi = float(positive.min()), float(positive.max())
        safe = max(lo, 1e-12)
        plt.plot(
            xs,
            np.log10(np.maximum(out, safe)).tolist(),
            color=RED,
            marker="hd",
            label="$ / 1M output",
        )
        plt.plot(
            xs,
            np.log10(np.maximum(inp, safe)).tolist(),
            color=GREEN,
            marker="hd",
            label="$ / 1M input",
        )
        ticks, labels = log10_ticks(lo, hi, "${}")
        plt.yticks(ticks, labels)
        self.mark_wall(d)
        plt.ylabel("$ per 1M tokens")
        s = d.scenario
        self.set_title(
            "Cost per 1M tokens",
            f"{s.gpus} GPU x ${s.price_per_gpu_hour:g}/h",
            f"gamma {s.gamma:g}",
        )


class ContextChart(Chart):
    LABEL = "Context"

    def draw(self, d: Dashboard) -> None:
        c = d.context
        xs = np.log2(c.contexts).tolist()
        ticks, labels = pow2_ticks(float(c.contexts[0]), float(c.contexts[-1]), most=5)
        self.plt.subplots(1, 2)
        left = self.plt.subplot(1, 1)  # plotext: draw on the sub-figure, not the master
        left.plot(
            xs,
            (c.kv_bytes / 1e9).tolist(),
            color=MAGENTA,
            marker="hd",
            label=f"KV, batch {d.batch}",
        )
        left.hline(c.weight_bytes / 1e9, GREEN)
        left.hline(d.plan.usable_bytes / 1e9, GREY)
        left.xticks(ticks, labels)
        left.xlabel("prompt tokens (log)")
        left.ylabel("GB per GPU")
        wide = (self.size.width or 80) >= 90
        left.title("KV vs weights (green)" if wide else "KV cache")
        right = self.plt.subplot(1, 2)
        right.plot(xs, (c.step_s * 1e3).tolist(), color=RED, marker="hd", label="ms/token")
        right.plot(
            xs,
            c.run.total_tokens_per_s.tolist(),
            color=REAL,
            marker="hd",
            yside="right",
            label="tok/s",
        )
        right.xticks(ticks, labels)
        right.xlabel("prompt tokens (log)")
        right.ylabel("ms per token", yside="left")  # type: ignore[call-arg]
        right.ylabel("total tok/s", yside="right")  # type: ignore[call-arg]
        right.title(f"Per-token time, tok/s @ batch {d.batch}" if wide else "Time, tok/s")


class BoundnessChart(Chart):
    LABEL = "Boundness"

    def draw(self, d: Dashboard) -> None:
        g = d.grid
        lx, ly = np.log2(g.context), np.log2(g.batch)
        xt, xl = pow2_ticks(float(g.context[0]), float(g.context[-1]), most=5)
        yt, yl = pow2_ticks(float(g.batch[0]), float(g.batch[-1]), most=6)
        yy, xx = np.meshgrid(ly, lx, indexing="ij")
        here = (math.log2(d.scenario.input_tokens), math.log2(d.batch))
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
            line = np.isfinite(boundary) & (boundary >= g.batch[0]) & (boundary <= g.batch[-1])
            if line.any():
                sub.plot(
                    lx[line].tolist(), np.log2(boundary[line]).tolist(), color=FG, marker="braille"
                )
            sub.scatter([here[0]], [here[1]], color=GREEN, marker="O")
            sub.xticks(xt, xl)
            sub.yticks(yt, yl)
            sub.xlabel("context (log)")
            sub.ylabel("batch (log)")
            wide = (self.size.width or 80) >= 90
            sub.title(f"{name}: compute blue, memory red" if wide else name)


class RooflineChart(Chart):
    LABEL = "Roofline"

    def draw(self, d: Dashboard) -> None:
        plt, rf = self.plt, d.roofline
        ai = np.geomspace(0.1, max(1e4, rf.prefill_ai * 4), 80)
        roof = np.minimum(rf.peak_flops, ai * rf.bandwidth)
        plt.plot(
            np.log10(ai).tolist(),
            np.log10(roof).tolist(),
            color=FG,
            marker="braille",
            label="roof: min(peak, AI x bandwidth)",
        )
        plt.vline(math.log10(rf.balance), GREY)
        for name, x, y, color in (
            ("prefill", rf.prefill_ai, rf.prefill_flops_per_s, COMPUTE),
            ("decode", rf.decode_ai, rf.decode_flops_per_s, MEMORY),
        ):
            if x > 0 and y > 0:
                plt.scatter(
                    [math.log10(x)],
                    [math.log10(y)],
                    color=color,
                    marker="O",
                    label=f"{name}: AI {x:,.0f} FLOP/B",
                )
        lo = min(float(roof[0]), rf.decode_flops_per_s or float(roof[0])) / 2
        yt, yl = log10_ticks(lo, rf.peak_flops * 1.5, "{}FLOP/s")
        xt, xlab = log10_ticks(float(ai[0]), float(ai[-1]))
        plt.xticks(xt, xlab)
        plt.yticks(yt, yl)
        plt.xlabel("arithmetic intensity, FLOPs per byte (log)")
        plt.ylabel("FLOP/s per GPU (log)")
        self.set_title(
            f"Roofline at batch {d.batch}", f"machine balance {rf.balance:,.0f} FLOP/B (grey)"
        )


CHART_CLASSES: dict[str, type[Chart]] = {
    "throughput": ThroughputChart,
    "bottlenecks": BottleneckChart,
    "cost": CostChart,
    "context": ContextChart,
    "boundness": BoundnessChart,
    "roofline": RooflineChart,
}
#: The chart tabs, in order: every chart a preset may name (engine.storage.preset_format.CHARTS)
#: with its label.
CHART_TABS: tuple[tuple[str, str], ...] = tuple((c, CHART_CLASSES[c].LABEL) for c in CHARTS)
