"""Memory plan per GPU: weights, workspace, KV cache, and how many sequences of a given length
fit at once."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

from engine.errors import InputError
from engine.physics.arch import ACT_BYTES, kv_bytes_per_token, weights_per_gpu_bytes
from engine.physics.deployment import Deployment
from engine.physics.specs import GIB, ModelSpec


@dataclass(frozen=True)
class MemoryPlan:
    """All figures are per GPU, in bytes, except counts."""

    capacity_bytes: float  # the GPU's memory
    usable_bytes: float  # capacity x memory utilisation (and the platform's own limit)
    weights_bytes: float
    reserve_bytes: float  # workspace: runtime + the activations of the largest step
    kv_budget_bytes: float  # usable - weights - reserve (negative: the weights do not fit)
    kv_per_token_bytes: float
    kv_per_sequence_bytes: float  # a whole sequence (input + output), in whole KV blocks
    max_seqs_per_replica: int  # sequences whose whole context fits at once on one replica
    replicas: int

    @property
    def max_batch(self) -> int:
        return self.max_seqs_per_replica * self.replicas

    @property
    def fits_weights(self) -> bool:
        return self.kv_budget_bytes > 0

    def used_bytes(self, seqs_per_replica: float) -> float:
        return (
            self.weights_bytes + self.reserve_bytes + seqs_per_replica * self.kv_per_sequence_bytes
        )


def activation_workspace_bytes(model: ModelSpec, tp: int, tokens: int) -> float:
    """Peak live activations of one forward step over ``tokens`` tokens on one GPU: the residual
    stream and its normed copy, q/k/v, and the MLP's gate and up halves (the largest tensors)."""
    live = 2 * model.hidden_size + model.qkv_width / tp
    live += 2 * model.mlp_active_width / tp
    return tokens * live * ACT_BYTES


def memory_plan(d: Deployment, context_tokens: int) -> MemoryPlan:
    """Per GPU of ``d``: what the weights and the workspace leave for the KV cache, and how many
    sequences of ``context_tokens`` tokens (prompt and output) it holds at once."""
    capacity = d.gpu.memory_bytes
    weights = weights_per_gpu_bytes(d.model, d.tp, d.weight_dtype, d.pp, d.ep)
    reserve = d.engine.runtime_reserve_gib * GIB + activation_workspace_bytes(
        d.model, d.tp, d.engine.max_batched_tokens
    )
    if d.engine.kv_of_free:  # a share of what the weights and the workspace leave
        usable = capacity * d.gpu.max_memory_fraction
        free = usable - weights - reserve
        budget = free * d.engine.memory_utilization if free > 0 else free
    else:
        usable = capacity * min(d.engine.memory_utilization, d.gpu.max_memory_fraction)
        budget = usable - weights - reserve
    per_token = kv_bytes_per_token(d.model, d.kv_dtype, d.tp, d.pp)
    block = d.engine.block_size
    per_seq = math.ceil(context_tokens / block) * block * per_token
    max_seqs = max(0, int(budget // per_seq)) if budget > 0 else 0
    return MemoryPlan(
        capacity_bytes=capacity,
        usable_bytes=usable,
        weights_bytes=weights,
        reserve_bytes=reserve,
        kv_budget_bytes=budget,
        kv_per_token_bytes=per_token,
        kv_per_sequence_bytes=per_seq,
        max_seqs_per_replica=max_seqs,
        replicas=d.replicas,
    )


@lru_cache(maxsize=64)
def valid_tp_degrees(model: ModelSpec) -> tuple[int, ...]:
    """TP degrees the model's heads allow (the rule of :func:`engine.physics.arch.check_tp`)."""
    nh, nkv = model.num_attention_heads, model.num_key_value_heads
    return tuple(t for t in range(1, nh + 1) if nh % t == 0 and (nkv % t == 0 or t % nkv == 0))


def min_gpus(d: Deployment, context_tokens: int) -> int | None:
    """The fewest GPUs (one TP group) that hold the model and one sequence of
    ``context_tokens`` tokens."""
    for tp in valid_tp_degrees(d.model):
        if memory_plan(replace(d, tp=tp, gpus=tp), context_tokens).max_seqs_per_replica >= 1:
            return tp
    return None


def check_fits(d: Deployment, context_tokens: int, plan: MemoryPlan | None = None) -> MemoryPlan:
    """The plan, or an :class:`InputError` when not even one sequence fits."""
    plan = plan or memory_plan(d, context_tokens)
    if plan.max_seqs_per_replica >= 1:
        return plan
    gb = 1e9
    need = plan.weights_bytes + plan.reserve_bytes + plan.kv_per_sequence_bytes
    fewest = min_gpus(d, context_tokens)
    hint = (
        f"the fewest {d.gpu.id} that hold it: {fewest}"
        if fewest
        else f"no tensor-parallel layout of {d.gpu.id} holds it"
    )
    raise InputError(
        f"{d.model.id} does not fit on {d.tp} x {d.gpu.id} at {context_tokens:,} tokens: "
        f"each GPU needs {need / gb:.1f} GB (weights {plan.weights_bytes / gb:.1f} + workspace "
        f"{plan.reserve_bytes / gb:.1f} + KV {plan.kv_per_sequence_bytes / gb:.2f}) of "
        f"{plan.usable_bytes / gb:.1f} GB usable; {hint}"
    )
