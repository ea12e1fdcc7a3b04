"""Sweeps for the charts: over context length at a fixed batch, and the (batch, context) grid of
where prefill and decode are compute- or memory-bound (the boundness notebook's surfaces)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.physics import arch
from engine.physics.deployment import Deployment
from engine.physics.memory import memory_plan
from engine.physics.static_batch import StaticBatchRun, run
from engine.physics.step import StepCost

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class ContextSweep:
    contexts: Array  # prompt tokens
    run: StaticBatchRun  # the static batch at each prompt length
    kv_bytes: Array  # KV cache the whole batch needs at the end of the run, per GPU
    weight_bytes: float  # per GPU
    step_s: Array  # one decode step at that context (seconds)


def context_sweep(
    s: Deployment, batch: int, output_tokens: int, contexts: npt.ArrayLike
) -> ContextSweep:
    """Prompt length varies, output length and batch stay: TTFT, time per token, throughput, and
    the KV cache against the weights (the article's Fig. 11 and 15)."""
    ctx = np.asarray(contexts, dtype=np.float64)
    r = run(s, np.full_like(ctx, float(batch)), ctx, output_tokens)
    plan = memory_plan(s, int(ctx[0]) + output_tokens)  # per token and weights: any length
    # What the whole batch needs (not what fits): the chart shows where it crosses memory.
    kv = np.ceil(batch / s.replicas) * (ctx + output_tokens) * plan.kv_per_token_bytes
    model = StepCost(s)
    c0, c1, m0, m1 = model.decode_step_lines(r.concurrent)
    step = np.maximum(c0 + c1 * ctx, m0 + m1 * ctx) + r.step_comm_s
    step = step + model.overhead_per_step(r.concurrent)
    step = step + np.where(ctx > s.engine.graph_max_context, model.eager_per_step(), 0.0)
    return ContextSweep(ctx, r, kv, plan.weights_bytes, step)


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class Boundness:
    """Per-step compute and memory time over a (batch, context) grid, shape (len(batch), len(ctx)).

    Prefill: one step over ``batch`` prompts of ``context`` tokens. Decode: one step of ``batch``
    sequences that attend to ``context`` positions. ``*_boundary`` gives, for every context, the
    batch at which compute time equals memory time (inf: memory-bound at any batch).
    """

    batch: Array
    context: Array
    prefill_compute_s: Array
    prefill_memory_s: Array
    decode_compute_s: Array
    decode_memory_s: Array
    prefill_boundary: Array
    decode_boundary: Array

    @property
    def prefill_compute_bound(self) -> npt.NDArray[np.bool_]:
        return self.prefill_compute_s >= self.prefill_memory_s

    @property
    def decode_compute_bound(self) -> npt.NDArray[np.bool_]:
        return self.decode_compute_s >= self.decode_memory_s


def _boundary(weights_s: float, per_seq_compute: Array, per_seq_memory: Array) -> Array:
    """Batch b where b x compute = weights + b x memory: weights / (compute - memory)."""
    gap = per_seq_compute - per_seq_memory
    with np.errstate(divide="ignore"):
        return np.where(gap > 0, weights_s / np.where(gap > 0, gap, 1.0), np.inf)


def boundness(s: Deployment, batches: npt.ArrayLike, contexts: npt.ArrayLike) -> Boundness:
    b = np.asarray(batches, dtype=np.float64)[:, None]
    ctx = np.asarray(contexts, dtype=np.float64)
    L = ctx[None, :]
    model = StepCost(s)
    w = model.weight_read(b) / model.bw_eff  # weights read once per step

    pf_flops = np.asarray(arch.prefill_flops(s.model, ctx, s.flop_count)) / s.tp / model.peak_eff
    pf_mem_seq = ctx * (model.kv_tok + model.act_tok) / model.bw_eff
    prefill_compute = b * pf_flops[None, :]
    prefill_memory = w + b * pf_mem_seq[None, :]

    c0, c1, m0, m1 = model.decode_step_lines(b)
    decode_compute = c0 + c1 * L
    decode_memory = m0 + m1 * L

    w1 = float(np.max(model.weight_read(np.ones(1)))) / model.bw_eff
    dec_seq_compute = (model.dec_f0 + model.dec_f1 * ctx) / model.peak_eff
    # The boundary sits at large batches, where attention runs at its full speed.
    dec_seq_memory = model.act_tok / model.bw_eff + model.att_tok * ctx
    return Boundness(
        batch=b[:, 0],
        context=ctx,
        prefill_compute_s=prefill_compute,
        prefill_memory_s=prefill_memory,
        decode_compute_s=decode_compute,
        decode_memory_s=decode_memory,
        prefill_boundary=_boundary(w1, pf_flops, pf_mem_seq),
        decode_boundary=_boundary(w1, dec_seq_compute, dec_seq_memory),
    )
