"""The steady state of a continuous-batching server, parameterised by its running batch.

A server does not run batches that start and end together: requests arrive over time, the prompts
of new ones are prefilled while the running ones decode, and the running batch B settles where the
load, the KV cache or the scheduler's caps put it. Every quantity here is per replica (one
tensor-parallel group) for requests of ``S`` prompt and ``n`` output tokens.

**A step.** The engine's steps are priced by :meth:`StepCost.mixed`: the linear layers once over
all the step's tokens, decode attention over the running contexts, all-reduces over every token,
overheads per step and per sequence. A decode-only step is exactly the static model's decode step.

**The steady state at B** (:func:`curve`). Each request brings S prompt tokens and lives n - 1
decode steps, so to keep B sequences decoding the engine must prefill ``P = B S / (n - 1)`` prompt
tokens per decode step. With chunked prefill they ride in *mixed* steps of ``P_mix = min(T - B,
max(S, P))`` tokens (T: the token budget per step), a share ``f = min(1, P / P_mix)`` of the steps;
without it they run in prefill-only steps of whole prompts, which stall the decode. The mean time of
a decode step, prefill included, is then

    tau = f tau_mixed + (1 - f) tau_decode               (chunked)
    tau = tau_decode + (P / S) / m  tau_prefill           (prefill steps of m prompts)

and the server completes ``X(B) = B / ((n - 1) tau)`` requests per second: ``X n`` output tokens/s,
each user seeing a token every tau (TPOT). Decode contexts are spread over S + 1 .. S + n - 1; as
every step cost is linear in the sum of the contexts, the mean context S + n/2 is exact.

**Walls** (:func:`walls`): B is at most the scheduler's ``max_num_seqs`` (*sequences*); what the KV
cache holds, K / (S + kappa n) sequences, kappa the share of the output reserved at admission or
1/2 (the mean occupancy) if less is (*kv*; an engine that reserves less than half preempts at
this wall and prefills again, :func:`preempted_tokens`); with chunked prefill, T (n - 1) /
(S + n - 1), past which prompts cannot be fed (*token_budget*). The largest B is where the first
binds; a load that reaches it queues. A load short of it whose throughput no longer grows with B
(d ln X / d ln B < 0.1) is *compute*-bound.

The loads (:mod:`engine.physics.serving`) decide where on this curve a server runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.physics.deployment import Deployment
from engine.physics.memory import MemoryPlan, memory_plan
from engine.physics.step import StepCost, StepTime

Array = npt.NDArray[np.float64]
GRID = 160  # running batches the steady state is evaluated at, log-spaced up to the wall
LOWEST = 0.01  # the least mean running batch of the grid (a server idle 99% of the time)
WALLS = ("sequences", "kv", "token_budget")


@dataclass(frozen=True)
class Walls:
    """Where each limit puts the running batch (sequences per replica)."""

    sequences: float
    kv: float
    token_budget: float

    @property
    def limit(self) -> float:
        return min(self.sequences, self.kv, self.token_budget)

    @property
    def binding(self) -> str:
        values = (self.sequences, self.kv, self.token_budget)
        return WALLS[int(np.argmin(values))]


def held_tokens(d: Deployment, S: float, n: float) -> float:
    """KV tokens a running sequence holds, on average, in the steady state: its prompt and the
    reserved share of its output, or half its output (its mean length) when less is reserved."""
    block = d.engine.block_size
    return float(math.ceil((S + max(d.engine.kv_reserve, 0.5) * n) / block) * block)


def preempted_tokens(d: Deployment, S: float, n: float) -> float:
    """Prompt tokens recomputed per request when the KV cache is full and the engine admits
    reserving less than half the output (vLLM's preemption by recompute, SGLang's retraction).

    Each completion frees S + n tokens; admitting greedily, the engine takes (S + n) / (S + r n)
    new requests for the one that left, r the reserved share; the excess, (1 - r) n / (S + r n),
    is preempted as the running ones grow, and its prefill done again: S (1 - r) n / (S + r n)
    tokens per completion, n at r = 0. The wall already holds the mean occupancy (r = 1/2), so
    the charge falls linearly to none there: a factor (1 - 2 r). A model of the mechanism, not
    of a measurement: it applies only at the KV wall."""
    r = d.engine.kv_reserve
    if r >= 0.5 or n <= 1:
        return 0.0
    return S * (1.0 - r) * n / (S + r * n) * (1.0 - 2.0 * r)


def walls(d: Deployment, plan: MemoryPlan, S: float, n: float) -> Walls:
    e = d.engine
    held = held_tokens(d, S, n)
    kv_tokens = max(plan.kv_budget_bytes, 0.0) / plan.kv_per_token_bytes
    kv = math.floor(kv_tokens / held)
    if e.chunked_prefill and n > 1:
        budget = e.max_batched_tokens * (n - 1) / (S + n - 1)
    else:
        budget = float(e.max_batched_tokens)  # a decode step's tokens are in the budget too
    return Walls(float(e.max_num_seqs), float(kv), float(math.floor(budget)))


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class Curve:
    """The steady state at running batches ``B`` (one replica, one request shape)."""

    S: float
    n: float
    B: Array
    decode: StepTime  # a decode-only step of B sequences at the mean context
    prefill: StepTime  # a step with prefill: mixed (chunked) or prefill-only
    prefill_tokens: Array  # prompt tokens in such a step
    share: Array  # prefill steps per decode step (chunked: the share of mixed steps)
    tau: Array  # mean time per decode step, prefill included: the TPOT
    X: Array  # requests/s
    own_prefill: Array  # a request's own prefill: its chunks, or its prefill step
    full_step: Array  # a step that fills the token budget with prompts (a cohort's staircase)
    full_tokens: Array  # the prompt tokens in it
    walls: Walls
    chunked: bool

    @property
    def output_tokens_per_s(self) -> Array:
        out: Array = self.X * self.n
        return out

    def at(self, values: Array, b: Array) -> Array:
        """``values`` (on the grid) at running batches ``b``, interpolated in log B."""
        out: Array = np.interp(np.log(np.maximum(b, LOWEST)), np.log(self.B), values)
        return out


def _eager_share(d: Deployment, S: float, n: float, B: Array, tokens: Array) -> Array:
    """Share of steps run without CUDA graphs: those with more tokens than graphs cover, and those
    in which some running sequence attends beyond the captured context (contexts spread evenly
    over S + 1 .. S + n - 1)."""
    e = d.engine
    beyond = np.clip((S + n - 1 - e.graph_max_context) / max(n - 1, 1.0), 0.0, 1.0)
    by_context = 1.0 - (1.0 - beyond) ** B
    out: Array = np.where(tokens > e.graph_max_tokens, 1.0, by_context)
    return out


def curve(d: Deployment, S: float, n: float, plan: MemoryPlan | None = None) -> Curve:
    """The steady state from B = 1 to the wall (:class:`Curve`), for n >= 2 output tokens."""
    plan = plan or memory_plan(d, int(S + n))
    w = walls(d, plan, S, n)
    top = max(w.limit, 1.0)
    grid = np.geomspace(LOWEST, top, GRID)
    B = np.unique(np.concatenate((grid, np.arange(1.0, min(top, 16.0) + 1.0))))
    cost = StepCost(d)
    T = float(d.engine.max_batched_tokens)
    steps_left = max(n - 1.0, 1.0)
    # Below one running sequence the server idles part of the time: a step still has one.
    b = np.maximum(B, 1.0)
    context = b * (S + n / 2.0)
    zero = np.zeros_like(B)
    decode = cost.mixed(b, context, zero, zero, zero, _eager_share(d, S, n, b, b))
    flow = B * S / steps_left  # prompt tokens to prefill per decode step
    if w.binding == "kv":  # a full cache: the preempted requests' prompts are prefilled again
        at_wall = top * (1.0 - 1e-9) <= B
        flow = flow * np.where(at_wall, 1.0 + preempted_tokens(d, S, n) / S, 1.0)
    if d.engine.chunked_prefill:
        room = np.maximum(T - b, 1.0)
        tokens = np.minimum(room, np.maximum(S, flow))
        share = np.minimum(1.0, flow / tokens)
        per_token = float(cost.prefill_flops(np.asarray(S))) / S
        eager = _eager_share(d, S, n, b, b + tokens)
        step = cost.mixed(b, context, tokens, tokens * per_token, tokens / S, eager)
        tau = share * step.time + (1.0 - share) * decode.time
        own = np.ceil(S / room) * step.time
        eager_f = _eager_share(d, S, n, b, b + room)
        full = cost.mixed(b, context, room, room * per_token, room / S, eager_f).time
        full_tokens = room
    else:  # prompts wait for a prefill-only step of up to T tokens, which stalls the decode
        prompts = np.clip(flow / S, 1.0, max(math.floor(T / S), 1.0))
        tokens = prompts * S
        share = flow / tokens  # prefill steps per decode step
        phase = cost.prefill(prompts, np.full_like(B, S))
        step = StepTime(phase.time, phase.compute, phase.memory, phase.comm, phase.overhead)
        tau = decode.time + share * step.time
        own = step.time
        most = max(math.floor(T / S), 1.0)
        full_phase = cost.prefill(np.asarray(most), np.asarray(S))
        full = np.full_like(B, float(full_phase.time) / max(math.ceil(most * S / T), 1))
        full_tokens = np.full_like(B, min(most * S, T))
    X = B / (steps_left * tau)
    return Curve(
        S,
        n,
        B,
        decode,
        step,
        tokens,
        share,
        tau,
        X,
        own,
        full,
        full_tokens,
        w,
        d.engine.chunked_prefill,
    )


def staircase(d: Deployment, c: Curve, m: Array) -> tuple[Array, Array, Array, Array]:
    """``m`` requests queued together on an engine with chunked prefill: each step carries a
    token budget of their prompts beside the decode of those already prefilled (half of them, on
    average), so group k of K gets its first token after k steps. Returns (mean time to first
    token, the last group's, the staircase's length, TPOT), per replica."""
    cost = StepCost(d)
    T = float(d.engine.max_batched_tokens)
    per_token = float(cost.prefill_flops(np.asarray(c.S))) / c.S
    running = m / 2.0
    room = np.maximum(T - running, min(c.S, T))
    K = np.maximum(m * c.S / room, 1.0)
    tokens = np.minimum(m * c.S / K, room)
    context = running * (c.S + 1.0)
    step = cost.mixed(running, context, tokens, tokens * per_token, m / K, 0.0 * m).time
    decode = c.at(c.decode.time, m)
    return (K + 1.0) / 2.0 * step, K * step, K * step, decode
