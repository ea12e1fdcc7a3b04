"""The cost of one forward step: a prefill over a batch of prompts, or a decode step of a batch of
sequences attending to their contexts.

Per phase the time is the roofline

    max(FLOPs / (peak x compute efficiency), bytes / (bandwidth x memory efficiency))
        + tensor-parallel all-reduces + fixed per-step overhead

and the binding term (compute, memory or communication) is reported. Decode attention in
``realistic`` mode is a kernel with its own speed: per context position of every sequence it
streams the KV bytes (at the attention bandwidth) and spends a fixed time per layer (gathering the
paged blocks, the softmax), at full speed only with enough sequences in flight
(:meth:`StepCost.attention_share`). Decode steps at contexts beyond what the engine captures in
CUDA graphs (``EngineSettings.graph_max_context``) launch every kernel from the CPU: a time per
layer more.

Pipeline parallelism (``pp`` stages of consecutive layers, each a TP group) is a transform of the
same step: b sequences run as m = min(b, pp) micro-batches of b/m, and a round (every sequence
one token further) costs what one micro-batch costs on the whole model — pp stage steps of a pp-th
of the layers each, whether the stages overlap (m = pp: each stage busy the whole round) or wait
for each other (b < pp: one micro-batch walks through the stages alone) — plus the activations'
trips over the pp - 1 stage boundaries (:meth:`StepCost.hops`). So at batch 1 pipeline stages only
add time; with pp or more sequences they divide the per-sequence work (not the weight reads: each
stage reads its weights once per micro-batch). A prefill's chunks flow through the stages as a
pipeline: (chunks + pp - 1) stage steps.

Expert parallelism (``ep`` > 1) puts whole experts on each of ep GPUs spanning ep / tp replicas:
each GPU reads its own experts for the tokens of all of them, and every MoE layer exchanges
tokens by an all-to-all to the experts and back, instead of the MLP's all-reduce.

The static batch (:mod:`engine.physics.static_batch`), the sweeps and the serving model are built
on this.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.physics import arch
from engine.physics.deployment import Deployment
from engine.physics.roofline import all_to_all_time, allreduce_time, link_for, sum_max_of_lines

Array = npt.NDArray[np.float64]
BOUNDS = np.array(["compute", "memory", "communication"])
_FIELDS = ("time", "compute", "memory", "comm", "overhead", "flops", "bytes")


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class PhaseTime:
    """Time of one phase for one wave, with its parts (arrays, seconds)."""

    time: Array  # wall time of the phase
    compute: Array  # summed compute-side time (FLOPs at effective peak)
    memory: Array  # summed memory-side time (bytes at effective bandwidth)
    comm: Array  # all-reduce time
    overhead: Array  # fixed per-step overheads
    flops: Array  # per GPU
    bytes: Array  # per GPU


def split_waves(ph: PhaseTime) -> tuple[PhaseTime, PhaseTime]:
    """A phase evaluated on stacked (first, last) waves, as two phases."""
    shape = ph.time.shape
    parts = [getattr(ph, f) for f in _FIELDS]
    parts = [p if np.shape(p) == shape else np.broadcast_to(p, shape) for p in parts]
    return PhaseTime(*(p[0] for p in parts)), PhaseTime(*(p[1] for p in parts))


def binding(ph: PhaseTime) -> Array:
    """Which resource binds each element of a phase: compute, memory or communication."""
    stacked = np.stack(np.broadcast_arrays(ph.compute, ph.memory, ph.comm))
    bound: Array = BOUNDS[np.argmax(stacked, axis=0)]
    return bound


class StepCost:
    """The cost of one forward step of a deployment, as coefficients reused for every batch and
    length: the prefill of a batch of prompts, and decode steps as lines in the context length."""

    def __init__(self, d: Deployment) -> None:
        self.d = d
        m, tp, eff = d.model, d.tp, d.efficiency
        self.peak = d.gpu.peak(d.weight_dtype)
        self.peak_eff = self.peak * eff.compute
        self.bw_eff = d.gpu.memory_bandwidth * eff.memory
        self.bw_att = d.gpu.memory_bandwidth * eff.attention  # at full parallelism
        self.layers = m.num_layers
        self.kv_tok = arch.kv_bytes_per_token(m, d.kv_dtype, tp)
        # Decode attention per context position of one sequence, at full parallelism: its KV
        # bytes, plus a fixed time in every layer.
        self.att_tok = self.kv_tok / self.bw_att + self.layers * eff.attention_token_s
        self.act_tok = arch.activation_bytes_per_token(m, tp)
        a, b = arch.decode_flops_coefficients(m)
        self.dec_f0, self.dec_f1 = a / tp, b / tp
        self.link = link_for(d.gpu, tp)
        self.pp, self.ep = d.pp, d.ep
        # All-reduces after attention and after the MLP in every layer; with expert parallelism
        # the MoE layers' MLP exchanges tokens by two all-to-alls instead.
        moe_a2a = m.moe_layers if d.ep > 1 else 0
        self.n_coll = 2 * m.num_layers - moe_a2a
        self.n_a2a = 2 * moe_a2a
        self.ep_link = link_for(d.gpu, d.ep * d.pp)
        self.hop_link = link_for(d.gpu, tp * d.pp)
        self._dense_read: float | None = None
        if not m.is_moe:
            self._dense_read = float(arch.decode_weight_read_bytes(m, tp, d.weight_dtype, 1.0))

    def weight_read(self, batch: Array) -> Array:
        """Weight bytes one step over ``batch`` tokens reads per GPU of a TP group holding every
        layer (for a MoE, it depends on the batch)."""
        if self._dense_read is not None:
            return np.asarray(self._dense_read)
        d = self.d
        return np.asarray(
            arch.decode_weight_read_bytes(d.model, d.tp, d.weight_dtype, batch, ep=d.ep)
        )

    def micro(self, seqs: Array) -> Array:
        """Sequences in one pipeline micro-batch: ``seqs`` over min(seqs, pp) micro-batches."""
        b = np.asarray(seqs, dtype=np.float64)
        if self.pp == 1:
            return b
        return b / np.clip(b, 1.0, self.pp)

    def hops(self, tokens: Array) -> Array:
        """The activations of a micro-batch of ``tokens`` tokens crossing the pp - 1 stage
        boundaries: the link's latency and bytes, and the fitted synchronisation time."""
        if self.pp == 1:
            return np.zeros_like(np.asarray(tokens, dtype=np.float64))
        nbytes = np.asarray(tokens) * self.d.model.hidden_size * arch.ACT_BYTES
        per = (
            self.hop_link.latency + self.d.efficiency.stage_hop_s + nbytes / self.hop_link.bandwidth
        )
        return (self.pp - 1) * per

    def comm_per_step(self, tokens: Array) -> Array:
        """Collectives of a step over ``tokens`` tokens (per micro-batch) on the whole model."""
        d = self.d
        h, lat = d.model.hidden_size, d.efficiency.collective_latency_s
        nbytes = tokens * h * arch.ACT_BYTES
        out = self.n_coll * np.asarray(allreduce_time(nbytes, d.tp, self.link, lat))
        if self.n_a2a:  # each GPU sends its share of the tokens' k copies to the experts' GPUs
            sent = tokens / d.tp * d.model.experts_per_token * h * arch.ACT_BYTES
            out = out + self.n_a2a * np.asarray(all_to_all_time(sent, d.ep, self.ep_link, lat))
        return out

    def overhead_per_step(self, seqs: Array) -> Array:
        """Overheads of a step (a round: every sequence one token further): the fixed one, the
        sequences', and every layer's."""
        eff = self.d.efficiency
        fixed = eff.step_overhead_s + self.layers * eff.layer_overhead_s
        return fixed + eff.seq_overhead_s * seqs

    def eager_per_step(self) -> float:
        """Extra time of a decode step that runs without CUDA graphs: every layer's kernels are
        launched one by one from the CPU."""
        return self.layers * self.d.efficiency.eager_layer_s

    def eager_steps(self, S: Array, n: Array) -> Array:
        """How many of the ``n`` decode steps after an ``S``-token prompt attend to more positions
        than the engine's CUDA graphs cover (step j attends to S + j)."""
        return np.clip(S + n - self.d.engine.graph_max_context, 0.0, n)

    def prefill(self, b: Array, S: Array) -> PhaseTime:
        """All ``b`` prompts of ``S`` tokens, in steps of at most ``max_batched_tokens`` tokens."""
        d = self.d
        tokens = b * S
        steps = np.maximum(np.ceil(tokens / d.engine.max_batched_tokens), 1.0)
        flops = b * np.asarray(arch.prefill_flops(d.model, S, d.flop_count)) / d.tp
        nbytes = steps * self.weight_read(b) + tokens * (self.kv_tok + self.act_tok)
        compute = flops / self.peak_eff
        memory = nbytes / self.bw_eff
        chunk = tokens / steps
        comm = steps * self.comm_per_step(chunk)
        overhead = steps * self.overhead_per_step(b / steps)
        time = steps * np.maximum(compute / steps, memory / steps) + comm + overhead
        if self.pp > 1:  # the chunks flow through the stages: chunks + pp - 1 stage steps
            time = time * (steps + self.pp - 1) / (steps * self.pp) + self.hops(chunk)
        return PhaseTime(time, compute, memory, comm, overhead, flops, nbytes)

    def decode_step_lines(self, b: Array) -> tuple[Array, Array, Array, Array]:
        """Compute and memory time of one decode step as lines in L: (c0, c1, m0, m1)."""
        s = self.micro(b)  # with pipeline stages, a round costs one micro-batch's step
        c0 = s * self.dec_f0 / self.peak_eff
        c1 = s * self.dec_f1 / self.peak_eff
        m0 = (self.weight_read(s) + s * self.act_tok) / self.bw_eff
        m1 = s * self.att_tok / self.attention_share(s)
        return c0, c1, m0, m1

    def attention_share(self, b: Array) -> Array:
        """Share of its full speed decode attention reaches with ``b`` sequences in flight: all of
        it from ``attention_items`` sequences on, proportionally less below, but never less than
        ``attention_floor``. The attention time of a step, b / share per position, never falls
        as sequences are added: it grows with b, stays while the share catches up, grows again."""
        eff = self.d.efficiency
        if eff.attention_items <= 0:
            return np.ones_like(np.asarray(b, dtype=np.float64))
        return np.maximum(eff.attention_floor, np.minimum(1.0, b / eff.attention_items))

    def decode(self, b: Array, S: Array, n: Array) -> PhaseTime:
        """``n`` decode steps of ``b`` sequences; step j attends to S + j positions."""
        c0, c1, m0, m1 = self.decode_step_lines(b)
        total, sum_c, sum_m = sum_max_of_lines(c0, c1, m0, m1, S, n)
        s = self.micro(b)
        comm = n * (self.comm_per_step(s) + self.hops(s))
        overhead = n * self.overhead_per_step(b) + self.eager_steps(S, n) * self.eager_per_step()
        mean_l = S + (n + 1) / 2.0
        flops = n * b * (self.dec_f0 + self.dec_f1 * mean_l)
        nbytes = n * (self.weight_read(b) + b * (self.act_tok + self.kv_tok * mean_l))
        return PhaseTime(total + comm + overhead, sum_c, sum_m, comm, overhead, flops, nbytes)

    def prefill_flops(self, tokens: Array) -> Array:
        """FLOPs per GPU to prefill one prompt of ``tokens`` tokens (the deployment's count)."""
        flops: Array = np.asarray(arch.prefill_flops(self.d.model, tokens, self.d.flop_count))
        return flops / self.d.tp

    def mixed(
        self,
        decode: Array,
        context_sum: Array,
        prefill_tokens: Array,
        prefill_flops: Array,
        prompts: Array,
        eager: Array,
    ) -> StepTime:
        """One forward step of continuous batching: ``decode`` sequences each make a token
        (attending to ``context_sum`` positions in all), and ``prefill_tokens`` tokens of
        ``prompts`` prompts are prefilled (``prefill_flops`` per GPU, their attention included).

        The linear layers run once over all tokens, so the weights are read once; decode attention
        is the decode step's own kernel; the all-reduces carry every token; the overheads are per
        step and per sequence or prompt, and ``eager`` (a share of steps, 0 to 1) runs without
        CUDA graphs. With no prefill it is exactly the decode step of
        :meth:`decode_step_lines`; with no decode, one step of :meth:`prefill`."""
        seqs = decode + prompts
        parts = 1.0 if self.pp == 1 else np.clip(seqs, 1.0, self.pp)  # pipeline micro-batches
        decode, context_sum = decode / parts, context_sum / parts
        prefill_tokens, prefill_flops = prefill_tokens / parts, prefill_flops / parts
        tokens = decode + prefill_tokens
        compute = (decode * self.dec_f0 + context_sum * self.dec_f1 + prefill_flops) / self.peak_eff
        streams = self.weight_read(tokens) + tokens * self.act_tok + prefill_tokens * self.kv_tok
        attention = context_sum * self.att_tok / self.attention_share(decode)
        memory = streams / self.bw_eff + attention
        comm = self.comm_per_step(tokens) + self.hops(tokens)
        overhead = self.overhead_per_step(seqs) + eager * self.eager_per_step()
        time = np.maximum(compute, memory) + comm + overhead
        return StepTime(time, compute, memory, comm, overhead)


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class StepTime:
    """One step's wall time and its parts (arrays, seconds)."""

    time: Array
    compute: Array  # FLOPs at the effective peak
    memory: Array  # bytes at the effective bandwidth, and decode attention
    comm: Array
    overhead: Array
