"""Continuous batching under load: closed loop, Poisson arrivals, offline.

Each load picks the running batch B on the steady-state curve of :mod:`engine.physics.steady`
(step prices, walls) and adds the queueing that curve does not see.

**Loads.** Closed loop, C users (:func:`closed_loop`): below the wall, C = B + X(B) TTFT(B)
(Little's law), inverted on a grid of B; past it B stays at the wall and TTFT = C / X - (n - 1) tau
exactly. Poisson arrivals at rate lambda (:func:`poisson`): B solves X(B) = lambda; a rate at or
above the capacity X(B_max) has no steady state and is reported unstable, with the estimate for a
run of N requests. Offline, N requests queued at t = 0 (:func:`offline`): the engine fills B to its
wall; without chunked prefill, fixed lengths make that exactly the static batch's waves (the
static batch of today is this case).

**Time to first token**, the weakest number of every such model: the request's own prefill (its
chunks, or its prefill step) after the residual of the step in progress, plus the front end
(``request_overhead_s``); for a rate, the wait of an M/D/1 queue for the token budget (fixed
lengths) and, near the wall, of an Erlang-C queue for a decode slot; for a closed loop, a blend
(``lockstep``) of that and of the cohort bound, in which C requests that arrived together are
prefilled as a staircase. ``step by step`` (:mod:`engine.physics.simulate`) is the reference these
formulas are checked against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from engine.physics.cost import cost_per_million
from engine.physics.deployment import Deployment
from engine.physics.load import DEFAULT_REQUESTS
from engine.physics.memory import MemoryPlan, memory_plan
from engine.physics.queues import erlang_c, overload_waits, queue_quantile
from engine.physics.static_batch import run as static_run
from engine.physics.steady import LOWEST, Curve, curve, staircase
from engine.physics.step import StepCost

Array = npt.NDArray[np.float64]
KNEE = 0.1  # d ln X / d ln B below which a load is compute-bound


# ---------------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class ServingRun:
    """A load on a deployment, one entry per point of its axis (system-wide unless said)."""

    LOAD: ClassVar[str] = "serving"
    AXIS: ClassVar[str] = "load"

    deployment: Deployment
    plan: MemoryPlan
    load: Array  # the axis: concurrency, rate (requests/s) or requests queued
    running_batch: Array  # mean sequences in a decode step, per replica
    batch: Array  # the same, all replicas
    binding_wall: npt.NDArray[np.str_]  # sequences, kv, token_budget, compute or none
    stable: npt.NDArray[np.bool_]
    fits: npt.NDArray[np.bool_]
    ttft_s: Array
    ttft_p50_s: Array
    ttft_p99_s: Array
    itl_s: Array
    itl_p99_s: Array
    tpot_s: Array
    e2e_s: Array
    output_tokens_per_s: Array
    requests_per_s: Array
    output_tokens_per_s_per_gpu: Array
    per_user_tokens_per_s: Array  # 1 / TPOT: the speed a user sees once tokens flow
    per_request_tokens_per_s: Array  # output tokens / the request's own latency
    cost_per_1m_input_usd: Array
    cost_per_1m_output_usd: Array
    prefill_s: Array  # a request's own prefill
    prefill_bound: npt.NDArray[np.str_]
    decode_bound: npt.NDArray[np.str_]
    prefill_ai: Array
    decode_ai: Array
    comm_share: Array  # of a decode step
    step_compute_s: Array
    step_weights_s: Array
    step_kv_s: Array
    step_act_s: Array
    step_comm_s: Array
    step_overhead_s: Array
    wall: float  # the load at which the running batch reaches its wall (axis units)

    @property
    def total_tokens_per_s(self) -> Array:
        """Output tokens/s of the whole deployment (the static batch's name for it)."""
        return self.output_tokens_per_s


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class ConcurrencyRun(ServingRun):
    LOAD: ClassVar[str] = "concurrency"
    AXIS: ClassVar[str] = "concurrency"


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class RateRun(ServingRun):
    LOAD: ClassVar[str] = "rate"
    AXIS: ClassVar[str] = "rate"


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class OfflineRun(ServingRun):
    LOAD: ClassVar[str] = "offline"
    AXIS: ClassVar[str] = "requests"


# ------------------------------------------------------------------------------------ loads


def _knee(c: Curve) -> Array:
    """d ln X / d ln B along the grid: where it falls under :data:`KNEE`, more load does not buy
    throughput (compute-bound)."""
    if len(c.B) < 2:
        return np.ones_like(c.B)
    slope: Array = np.gradient(np.log(c.X), np.log(c.B))
    return slope


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class _Point:
    """What the loads decide at each point: the running batch and the time to first token."""

    b: Array  # running batch per replica
    ttft: Array
    ttft_p50: Array
    ttft_p99: Array
    stable: npt.NDArray[np.bool_]
    X: Array  # requests/s per replica actually served
    at_wall: npt.NDArray[np.bool_]
    tpot: Array | None = None  # None: the steady state's at the running batch
    stalls: Array | None = None  # share of a request's steps that carry a prompt (None: all's)
    itl_p99: Array | None = None  # None: from the stalls and the steady state's steps


def _assemble(
    kind: type[ServingRun], d: Deployment, c: Curve, load: Array, p: _Point, wall: float
) -> ServingRun:
    plan = memory_plan(d, int(c.S + c.n))
    cost = StepCost(d)
    running = p.b
    b = np.maximum(p.b, 1.0)  # a step has at least one sequence
    tau = c.at(c.tau, running) if p.tpot is None else p.tpot
    tau_d = c.at(c.decode.time, running)
    tau_p = c.at(c.prefill.time, running)
    share = c.at(c.share, running) if p.stalls is None else p.stalls
    if p.itl_p99 is not None:
        itl_p99 = p.itl_p99
    elif c.chunked:
        itl_p99 = np.where(share >= 0.01, tau_p, tau_d)
    else:
        itl_p99 = np.where(share >= 0.01, tau_d + tau_p, tau_d)
    steps = max(c.n - 1.0, 0.0)
    e2e = p.ttft + steps * tau
    replicas = d.replicas
    X = p.X * replicas
    out_tps = X * c.n
    cost_in, cost_out = cost_per_million(1.0, X, c.S, c.n, d.price_per_second, d.gamma)
    knee = c.at(_knee(c), running)
    wall_name = np.where(
        p.at_wall, c.walls.binding, np.where(knee < KNEE, "compute", "none")
    ).astype(np.str_)
    # one decode step at the mean context, split by resource, as the static batch reports it
    L = c.S + c.n / 2.0
    c0, c1, m0, m1 = cost.decode_step_lines(b)
    compute = c0 + c1 * L
    weights = cost.weight_read(b) / cost.bw_eff
    kv = m1 * L
    act = b * cost.act_tok / cost.bw_eff
    comm = cost.comm_per_step(b)
    step_flops = b * (cost.dec_f0 + cost.dec_f1 * L)
    step_bytes = cost.weight_read(b) + b * (cost.act_tok + cost.kv_tok * L)
    pf_flops = float(cost.prefill_flops(np.asarray(c.S)))
    pf_bytes = float(cost.weight_read(np.asarray(c.S))) + c.S * (cost.kv_tok + cost.act_tok)
    pf_compute = pf_flops / cost.peak_eff
    pf_memory = pf_bytes / cost.bw_eff
    shape = np.shape(load)
    full = np.ones(shape)
    return kind(
        deployment=d,
        plan=plan,
        load=np.asarray(load, dtype=np.float64),
        running_batch=running * full,
        batch=running * replicas * full,
        binding_wall=wall_name,
        stable=p.stable,
        fits=p.stable & (c.walls.limit >= 1),
        ttft_s=p.ttft,
        ttft_p50_s=p.ttft_p50,
        ttft_p99_s=p.ttft_p99,
        itl_s=tau,
        itl_p99_s=itl_p99,
        tpot_s=tau,
        e2e_s=e2e,
        output_tokens_per_s=out_tps,
        requests_per_s=X,
        output_tokens_per_s_per_gpu=out_tps / d.gpus,
        per_user_tokens_per_s=1.0 / tau,
        per_request_tokens_per_s=c.n / e2e,
        cost_per_1m_input_usd=cost_in,
        cost_per_1m_output_usd=cost_out,
        prefill_s=c.at(c.own_prefill, running),
        prefill_bound=np.full(shape, "compute" if pf_compute >= pf_memory else "memory"),
        decode_bound=np.where(compute >= m0 + m1 * L, "compute", "memory").astype(np.str_),
        prefill_ai=np.full(shape, pf_flops / pf_bytes),
        decode_ai=step_flops / step_bytes,
        comm_share=comm / tau,
        step_compute_s=compute,
        step_weights_s=weights,
        step_kv_s=kv,
        step_act_s=act,
        step_comm_s=comm,
        step_overhead_s=cost.overhead_per_step(b) + tau_d * 0.0,
        wall=wall,
    )


def _cohort(d: Deployment, c: Curve, users: Array) -> tuple[Array, Array, Array, Array]:
    """The lockstep regime of a closed loop: requests of fixed lengths that arrived together
    (``users``, or the most that run at once; the rest wait a round) stay together.

    Every round is a staircase. Without chunked prefill the cohort's prompts fill K prefill-only
    steps, the decode waits for them, then all decode. With it, the prompts fill K budget-full
    steps beside the decode of the groups already prefilled, group k getting its first token after
    k of them: a round is K of those and n - 1 decode steps. (A scheduler simulated with perfectly
    fixed lengths keeps the groups K steps apart instead, each waiting one step; NIM's measured
    TTFT grows by half the other users' prefill a user — 1.1 ms at 200 prompt tokens, 10 ms at
    1,000, 50 ms at 5,000 — as the staircase does.) K is priced as a real number (a last step part
    full costs its part): real cohorts are not aligned to the step, and a whole extra step for one
    more prompt would make throughput fall with load. Returns (requests/s, mean time to first
    token, TPOT, the last prompt's wait), per replica."""
    cost = StepCost(d)
    T = float(d.engine.max_batched_tokens)
    m = np.minimum(users, c.B[-1])
    per_token = float(cost.prefill_flops(np.asarray(c.S))) / c.S
    steps = max(c.n - 1.0, 0.0)
    decode = c.at(c.decode.time, m)
    zero = np.zeros_like(m)
    if c.chunked:
        room = np.maximum(T - m, min(c.S, T))
        K = np.clip(m * c.S / room, 1.0, np.maximum(m, 1.0))
        group = m / K
        tokens = np.minimum(group * c.S, room)
        running = m - group
        context = running * (c.S + c.n / 2.0)
        step = cost.mixed(running, context, tokens, tokens * per_token, group, zero).time
        cycle = K * step + steps * decode
        first, last = (K + 1.0) / 2.0 * step, K * step
    else:
        K = np.maximum(m * c.S / T, 1.0)
        tokens = m * c.S / K
        stair = cost.mixed(zero, zero, tokens, tokens * per_token, m / K, zero).time
        cycle = K * stair + steps * decode
        first, last = (K + 1.0) / 2.0 * stair, K * stair
    X = m / cycle
    tpot = (cycle - first) / max(steps, 1.0)
    ttft = users / X - steps * tpot  # Little's law, a waiting round included
    return X, ttft, tpot, last + (users - m) / X


def _spread(c: Curve, per: Array) -> tuple[Array, Array, Array, Array, float]:
    """The closed loop with arrivals spread out: (running batch, requests/s, time to first token,
    TPOT) per replica at ``per`` users, and the users at which the running batch reaches its wall.

    On the grid, b sequences decode in every decode step and the server completes X(b) requests/s
    (the steady state's time accounting). In-flight requests are C = the decoding ones, averaged
    over time, plus X TTFT (Little's law). The decoding ones are b in decode-only steps, a share
    f_d = X (n - 1) tau_decode / b of the time, and fewer in the steps that carry a prompt: one of
    the C users is the prompt's, so b (C - 1) / C. Hence

        C = b (1 - (1 - f_d) / C) + X TTFT,

    a quadratic in C, inverted on the grid. At C = 1 it gives b = 1 and TPOT the bare decode step:
    a user's decode is stalled by the other users' prompts, never by its own next one. TPOT then
    follows from Little's law, C / X = TTFT + (n - 1) TPOT, exactly. Past the wall b stays there and
    the queue is in TTFT."""
    steps = max(c.n - 1.0, 1.0)
    ok = c.B >= 1.0 - 1e-12
    B, X, T = c.B[ok], c.X[ok], c.own_prefill[ok]
    decode_only = 1.0 - c.share[ok] if c.chunked else np.ones_like(B)
    f_d = np.clip(X * steps * decode_only * c.decode.time[ok] / B, 0.0, 1.0)
    lin = X * T + B
    users = np.maximum.accumulate((lin + np.sqrt(np.maximum(lin**2 - 4 * B * (1 - f_d), 0))) / 2)
    top = float(users[-1])
    below = per <= top
    scale = np.clip(per / users[0], 0.0, 1.0)  # fewer users than one per replica: idle at times
    b = np.where(below, np.interp(per, users, B), B[-1])
    x_b = np.interp(b, B, X) * np.where(per < users[0], scale, 1.0)
    ttft = np.interp(b, B, T)
    # a user's tokens come no faster than the decode steps it is in (tiny prompts that ride every
    # step leave the quadratic no decode-only time to stand on)
    tpot = np.maximum(
        (np.interp(b, B, users / X) - ttft) / steps, np.interp(b, B, c.decode.time[ok])
    )
    X_s = np.where(below, x_b, float(X[-1]))
    ttft = np.where(below, ttft, np.maximum(per / float(X[-1]) - steps * tpot, ttft))
    return b, X_s, ttft, tpot, top


def closed_loop(d: Deployment, S: float, n: float, concurrency: npt.ArrayLike) -> ConcurrencyRun:
    """C users, each sending its next request when the last one ends (no think time), as a blend
    (``lockstep``) of two regimes: arrivals spread out (:func:`_spread`) and the lockstep cohort of
    :func:`_cohort`. Little's law, C = X E2E, holds exactly in both and in the blend."""
    C = np.asarray(concurrency, dtype=np.float64)
    c = curve(d, S, n)
    per = C / d.replicas  # users per replica
    front, phi = d.efficiency.request_overhead_s, d.efficiency.lockstep
    steps = max(n - 1.0, 0.0)
    b_s, X_s, ttft_s, tpot_s, top = _spread(c, per)
    # The next request reaches the scheduler a front-end's time after the last token, in the
    # middle of a step of the other users: it waits for the rest of it (half a step, on average).
    # The server is busy meanwhile, so the wait moves time from the decode to the first token.
    others = np.clip((per - 1.0) / np.maximum(per, 1.0), 0.0, 1.0)
    busy = c.at(c.share, b_s) >= 0.01
    step = np.where(busy, c.at(c.prefill.time, b_s), c.at(c.decode.time, b_s))
    slack = np.maximum(steps * (tpot_s - c.at(c.decode.time, b_s)), 0.0)
    wait = np.where(per > top, 0.0, np.minimum(others * c.at(c.tau, b_s) / 2.0, slack))
    ttft_s = ttft_s + wait
    tpot_s = tpot_s - wait / max(steps, 1.0)
    X_s = per / (ttft_s + steps * tpot_s)  # Little's law, exactly (the idle share included)
    X_c, ttft_c, _, last_c = _cohort(d, c, per)
    # The front end (HTTP, tokenizer: request_overhead_s a request) is part of each round, a
    # latency: it works on many requests at once. (As one server it would make a cohort's TTFT
    # grow by half its time a user whatever the prompt; NIM's grows with the prompt instead.)
    # blend the rounds' times
    X = per / (front + (1.0 - phi) * per / X_s + phi * per / X_c)
    ttft = front + (1.0 - phi) * ttft_s + phi * ttft_c
    tpot = (per / X - ttft) / max(steps, 1.0) if steps else tpot_s
    # the p99 arrival waits for a whole step: one with a prompt when they are common
    spread_p99 = np.where(per > top, ttft_s, ttft_s + others * step)
    p99 = np.maximum(front + (1.0 - phi) * spread_p99 + phi * last_c, ttft)
    wall = (1.0 - phi) * top + phi * float(c.B[-1])
    running = (1.0 - phi) * b_s + phi * np.minimum(np.maximum(per, 1.0), c.B[-1])
    # the share of a user's steps that carry others' prompts: spread out, the steady share; in a
    # cohort with chunked prefill, the other K - 1 groups' steps of its n (without, none: the
    # cohort's prompts are all prefilled before anyone decodes)
    spread_share = c.at(c.share, np.maximum(running, LOWEST)) * others
    if c.chunked:
        m = np.minimum(np.maximum(per, 1.0), c.B[-1])
        T = float(d.engine.max_batched_tokens)
        K = np.clip(m * S / np.maximum(T - m, min(S, T)), 1.0, m)
        cohort_share = (np.minimum(K, n) - 1.0) / max(n, 1.0)
    else:
        cohort_share = np.zeros_like(per)
    stalls = (1.0 - phi) * spread_share + phi * cohort_share
    # the p99 gap: a step with others' prompts when more than 1% of a user's are (in a cohort,
    # a step full of a group's prompts), else a decode step
    tau_d = c.at(c.decode.time, running)
    tau_p = c.at(c.prefill.time, running)
    if c.chunked:
        spread_p99_itl = np.where(spread_share >= 0.01, tau_p, tau_d)
        cohort_p99_itl = np.where(cohort_share >= 0.01, c.at(c.full_step, running), tau_d)
    else:
        spread_p99_itl = np.where(spread_share >= 0.01, tau_d + tau_p, tau_d)
        cohort_p99_itl = tau_d
    itl_p99 = (1.0 - phi) * spread_p99_itl + phi * cohort_p99_itl
    point = _Point(
        running, ttft, ttft, p99, np.ones_like(C, dtype=bool), X, per > wall, tpot, stalls, itl_p99
    )
    run = _assemble(ConcurrencyRun, d, c, C, point, wall * d.replicas)
    assert isinstance(run, ConcurrencyRun)
    return run


def poisson(
    d: Deployment, S: float, n: float, rate: npt.ArrayLike, num_requests: int = DEFAULT_REQUESTS
) -> RateRun:
    """Requests arriving at random (Poisson) at ``rate`` per second; ``inf``: all at once (a run
    of ``num_requests``). A rate at or above the capacity has no steady state: it is reported
    unstable, with what a run of ``num_requests`` requests would see."""
    lam = np.asarray(rate, dtype=np.float64)
    c = curve(d, S, n)
    per = lam / d.replicas
    front = d.efficiency.request_overhead_s  # the front end: a latency
    steps = max(n - 1.0, 0.0)
    capacity = float(c.X[-1])
    X_grid = np.maximum.accumulate(c.X)
    stable = per < capacity * (1.0 - 1e-9)
    b = np.where(stable, np.interp(per, X_grid, c.B, left=LOWEST), c.B[-1])
    tau = c.at(c.tau, b)
    own = c.at(c.own_prefill, b)
    # the prompts queue for the token budget: M/D/1 (fixed lengths), utilisation rho
    T = float(d.engine.max_batched_tokens)
    room = np.maximum(T - b, 1.0) if c.chunked else np.full_like(b, T)
    busy = np.clip(per * own * np.minimum(1.0, c.S / room), 0.0, 0.999999)
    w_prefill = busy * own / (2.0 * (1.0 - busy))
    # near the wall, arrivals wait for a decode slot: Erlang C over the wall's slots
    slots = c.walls.limit
    offered = np.minimum(b, slots * (1.0 - 1e-9))
    waits = erlang_c(slots, offered)
    service = steps * tau + own
    w_slot = waits * service / np.maximum(slots - offered, 1e-9)
    residual = tau / 2.0
    # a finite run of N requests near capacity queues about sqrt(N) of them, not forever
    N = float(num_requests) / d.replicas
    cap = math.sqrt(N) / capacity
    wait = np.minimum(w_prefill + w_slot, cap)
    busy_any = np.clip(np.maximum(busy, waits), 1e-12, 1.0)
    ttft = front + residual + own + wait
    p50 = front + residual + own + np.minimum(queue_quantile(wait, busy_any, 0.5), cap)
    p99 = front + 2 * residual + own + np.minimum(queue_quantile(wait, busy_any, 0.99), 3 * cap)
    # Above capacity, a run of N requests (queues.overload_waits): the running batch grows past
    # the knee of the throughput curve by the backlog, and the requests wait for the prompts
    # before them or for a slot; all at once (inf), the engine fills its batch as offline.
    knee_b = float(np.interp(0.98 * capacity, X_grid, c.B))
    with np.errstate(divide="ignore"):
        backlog = N * np.clip(1.0 - capacity / per, 0.0, 1.0)
    b = np.where(stable, b, np.clip(backlog, knee_b, c.B[-1]))
    mu = c.at(c.full_tokens / c.S / c.full_step, b)  # prompts/s, steps full of prompts
    mean_wait, wait99 = np.zeros_like(per), np.zeros_like(per)
    if not np.all(stable):
        over = ~stable
        mean_wait[over], wait99[over] = overload_waits(
            per[over], N, mu[over], capacity, float(c.B[-1])
        )
    late = front + residual + own + np.maximum(cap, mean_wait)
    ttft = np.where(stable, ttft, late)
    p50 = np.where(stable, p50, late)
    p99 = np.where(stable, p99, front + 2 * residual + own + np.maximum(3 * cap, wait99))
    tpot = c.at(c.tau, b)
    # a run of N requests ends with the last one: below capacity it measures
    # N / (N / rate + E2E); above, the requests flow at the capacity and the last ones drain
    e2e = ttft + steps * tpot
    drain = steps * c.at(c.decode.time, b)
    with np.errstate(invalid="ignore"):  # inf / inf where the rate is inf (not stable)
        X = np.where(stable, per * N / (N + per * e2e), N / (N / capacity + drain))
    whole = ~np.isfinite(per)
    if np.any(whole):  # all at once: the offline run of the N requests
        off = offline(d, S, n, [num_requests])
        b = np.where(whole, off.running_batch[0], b)
        X = np.where(whole, off.requests_per_s[0] / d.replicas, X)
        tpot = np.where(whole, off.tpot_s[0], tpot)
    point = _Point(b, ttft, p50, p99, stable, X, ~stable, tpot)
    run = _assemble(RateRun, d, c, lam, point, capacity * d.replicas)
    assert isinstance(run, RateRun)
    return run


def offline(d: Deployment, S: float, n: float, num_requests: npt.ArrayLike) -> OfflineRun:
    """``num_requests`` requests queued at t = 0: the engine fills its running batch to the wall
    (maximum throughput). An engine that prefills whole prompts in steps of their own runs the
    static batch: one cohort up to the wall, prefilled then decoded together, and beyond it
    waves (fixed lengths end a wave together). One with chunked prefill runs the cohort as a
    staircase (:func:`~engine.physics.steady.staircase`) and refills each slot as it frees, so
    past the wall the requests flow at the steady state's capacity."""
    N = np.asarray(num_requests, dtype=np.float64)
    c = curve(d, S, n)
    per = np.maximum(np.ceil(N / d.replicas), 1.0)
    top = float(c.B[-1])
    capacity = float(c.X[-1])
    front = 0.0  # in the engine's own process (trtllm-bench, LLM.generate): no front end
    steps = max(n - 1.0, 0.0)
    m = np.minimum(per, top)
    b = m
    if c.chunked:  # the first cohort's staircase: K steps of a budget's prompts
        first, last_first, fill, tpot_c = staircase(d, c, m)
        flow = per > top
        # flowing: slots refill as they free, at the capacity; the last ones' decode drains
        drain = steps * float(c.decode.time[-1])
        makespan = np.where(flow, per / capacity + drain, fill + steps * tpot_c)
        later = np.maximum(per - top, 0.0)
        # later requests wait for a slot: admitted at fill + k / capacity, k = 1 .. later
        ttft_flow = (m * first + later * (fill + later / (2.0 * capacity))) / per
        ttft = front + np.where(flow, ttft_flow, first)
        p99 = front + np.where(flow, fill + 0.99 * later / capacity, last_first)
        tpot = np.where(flow, float(c.tau[-1]), tpot_c)
    else:  # whole prompts in steps of their own: the static batch's cohort, or its waves
        static = static_run(d, N, S, n)
        makespan = static.e2e_s
        ttft = front + static.ttft_s
        p99 = front + static.e2e_s - steps * static.tpot_s
        tpot = static.tpot_s
    X = N / d.replicas / makespan
    stable = np.ones_like(N, dtype=bool)
    point = _Point(b, ttft, ttft, np.maximum(p99, ttft), stable, X, per >= top, tpot)
    run = _assemble(OfflineRun, d, c, N, point, math.inf)
    assert isinstance(run, OfflineRun)
    return run
