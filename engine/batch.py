"""A static batch run, as the article's benchmark did it: B requests arrive together, all prompts
are prefilled, then all sequences decode their output tokens in lock-step.

Everything is vectorised: batch sizes, prompt lengths and output lengths broadcast against each
other, so one call computes a whole sweep or grid. Per phase the time is the roofline

    max(FLOPs / (peak x compute efficiency), bytes / (bandwidth x memory efficiency))
        + tensor-parallel all-reduces + fixed per-step overhead

and the binding term (compute, memory or communication) is reported. In ``realistic`` mode a batch
larger than what runs at once (the KV cache, or the scheduler's ``max_num_seqs``) runs in waves, as
a serving engine queues it; in ``ideal`` mode it is computed as if it fitted, and marked.

Decode attention in ``realistic`` mode is a kernel with its own speed: per context position of
every sequence it streams the KV bytes (at the attention bandwidth) and spends a fixed time per
layer (gathering the paged blocks, the softmax), at full speed only with enough sequences in
flight (:meth:`Model.attention_share`). Decode steps at contexts beyond what the engine captures
in CUDA graphs (``Serving.graph_max_context``) launch every kernel from the CPU: a time per layer
more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import arch
from engine.memory import MemoryPlan, memory_plan
from engine.roofline import allreduce_time, link_for, sum_max_of_lines
from engine.scenario import Scenario

Array = npt.NDArray[np.float64]
BOUNDS = np.array(["compute", "memory", "communication"])
_FIELDS = ("time", "compute", "memory", "comm", "overhead", "flops", "bytes")


@dataclass(frozen=True)
class Phase:
    """Time of one phase for one wave, with its parts (arrays, seconds)."""

    time: Array  # wall time of the phase
    compute: Array  # summed compute-side time (FLOPs at effective peak)
    memory: Array  # summed memory-side time (bytes at effective bandwidth)
    comm: Array  # all-reduce time
    overhead: Array  # fixed per-step overheads
    flops: Array  # per GPU
    bytes: Array  # per GPU


def _split(ph: Phase) -> tuple[Phase, Phase]:
    """A phase evaluated on stacked (first, last) waves, as two phases."""
    shape = ph.time.shape
    parts = [getattr(ph, f) for f in _FIELDS]
    parts = [p if np.shape(p) == shape else np.broadcast_to(p, shape) for p in parts]
    return Phase(*(p[0] for p in parts)), Phase(*(p[1] for p in parts))


def _bound(ph: Phase) -> Array:
    stacked = np.stack(np.broadcast_arrays(ph.compute, ph.memory, ph.comm))
    bound: Array = BOUNDS[np.argmax(stacked, axis=0)]
    return bound


class Model:
    """The per-step cost coefficients of one scenario, reused for every batch and length."""

    def __init__(self, s: Scenario) -> None:
        self.s = s
        m, tp, eff = s.model, s.tp, s.efficiency
        self.peak = s.gpu.peak(s.weight_dtype)
        self.peak_eff = self.peak * eff.compute
        self.bw_eff = s.gpu.memory_bandwidth * eff.memory
        self.bw_att = s.gpu.memory_bandwidth * eff.attention  # at full parallelism
        self.layers = m.num_layers
        self.kv_tok = arch.kv_bytes_per_token(m, s.kv_dtype, tp)
        # Decode attention per context position of one sequence, at full parallelism: its KV
        # bytes, plus a fixed time in every layer.
        self.att_tok = self.kv_tok / self.bw_att + self.layers * eff.attention_token_s
        self.act_tok = arch.activation_bytes_per_token(m, tp)
        a, b = arch.decode_flops_coefficients(m)
        self.dec_f0, self.dec_f1 = a / tp, b / tp
        self.link = link_for(s.gpu, tp)
        self.n_coll = 2 * m.num_layers  # after attention and after the MLP, in every layer
        self._dense_read: float | None = None
        if not m.is_moe:
            self._dense_read = float(arch.decode_weight_read_bytes(m, tp, s.weight_dtype, 1.0))

    def weight_read(self, batch: Array) -> Array:
        """Weight bytes one step reads per GPU (for a MoE, it depends on the batch)."""
        if self._dense_read is not None:
            return np.asarray(self._dense_read)
        return np.asarray(
            arch.decode_weight_read_bytes(self.s.model, self.s.tp, self.s.weight_dtype, batch)
        )

    def comm_per_step(self, tokens: Array) -> Array:
        nbytes = tokens * self.s.model.hidden_size * arch.ACT_BYTES
        per = allreduce_time(nbytes, self.s.tp, self.link, self.s.efficiency.collective_latency_s)
        return self.n_coll * np.asarray(per)

    def overhead_per_step(self, seqs: Array) -> Array:
        eff = self.s.efficiency
        return eff.step_overhead_s + eff.seq_overhead_s * seqs

    def eager_per_step(self) -> float:
        """Extra time of a decode step that runs without CUDA graphs: every layer's kernels are
        launched one by one from the CPU."""
        return self.layers * self.s.efficiency.eager_layer_s

    def eager_steps(self, S: Array, n: Array) -> Array:
        """How many of the ``n`` decode steps after an ``S``-token prompt attend to more positions
        than the engine's CUDA graphs cover (step j attends to S + j)."""
        return np.clip(S + n - self.s.serving.graph_max_context, 0.0, n)

    def prefill(self, b: Array, S: Array) -> Phase:
        """All ``b`` prompts of ``S`` tokens, in steps of at most ``max_batched_tokens`` tokens."""
        s = self.s
        tokens = b * S
        steps = np.maximum(np.ceil(tokens / s.serving.max_batched_tokens), 1.0)
        flops = b * np.asarray(arch.prefill_flops(s.model, S, s.flop_count)) / s.tp
        nbytes = steps * self.weight_read(b) + tokens * (self.kv_tok + self.act_tok)
        compute = flops / self.peak_eff
        memory = nbytes / self.bw_eff
        chunk = tokens / steps
        comm = steps * self.comm_per_step(chunk)
        overhead = steps * self.overhead_per_step(b / steps)
        time = steps * np.maximum(compute / steps, memory / steps) + comm + overhead
        return Phase(time, compute, memory, comm, overhead, flops, nbytes)

    def decode_step_lines(self, b: Array) -> tuple[Array, Array, Array, Array]:
        """Compute and memory time of one decode step as lines in L: (c0, c1, m0, m1)."""
        c0 = b * self.dec_f0 / self.peak_eff
        c1 = b * self.dec_f1 / self.peak_eff
        m0 = (self.weight_read(b) + b * self.act_tok) / self.bw_eff
        m1 = b * self.att_tok / self.attention_share(b)
        return c0, c1, m0, m1

    def attention_share(self, b: Array) -> Array:
        """Share of its full speed decode attention reaches with ``b`` sequences in flight: all of
        it from ``attention_items`` sequences on, proportionally less below, but never less than
        ``attention_floor``. The attention time of a step, b / share per position, never falls
        as sequences are added: it grows with b, stays while the share catches up, grows again."""
        eff = self.s.efficiency
        if eff.attention_items <= 0:
            return np.ones_like(np.asarray(b, dtype=np.float64))
        return np.maximum(eff.attention_floor, np.minimum(1.0, b / eff.attention_items))

    def decode(self, b: Array, S: Array, n: Array) -> Phase:
        """``n`` decode steps of ``b`` sequences; step j attends to S + j positions."""
        c0, c1, m0, m1 = self.decode_step_lines(b)
        total, sum_c, sum_m = sum_max_of_lines(c0, c1, m0, m1, S, n)
        comm = n * self.comm_per_step(b)
        overhead = n * self.overhead_per_step(b) + self.eager_steps(S, n) * self.eager_per_step()
        mean_l = S + (n + 1) / 2.0
        flops = n * b * (self.dec_f0 + self.dec_f1 * mean_l)
        nbytes = n * (self.weight_read(b) + b * (self.act_tok + self.kv_tok * mean_l))
        return Phase(total + comm + overhead, sum_c, sum_m, comm, overhead, flops, nbytes)


