"""Everything the app shows for one scenario, computed in one call.

The app keeps no numbers of its own: it asks for a :class:`Dashboard` whenever the scenario
changes and draws it. Each part is a handful of vectorised engine calls (a few ms in all).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import numpy.typing as npt

from engine.arch import (
    decode_flops_coefficients,
    kv_bytes_per_token,
    parameter_count,
    prefill_flops,
    weight_bytes,
)
from engine.batch import BatchRun, run
from engine.errors import InputError
from engine.memory import MemoryPlan, check_fits, memory_plan, min_gpus
from engine.scenario import Efficiency, Scenario, with_mode
from engine.sweeps import Boundness, ContextSweep, boundness, context_sweep

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Roofline:
    peak_flops: float  # per GPU, at the compute precision (ideal)
    bandwidth: float  # per GPU, bytes/s (ideal)
    balance: float  # peak / bandwidth, FLOPs per byte
    prefill_ai: float  # arithmetic intensity at the selected batch
    decode_ai: float
    prefill_flops_per_s: float  # achieved, per GPU, in the scenario's mode
    decode_flops_per_s: float


@dataclass(frozen=True)
class Dashboard:
    """The numbers of one scenario. The summary's are computed at once; each chart's part only
    when that chart asks for it (cached), so a change redraws the visible chart fast."""

    scenario: Scenario
    plan: MemoryPlan
    min_gpus: int | None
    params: int
    weight_bytes: int
    kv_bytes_per_token: int
    fit_error: str | None  # why not even one sequence fits, or None
    run: BatchRun  # the scenario's mode, over its batch sizes
    selected: int  # index into the batch sizes
    realistic_efficiency: Efficiency | None = None  # for the realistic line in ideal mode

    @property
    def batch(self) -> int:
        return self.scenario.batch_sizes[self.selected]

    @cached_property
    def other(self) -> BatchRun:
        """The other mode, for comparison lines."""
        s = self.scenario
        other_mode = "ideal" if s.mode == "realistic" else "realistic"
        other = with_mode(s, other_mode)
        if other_mode == "realistic" and self.realistic_efficiency is not None:
            other = replace(other, efficiency=self.realistic_efficiency)
        return run(other)

    @property
    def realistic(self) -> BatchRun:
        return self.run if self.scenario.mode == "realistic" else self.other

    @property
    def ideal(self) -> BatchRun:
        return self.other if self.scenario.mode == "realistic" else self.run

    @cached_property
    def context(self) -> ContextSweep:
        """At the selected batch, in the scenario's mode."""
        return context_sweep(self.scenario, self.batch, context_points(self.scenario))

    @cached_property
    def grid(self) -> Boundness:
        gb, gc = grid_axes(self.scenario)
        return boundness(self.scenario, gb, gc)

    @cached_property
    def roofline(self) -> Roofline:
        s, main, i = self.scenario, self.run, self.selected
        peak = s.gpu.peak(s.weight_dtype)
        bw = s.gpu.memory_bandwidth
        pf_time = float(main.prefill_s[i])
        step_time = float(main.tpot_s[i])
        tokens = float(np.ceil(self.batch / s.replicas))
        pf_flops = tokens * float(prefill_flops(s.model, s.input_tokens, s.flop_count)) / s.tp
        a, b = decode_flops_coefficients(s.model)
        mean_l = s.input_tokens + s.output_tokens / 2
        dec_flops = float(main.concurrent[i]) * (a + b * mean_l) / s.tp
        return Roofline(
            peak_flops=peak,
            bandwidth=bw,
            balance=peak / bw,
            prefill_ai=float(main.prefill_ai[i]),
            decode_ai=float(main.decode_ai[i]),
            prefill_flops_per_s=pf_flops / pf_time if pf_time > 0 else 0.0,
            decode_flops_per_s=dec_flops / step_time if step_time > 0 else 0.0,
        )


def context_points(s: Scenario, n: int = 24) -> Array:
    """Prompt lengths from 128 tokens (or fewer) up to what the model's context leaves for the
    output, spaced evenly on a log scale, always including the scenario's own."""
    top = max(1, s.model.max_context - s.output_tokens)
    low = min(128, top)
    pts = np.unique(np.round(np.geomspace(low, top, n)))
    return np.unique(np.append(pts, s.input_tokens)).astype(np.float64)


def grid_axes(s: Scenario, n: int = 24) -> tuple[Array, Array]:
    """Batch sizes 1 .. 4 x the largest in the scenario, and contexts 16 .. the model's maximum,
    both log-spaced: the span over which prefill and decode change boundness."""
    top_batch = max(max(s.batch_sizes) * 4, 64)
    batches = np.unique(np.round(np.geomspace(1, top_batch, n)))
    contexts = np.unique(np.round(np.geomspace(16, s.model.max_context, n)))
    return batches.astype(np.float64), contexts.astype(np.float64)


def build(
    s: Scenario, selected_batch: int | None = None, realistic: Efficiency | None = None
) -> Dashboard:
    """All the app's numbers for ``s``; ``selected_batch`` picks the summary's batch (nearest);
    ``realistic`` gives the factors of the realistic line when ``s`` is in ideal mode."""
    plan = memory_plan(s)
    try:
        check_fits(s, plan)
        fit_error = None
    except InputError as exc:
        fit_error = str(exc)
    batches = np.array(s.batch_sizes, dtype=np.float64)
    if selected_batch is None:
        fitting = [i for i, b in enumerate(s.batch_sizes) if b <= plan.max_batch]
        selected = fitting[len(fitting) // 2] if fitting else 0
    else:
        selected = int(np.argmin(np.abs(np.log(batches) - np.log(max(selected_batch, 1)))))
    return Dashboard(
        scenario=s,
        plan=plan,
        min_gpus=min_gpus(s),
        params=parameter_count(s.model),
        weight_bytes=weight_bytes(s.model, s.weight_dtype),
        kv_bytes_per_token=int(kv_bytes_per_token(s.model, s.kv_dtype)),
        fit_error=fit_error,
        run=run(s),
        selected=selected,
        realistic_efficiency=realistic,
    )
