"""Everything the app shows for one scenario, computed in one call: the app's view model.

The app keeps no numbers of its own: it asks for a :class:`Dashboard` whenever the scenario
changes and draws it. Each part is a handful of vectorised engine calls (a few ms in all). The load
axis (batch sizes today; concurrencies or rates for the serving kinds) comes from the run of the
scenario's workload, never from its kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.physics.arch import (
    decode_flops_coefficients,
    kv_bytes_per_token,
    parameter_count,
    prefill_flops,
    weight_bytes,
)
from engine.physics.load import LoadRun
from engine.physics.memory import MemoryPlan, check_fits, memory_plan, min_gpus
from engine.physics.static_batch import StaticBatchRun
from engine.physics.static_batch import run as static_run
from engine.physics.step import StepCost
from engine.physics.sweeps import Boundness, ContextSweep, boundness, context_sweep
from engine.scenario.scenario import Scenario

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


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class DecodeStep:
    """The time per output token at each point of the load axis, split by resource. A decode
    step is max(compute, memory) + communication + overhead: the smaller of compute and memory
    runs under the larger (hidden), it adds nothing. A static batch that runs in waves averages
    its waves' parts as its time per output token does (per sequence); a serving load's steps
    also carry prompt chunks (``prompts_s``: the rest of its inter-token latency)."""

    compute_s: Array
    weights_s: Array  # weight and activation reads
    kv_s: Array  # KV-cache reads
    comm_s: Array
    overhead_s: Array
    prompts_s: Array

    @property
    def memory_s(self) -> Array:
        return self.weights_s + self.kv_s

    @property
    def compute_bound(self) -> npt.NDArray[np.bool_]:
        return self.compute_s >= self.memory_s

    @property
    def hidden_s(self) -> Array:
        """What overlaps: the smaller of compute and memory."""
        return np.minimum(self.compute_s, self.memory_s)

    @property
    def time_s(self) -> Array:
        """The step: max(compute, memory) + communication + overhead (+ prompt chunks)."""
        top = np.maximum(self.compute_s, self.memory_s)
        return top + self.comm_s + self.overhead_s + self.prompts_s


def _step_parts(r: LoadRun) -> list[Array]:
    n = np.shape(r.load)
    parts = (
        r.step_compute_s,
        np.asarray(r.step_weights_s) + np.asarray(r.step_act_s),
        r.step_kv_s,
        r.step_comm_s,
        r.step_overhead_s,
    )
    return [np.broadcast_to(np.asarray(p, dtype=np.float64), n) for p in parts]


def _static_parts(s: Scenario, r: StaticBatchRun) -> list[Array]:
    """A static batch's decode step split as :meth:`StepCost.decode` prices it: with pipeline
    stages a round costs one micro-batch's reads and collectives and the stage hops (which the
    run's own split leaves out), on the run's first wave at its mean context."""
    cost = StepCost(s)
    b = np.asarray(r.concurrent, dtype=np.float64)
    micro = cost.micro(b)
    mean_l = s.input_tokens + (max(s.output_tokens - 1, 1) + 1) / 2.0
    c0, c1, m0, m1 = cost.decode_step_lines(b)
    comm = np.asarray(cost.comm_per_step(micro)) + cost.hops(micro)
    parts = (c0 + c1 * mean_l, m0, m1 * mean_l, comm, r.step_overhead_s)
    return [np.broadcast_to(np.asarray(p, dtype=np.float64), b.shape) for p in parts]


def decode_step(s: Scenario, r: LoadRun) -> DecodeStep:
    """The parts of the time per output token of run ``r`` of ``s`` (see :class:`DecodeStep`)."""
    if not isinstance(r, StaticBatchRun):
        parts = _step_parts(r)
        step = np.maximum(parts[0], parts[1] + parts[2]) + parts[3] + parts[4]
        rest = np.maximum(np.asarray(r.tpot_s, dtype=np.float64) - step, 0.0)
        return _decode_step(parts, rest)
    parts = _static_parts(s, r)
    if np.any(r.waves > 1):  # the last wave is smaller: run it alone, weight as TPOT does
        b = np.ceil(r.batch / s.replicas)
        full = r.waves - 1
        last = b - full * r.concurrent
        tail = _static_parts(s, static_run(s, last * s.replicas, s.input_tokens, s.output_tokens))
        parts = [(full * r.concurrent * p + last * q) / b for p, q in zip(parts, tail, strict=True)]
    return _decode_step(parts, np.zeros(np.shape(r.load)))


def _decode_step(parts: list[Array], prompts: Array) -> DecodeStep:
    compute, weights, kv, comm, overhead = parts
    return DecodeStep(compute, weights, kv, comm, overhead, prompts)


def max_prompt_tokens(plan: MemoryPlan, seqs: int, output_tokens: int, block: int) -> int:
    """The longest prompt with which ``seqs`` sequences (on one replica) of it and
    ``output_tokens`` more still fit in the KV budget at once, in whole KV blocks as
    :func:`memory_plan` counts them; 0 when not even a one-token prompt does."""
    if plan.kv_budget_bytes <= 0 or seqs < 1:
        return 0
    blocks = int(plan.kv_budget_bytes // (seqs * block * plan.kv_per_token_bytes))
    return max(0, blocks * block - output_tokens)


def kv_wall_batch(plan: MemoryPlan, contexts: npt.ArrayLike, block: int) -> Array:
    """The most sequences (all replicas) whose KV cache fits at once at each context length."""
    ctx = np.asarray(contexts, dtype=np.float64)
    per_seq = np.ceil(ctx / block) * block * plan.kv_per_token_bytes
    seqs = np.floor(max(plan.kv_budget_bytes, 0.0) / per_seq)
    wall: Array = seqs * plan.replicas
    return wall


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class Dashboard:
    """The numbers of one scenario. The summary's are computed at once; each chart's part only
    when that chart asks for it (cached), so a change redraws the visible chart fast."""

    scenario: Scenario
    other_mode: Scenario  # the same scenario in the other mode, for comparison lines
    plan: MemoryPlan
    min_gpus: int | None
    params: int
    weight_bytes: int
    kv_bytes_per_token: int
    fit_error: str | None  # why not even one sequence fits, or None
    run: LoadRun  # the scenario's mode, over its load axis
    selected: int  # index into the load axis

    @property
    def axis(self) -> str:
        """What the load axis counts: "batch" (or "concurrency", "rate")."""
        return self.run.AXIS

    @property
    def loads(self) -> list[float]:
        """The load axis."""
        return [float(x) for x in np.asarray(self.run.load).ravel()]

    @property
    def load(self) -> float:
        """The selected point of the load axis."""
        return self.loads[self.selected]

    @property
    def batch(self) -> int:
        """Requests in a decode step at the selected point, all replicas (static: the batch); at
        least one, as a step has (a low rate keeps fewer than one running on average)."""
        return max(1, round(float(np.asarray(self.run.batch).ravel()[self.selected])))

    @cached_property
    def other(self) -> LoadRun:
        """The other mode's run, for comparison lines."""
        return self.other_mode.run()

    @property
    def realistic(self) -> LoadRun:
        return self.run if self.scenario.mode == "realistic" else self.other

    @property
    def ideal(self) -> LoadRun:
        return self.other if self.scenario.mode == "realistic" else self.run

    @cached_property
    def context(self) -> ContextSweep:
        """At the selected batch, in the scenario's mode."""
        s = self.scenario
        return context_sweep(s, self.batch, s.output_tokens, context_points(s))

    @cached_property
    def step(self) -> DecodeStep:
        """The time per output token over the load axis, split by resource."""
        return decode_step(self.scenario, self.run)

    @property
    def context_wall(self) -> int:
        """The longest prompt with which the selected batch still fits in the KV cache at once
        (the Context chart's wall), in tokens."""
        s = self.scenario
        seqs = math.ceil(self.batch / s.replicas)
        return max_prompt_tokens(self.plan, seqs, s.output_tokens, s.engine.block_size)

    @cached_property
    def grid(self) -> Boundness:
        gb, gc = grid_axes(self.scenario, float(np.max(self.run.batch)))
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
        dec_flops = float(main.running_batch[i]) * (a + b * mean_l) / s.tp
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


