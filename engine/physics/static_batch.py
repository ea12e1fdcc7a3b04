"""A static batch run, as the article's benchmark did it: B requests arrive together, all prompts
are prefilled, then all sequences decode their output tokens in lock-step.

Everything is vectorised: batch sizes, prompt lengths and output lengths broadcast against each
other, so one call computes a whole sweep or grid. Each step is priced by
:class:`engine.physics.step.StepCost`. In ``realistic`` mode a batch larger than what runs at once
(the KV cache, or the scheduler's ``max_num_seqs``) runs in waves, as a serving engine queues it;
in ``ideal`` mode it is computed as if it fitted, and marked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from engine.physics.cost import cost_per_million
from engine.physics.deployment import Deployment
from engine.physics.memory import MemoryPlan, memory_plan
from engine.physics.step import StepCost, binding, split_waves

Array = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class StaticBatchRun:
    """Results of :func:`run`, one entry per batch size (or per grid point).

    The load axis is the batch size (:attr:`load`); what every load kind's result offers the views
    is :class:`engine.physics.load.LoadRun`.
    """

    LOAD: ClassVar[str] = "static"
    AXIS: ClassVar[str] = "batch"

    deployment: Deployment
    plan: MemoryPlan  # at the longest request of the run
    batch: Array
    fits: npt.NDArray[np.bool_]
    waves: Array
    concurrent: Array  # sequences running at once on one replica (first wave)
    prefill_s: Array  # prefill of one wave (the first)
    ttft_s: Array  # mean over requests
    tpot_s: Array  # mean time per output token after the first
    e2e_s: Array  # makespan of the whole batch
    decode_s: Array  # decode time summed over waves
    prefill_total_s: Array  # prefill time summed over waves
    comm_s: Array
    overhead_s: Array
    total_tokens_per_s: Array  # output tokens / makespan, all replicas
    per_request_tokens_per_s: Array  # mean over requests of output tokens / own latency
    prefill_bound: npt.NDArray[np.str_]
    decode_bound: npt.NDArray[np.str_]
    cost_per_1m_input_usd: Array
    cost_per_1m_output_usd: Array
    prefill_ai: Array  # arithmetic intensity, FLOPs per byte
    decode_ai: Array  # at the mean decode context
    memory_per_gpu_bytes: Array
    # one decode step at the mean context, split by resource (seconds)
    step_compute_s: Array
    step_weights_s: Array
    step_kv_s: Array
    step_act_s: Array
    step_comm_s: Array
    step_overhead_s: Array

    @property
    def load(self) -> Array:
        """The load axis: batch sizes."""
        return self.batch

    @property
    def running_batch(self) -> Array:
        """Sequences in a decode step on one replica (the first wave)."""
        return self.concurrent

    @property
    def wall(self) -> float:
        """The most requests whose KV cache fits at once, in the axis' unit (batch size)."""
        return float(self.plan.max_batch)

    @property
    def prefill_share(self) -> Array:
        return self.prefill_total_s / self.e2e_s

    @property
    def decode_share(self) -> Array:
        return self.decode_s / self.e2e_s

    @property
    def comm_share(self) -> Array:
        return self.comm_s / self.e2e_s


def _harmonic(k: Array) -> Array:
    """H(k) = 1 + 1/2 + ... + 1/k for whole k >= 0 (exact sum to 10^6, asymptotic beyond)."""
    k = np.asarray(k, dtype=np.float64)
    kmax = int(min(np.max(k, initial=0.0), 1_000_000))
    if kmax == 0:
        return np.zeros_like(k)  # one wave everywhere: nothing to add up
    table = np.concatenate(([0.0], np.cumsum(1.0 / np.arange(1, kmax + 1))))
    exact = table[np.clip(k, 0, kmax).astype(np.int64)]
    gamma_e = 0.5772156649015329
    big = np.log(np.maximum(k, 1.0)) + gamma_e + 1 / (2 * np.maximum(k, 1.0))
    return np.where(k <= kmax, exact, big)


#: How much faster the even split must be for the engine to take it over filling the waves: a
#: tie (both memory-bound: the same time either way) keeps the fill, as an engine admits.
SPLIT_GAIN = 1e-9


def _wave_size(model: StepCost, b: Array, waves: Array, cap: Array, S: Array, n: Array) -> Array:
    """Sequences in each wave but the last, when ``b`` requests run in the fewest ``waves``.

    Two ways do it: fill every wave to the ``cap`` (the last one takes the rest), or split the
    batch evenly (``ceil(b / waves)`` a wave). Filling is not always the faster: a small last wave
    can be memory-bound, so that a sequence moved into it from a compute-bound full wave costs
    nothing there and saves its share of the full wave. The engine runs whichever is faster. So a
    longer prompt, with which fewer sequences fit, never finishes the batch sooner: the even split
    depends on ``waves`` alone, and with as many waves it only costs more (``n``: decode steps)."""
    full = np.minimum(b, cap)
    even = np.ceil(b / waves)
    sizes = np.stack((full, b - (waves - 1) * full, even, b - (waves - 1) * even))
    n1 = np.maximum(n, 1.0)
    time = model.prefill(sizes, S).time + np.where(n > 0, model.decode(sizes, S, n1).time, 0.0)
    filled = (waves - 1) * time[0] + time[1]
    split = (waves - 1) * time[2] + time[3]
    return np.where(split < filled * (1 - SPLIT_GAIN), even, full)


