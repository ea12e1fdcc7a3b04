"""The six charts of the article's analysis: throughput, decode bottlenecks and cost over the load
axis; the KV cache over the context, boundness over (batch, context), and the roofline."""

from __future__ import annotations

import math

import numpy as np

from engine.views.dashboard import Dashboard
from tui.charts.base import (
    AXIS_NAMES,
    BLUE,
    COMPUTE,
    FG,
    GREEN,
    GREY,
    IDEAL,
    MAGENTA,
    MEMORY,
    ORANGE,
    REAL,
    RED,
    REQ,
    REQ_IDEAL,
    Chart,
    log10_ticks,
    pow2_ticks,
    serving_run,
    short,
)


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
        if serving_run(d) is not None:
            past = "x: above capacity, no steady state"
        else:
            past = f"x: past the {d.plan.max_batch}-sequence KV wall"
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
            f"Output tokens/s vs {d.axis}",
            f"{d.scenario.mode} solid, ideal dotted",
            past if out else "",
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
        labels = [short(b) for b in d.loads]
        n = len(d.loads)  # a part the same at every load may be one number (comm on one GPU)
        parts = [
            np.broadcast_to(np.asarray(getattr(r, attr)) * 1e3, (n,)).tolist()
            for _, attr, _ in self.SEGMENTS
        ]
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
        plt.xlabel(AXIS_NAMES.get(d.axis, d.axis))
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
        here = (math.log2(d.scenario.input_tokens), math.log2(max(d.batch, 1)))
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