def grid_axes(s: Scenario, largest_batch: float, n: int = 24) -> tuple[Array, Array]:
    """Batch sizes 1 .. 4 x the largest of the run, and contexts 16 .. the model's maximum, both
    log-spaced: the span over which prefill and decode change boundness."""
    top_batch = max(largest_batch * 4, 64)
    batches = np.unique(np.round(np.geomspace(1, top_batch, n)))
    contexts = np.unique(np.round(np.geomspace(16, s.model.max_context, n)))
    return batches.astype(np.float64), contexts.astype(np.float64)


def nearest_load(loads: Array, wanted: float) -> int:
    """The index of the load nearest ``wanted`` in log scale; ``inf`` (a rate: all at once) is
    nearest to itself, and above every finite load."""
    loads = np.asarray(loads, dtype=np.float64)
    finite = loads[np.isfinite(loads)]
    if math.isinf(wanted) or not finite.size:
        return int(np.argmax(loads))  # the first inf, or the largest
    top = float(finite.max()) * 10.0  # inf sorts above every finite load
    scale = np.log(np.maximum(np.where(np.isfinite(loads), loads, top), 1e-9))
    return int(np.argmin(np.abs(scale - math.log(max(wanted, 1e-9)))))


def default_point(run: LoadRun) -> int:
    """The point a view selects unless told: the middle of those that fit (the first if none)."""
    fitting = [i for i, ok in enumerate(np.asarray(run.fits).ravel()) if ok]
    return fitting[len(fitting) // 2] if fitting else 0


def build(s: Scenario, other_mode: Scenario, selected_load: float | None = None) -> Dashboard:
    """All the app's numbers for ``s``; ``other_mode`` is ``s`` in the other mode (the comparison
    lines); ``selected_load`` picks the summary's point of the load axis (the nearest; default:
    the middle of those that fit)."""
    plan = memory_plan(s, s.context_tokens)
    try:
        check_fits(s, s.context_tokens, plan)
        fit_error = None
    except InputError as exc:
        fit_error = str(exc)
    run = s.run()
    loads = np.asarray(run.load, dtype=np.float64).ravel()
    selected = default_point(run) if selected_load is None else nearest_load(loads, selected_load)
    return Dashboard(
        scenario=s,
        other_mode=other_mode,
        plan=plan,
        min_gpus=min_gpus(s, s.context_tokens),
        params=parameter_count(s.model),
        weight_bytes=weight_bytes(s.model, s.weight_dtype),
        kv_bytes_per_token=int(kv_bytes_per_token(s.model, s.kv_dtype)),
        fit_error=fit_error,
        run=run,
        selected=selected,
    )