def run(
    s: Deployment,
    batch: npt.ArrayLike,
    input_tokens: npt.ArrayLike,
    output_tokens: npt.ArrayLike,
) -> StaticBatchRun:
    """Run the static batch of ``batch`` requests of ``input_tokens`` prompt and ``output_tokens``
    output tokens on ``s``; all three may be arrays and broadcast (e.g. a (batch, context) grid)."""
    B = np.asarray(batch, dtype=np.float64)
    S = np.asarray(input_tokens, dtype=np.float64)
    out = np.asarray(output_tokens, dtype=np.float64)
    B, S, out = np.broadcast_arrays(B, S, out)
    model = StepCost(s)
    plan = memory_plan(s, int(np.max(S + out, initial=1.0)))

    # Memory: how many sequences of this context run at once on one replica.
    block = s.engine.block_size
    per_seq = np.ceil((S + out) / block) * block * model.kv_tok
    budget = plan.kv_budget_bytes
    max_seqs = np.where(budget > 0, np.floor(max(budget, 0.0) / per_seq), 0.0)
    b = np.ceil(B / s.replicas)  # requests per replica
    fits = b <= max_seqs
    if s.mode == "realistic":
        # Not even one fits: computed one at a time as if it did (and marked as not fitting).
        cap = np.maximum(np.minimum(max_seqs, s.engine.max_num_seqs), 1.0)
    else:
        cap = b
    waves = np.ceil(b / cap)
    n = np.maximum(out - 1, 0.0)  # the prefill step produces the first output token
    first = _wave_size(model, b, waves, cap, S, n)
    last = b - (waves - 1) * first

    # The first (full) waves and the last one, evaluated together as one stacked array.
    n1 = np.maximum(n, 1.0)  # one step even when no decode runs, to report a time per token
    sizes = np.stack((first, last))
    pf = model.prefill(sizes, S)
    dc = model.decode(sizes, S, n1)
    pf_first, pf_last = split_waves(pf)
    dc_first, dc_last = split_waves(dc)
    has_decode = n > 0
    dec_first = np.where(has_decode, dc_first.time, 0.0)
    dec_last = np.where(has_decode, dc_last.time, 0.0)
    wave_first = pf_first.time + dec_first
    full = waves - 1  # waves of ``first`` sequences before the last one

    e2e = full * wave_first + pf_last.time + dec_last
    ttft = (first * (full * (full - 1) / 2 * wave_first + full * pf_first.time)) / b
    ttft = ttft + last * (full * wave_first + pf_last.time) / b
    tpot = (full * first * dc_first.time / n1 + last * dc_last.time / n1) / b
    per_req = first * out * _harmonic(full) / np.maximum(wave_first, 1e-300) + last * out / e2e
    per_req = per_req / b

    def both(a: Array, z: Array) -> Array:
        return full * a + z

    comm = both(pf_first.comm + np.where(has_decode, dc_first.comm, 0), pf_last.comm) + np.where(
        has_decode, dc_last.comm, 0
    )
    overhead = both(
        pf_first.overhead + np.where(has_decode, dc_first.overhead, 0), pf_last.overhead
    ) + np.where(has_decode, dc_last.overhead, 0)

    cost_in, cost_out = cost_per_million(e2e, B, S, out, s.price_per_second, s.gamma)

    # One decode step at the mean context of the first wave, split by resource.
    mean_l = S + (n1 + 1) / 2.0
    c0, c1, _, m1 = model.decode_step_lines(first)
    step_compute = c0 + c1 * mean_l
    step_weights = model.weight_read(first) / model.bw_eff
    step_kv = m1 * mean_l
    step_act = first * model.act_tok / model.bw_eff
    step_flops = first * (model.dec_f0 + model.dec_f1 * mean_l)
    step_bytes = model.weight_read(first) + first * (model.act_tok + model.kv_tok * mean_l)

    used = plan.weights_bytes + plan.reserve_bytes + first * per_seq
    arrays = dict(
        batch=B,
        fits=fits,
        waves=waves,
        concurrent=first,
        prefill_s=pf_first.time,
        ttft_s=ttft,
        tpot_s=tpot,
        e2e_s=e2e,
        decode_s=both(dec_first, dec_last),
        prefill_total_s=both(pf_first.time, pf_last.time),
        comm_s=comm,
        overhead_s=overhead,
        total_tokens_per_s=B * out / e2e,
        per_request_tokens_per_s=per_req,
        prefill_bound=binding(pf_first),
        decode_bound=binding(dc_first),
        cost_per_1m_input_usd=cost_in,
        cost_per_1m_output_usd=cost_out,
        prefill_ai=pf_first.flops / pf_first.bytes,
        decode_ai=step_flops / step_bytes,
        memory_per_gpu_bytes=used,
        step_compute_s=step_compute,
        step_weights_s=step_weights,
        step_kv_s=step_kv,
        step_act_s=step_act,
        step_comm_s=model.comm_per_step(first),
        step_overhead_s=model.overhead_per_step(first)
        + np.where(mean_l > s.engine.graph_max_context, model.eager_per_step(), 0.0),
    )
    shape = B.shape
    fields: dict[str, Any] = {
        k: v if np.shape(v) == shape else np.broadcast_to(v, shape) for k, v in arrays.items()
    }
    return StaticBatchRun(deployment=s, plan=plan, **fields)