@dataclass(frozen=True)
class BatchRun:
    """Results of :func:`run`, one entry per batch size (or per grid point)."""

    scenario: Scenario
    plan: MemoryPlan
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
    def prefill_share(self) -> Array:
        return self.prefill_total_s / self.e2e_s

    @property
    def decode_share(self) -> Array:
        return self.decode_s / self.e2e_s

    @property
    def comm_share(self) -> Array:
        return self.comm_s / self.e2e_s

    def points(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per batch size (1-D runs)."""
        keys = (
            "prefill_s",
            "ttft_s",
            "tpot_s",
            "e2e_s",
            "total_tokens_per_s",
            "per_request_tokens_per_s",
        )
        out = []
        for i in range(int(np.size(self.batch))):
            p: dict[str, Any] = {"batch": int(self.batch.flat[i]), "fits": bool(self.fits.flat[i])}
            p.update({k: float(getattr(self, k).flat[i]) for k in keys})
            p["prefill_bound"] = str(self.prefill_bound.flat[i])
            p["decode_bound"] = str(self.decode_bound.flat[i])
            p["comm_share"] = float(self.comm_share.flat[i])
            p["prefill_share"] = float(self.prefill_share.flat[i])
            p["decode_share"] = float(self.decode_share.flat[i])
            p["cost_per_1m_input_usd"] = float(self.cost_per_1m_input_usd.flat[i])
            p["cost_per_1m_output_usd"] = float(self.cost_per_1m_output_usd.flat[i])
            p["waves"] = int(self.waves.flat[i])
            p["concurrent_per_replica"] = int(self.concurrent.flat[i])
            p["memory_per_gpu_bytes"] = int(self.memory_per_gpu_bytes.flat[i])
            p["prefill_arithmetic_intensity"] = float(self.prefill_ai.flat[i])
            p["decode_arithmetic_intensity"] = float(self.decode_ai.flat[i])
            p["decode_step_s"] = {
                "compute": float(self.step_compute_s.flat[i]),
                "weights": float(self.step_weights_s.flat[i]),
                "kv_cache": float(self.step_kv_s.flat[i]),
                "activations": float(self.step_act_s.flat[i]),
                "communication": float(self.step_comm_s.flat[i]),
                "overhead": float(self.step_overhead_s.flat[i]),
            }
            out.append(p)
        return out


def cost_per_million(
    elapsed_s: Array | float,
    batch: Array | float,
    input_tokens: Array | float,
    output_tokens: Array | float,
    price_per_second: float,
    gamma: float,
) -> tuple[Array, Array]:
    """The article's cost method. GPU time cost = beta x (gamma x input + output tokens), so
    beta = cost / (batch x (gamma x in + out)); returns ($/1M input, $/1M output)."""
    beta = (
        price_per_second
        * np.asarray(elapsed_s)
        / (np.asarray(batch) * (gamma * np.asarray(input_tokens) + np.asarray(output_tokens)))
    )
    return gamma * beta * 1e6, beta * 1e6


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


def run(
    s: Scenario,
    batch: npt.ArrayLike | None = None,
    input_tokens: npt.ArrayLike | None = None,
    output_tokens: npt.ArrayLike | None = None,
) -> BatchRun:
    """Run the static batch for every batch size (default: the scenario's). ``input_tokens`` and
    ``output_tokens`` may be arrays too; all three broadcast (e.g. a (batch, context) grid)."""
    B = np.asarray(s.batch_sizes if batch is None else batch, dtype=np.float64)
    S = np.asarray(s.input_tokens if input_tokens is None else input_tokens, dtype=np.float64)
    out = np.asarray(s.output_tokens if output_tokens is None else output_tokens, dtype=np.float64)
    B, S, out = np.broadcast_arrays(B, S, out)
    model = Model(s)
    plan = memory_plan(s)

    # Memory: how many sequences of this context run at once on one replica.
    block = s.serving.block_size
    per_seq = np.ceil((S + out) / block) * block * model.kv_tok
    budget = plan.kv_budget_bytes
    max_seqs = np.where(budget > 0, np.floor(max(budget, 0.0) / per_seq), 0.0)
    b = np.ceil(B / s.replicas)  # requests per replica
    fits = b <= max_seqs
    if s.mode == "realistic":
        # Not even one fits: computed one at a time as if it did (and marked as not fitting).
        cap = np.maximum(np.minimum(max_seqs, s.serving.max_num_seqs), 1.0)
    else:
        cap = b
    waves = np.ceil(b / cap)
    first = np.minimum(b, cap)
    last = b - (waves - 1) * first
    n = np.maximum(out - 1, 0.0)  # the prefill step produces the first output token

    # The first (full) waves and the last one, evaluated together as one stacked array.
    n1 = np.maximum(n, 1.0)  # one step even when no decode runs, to report a time per token
    sizes = np.stack((first, last))
    pf = model.prefill(sizes, S)
    dc = model.decode(sizes, S, n1)
    pf_first, pf_last = _split(pf)
    dc_first, dc_last = _split(dc)
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
        prefill_bound=_bound(pf_first),
        decode_bound=_bound(dc_first),
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
        + np.where(mean_l > s.serving.graph_max_context, model.eager_per_step(), 0.0),
    )
    shape = B.shape
    fields: dict[str, Any] = {
        k: v if np.shape(v) == shape else np.broadcast_to(v, shape) for k, v in arrays.items()
    }
    return BatchRun(scenario=s, plan=plan, **fields)
