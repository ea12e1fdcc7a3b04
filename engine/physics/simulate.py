"""A step-by-step simulation of a continuous-batching scheduler: the slow, exact reference for the
serving model (:mod:`engine.physics.serving`).

Requests of ``S`` prompt and ``n`` output tokens arrive (C users in a closed loop, Poisson arrivals,
or all at once); at every step the scheduler admits waiting requests while it has a free sequence
slot and KV room for ``S + kv_reserve * n`` tokens (first come, first served), then builds the step:

- with chunked prefill, every running sequence that has its first token decodes one more, and the
  token budget left over (``max_batched_tokens`` less the decode tokens) goes to the prompts still
  prefilling, in order of arrival;
- without it, a step prefills whole waiting prompts (up to the budget) and nothing decodes, or, when
  no prompt waits, every running sequence decodes.

The step takes :meth:`StepCost.mixed` of what it holds — the same function the analytical model
uses, with each sequence's own context. A prompt's last chunk yields its first token; a request
ends with its ``n``-th. One replica is simulated; loads split evenly over the replicas. Preemption
(vLLM recomputing a request when the KV cache runs out) is not simulated: the admission rule keeps
it from happening.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.physics.deployment import Deployment
from engine.physics.memory import memory_plan
from engine.physics.step import StepCost

Array = npt.NDArray[np.float64]
MAX_STEPS = 2_000_000  # a bound on any one simulation


@dataclass
class _Request:
    arrival: float
    user: int = -1
    prefilled: int = 0
    generated: int = 0
    first_token: float = math.nan
    last_token: float = math.nan
    done: float = math.nan
    itl: list[float] = field(default_factory=list)


@dataclass(frozen=True, eq=False)  # arrays: == would not be one bool
class Simulation:
    """What a simulated run measured, over the requests after the warm-up."""

    ttft_s: Array  # per request
    tpot_s: Array  # per request: (end - first token) / (n - 1)
    e2e_s: Array
    itl_s: Array  # every gap between two tokens of a request
    requests_per_s: float  # per replica
    output_tokens_per_s: float  # per replica
    running_batch: float  # sequences past their first token, averaged over the measured time
    duration_s: float
    steps: int

    def summary(self) -> dict[str, float]:
        def pct(a: Array, q: float) -> float:
            return float(np.percentile(a, q)) if a.size else math.nan

        return {
            "ttft_s": float(np.mean(self.ttft_s)),
            "ttft_p50_s": pct(self.ttft_s, 50),
            "ttft_p99_s": pct(self.ttft_s, 99),
            "itl_s": float(np.mean(self.itl_s)) if self.itl_s.size else math.nan,
            "itl_p99_s": pct(self.itl_s, 99),
            "tpot_s": float(np.mean(self.tpot_s)) if self.tpot_s.size else math.nan,
            "e2e_s": float(np.mean(self.e2e_s)),
            "requests_per_s": self.requests_per_s,
            "output_tokens_per_s": self.output_tokens_per_s,
            "running_batch": self.running_batch,
        }


class _Steps:
    """The step-time function on plain numbers (one step at a time)."""

    def __init__(self, d: Deployment, S: int) -> None:
        self.cost = StepCost(d)
        self.d = d
        self._flops: dict[int, float] = {}

    def flops(self, tokens: int) -> float:
        """Prefill FLOPs per GPU of the first ``tokens`` tokens of a prompt."""
        if tokens not in self._flops:
            self._flops[tokens] = float(self.cost.prefill_flops(np.asarray(float(tokens))))
        return self._flops[tokens]

    def time(
        self, decode: int, context: float, prefill: int, flops: float, prompts: int, eager: bool
    ) -> float:
        a = np.asarray
        t = self.cost.mixed(
            a(float(decode)),
            a(context),
            a(float(prefill)),
            a(flops),
            a(float(prompts)),
            a(1.0 if eager else 0.0),
        ).time
        return float(t)


def simulate(
    d: Deployment,
    S: int,
    n: int,
    *,
    concurrency: int | None = None,
    rate: float | None = None,
    num_requests: int = 200,
    warmup: int = 0,
    seed: int = 0,
    spread_s: float = 0.0,
    rounds: bool = False,
) -> Simulation:
    """Simulate one replica. Exactly one of ``concurrency`` (users in a closed loop) or ``rate``
    (Poisson arrivals per second; ``inf``: all ``num_requests`` sent at t = 0; None with no
    concurrency: offline, all queued at t = 0 inside the engine, no front end) sets the load;
    ``num_requests`` are measured after ``warmup`` more have ended. A closed loop's users send
    their first requests together, or evenly over ``spread_s`` seconds: with fixed lengths,
    users that start together stay a cohort, users spread out stay spread. ``rounds``: each user
    sends its next request when the whole cohort's have ended (the cohort re-forms each round)."""
    if S < 1 or n < 1:
        raise InputError(f"prompt and output tokens must be at least 1, got {S} and {n}")
    e = d.engine
    plan = memory_plan(d, S + n)
    block = e.block_size
    held = math.ceil((S + e.kv_reserve * n) / block) * block
    capacity = max(plan.kv_budget_bytes, 0.0) / plan.kv_per_token_bytes
    if held > capacity:
        raise InputError(f"not even one request of {S + n:,} tokens fits in the KV cache")
    T = e.max_batched_tokens
    steps_fn = _Steps(d, S)
    total = num_requests + warmup
    rng = np.random.default_rng(seed)

    # A request reaches the scheduler the front end's time (HTTP, tokenizer:
    # ``request_overhead_s``) after it was sent; its latencies count from the sending, and the
    # GPU does nothing for it meanwhile.
    front = d.efficiency.request_overhead_s
    waiting: deque[_Request] = deque()
    arrivals: list[tuple[float, int, int, float]] = []  # (at the scheduler, order, user, sent)

    def send(sent: float, order: int, user: int) -> None:
        heapq.heappush(arrivals, (sent + front, order, user, sent))

    if concurrency is not None:
        users = min(concurrency, total)
        for u in range(users):
            send(u * spread_s / users, u, u)
    elif rate is None:  # offline: in the engine's own process, no front end
        arrivals = [(0.0, i, -1, 0.0) for i in range(total)]
    elif math.isinf(rate):  # all at once, to a server
        for i in range(total):
            send(0.0, i, -1)
    else:
        times = np.cumsum(rng.exponential(1.0 / rate, size=total))
        for i, t in enumerate(times):
            send(float(t), i, -1)
    issued = len(arrivals)
    parked: list[int] = []  # users whose next request waits for the round (``rounds``)

    running: list[_Request] = []
    finished: list[_Request] = []
    used = 0.0
    t = 0.0
    steps = 0
    window_start = 0.0 if warmup == 0 else math.nan
    busy = 0.0  # sequences decoding, integrated over the measured window
    made = 0  # output tokens made in the measured window
    while len(finished) < total:
        while arrivals and arrivals[0][0] <= t:
            _, _, user, sent = heapq.heappop(arrivals)
            waiting.append(_Request(sent, user=user))
        while waiting and len(running) < e.max_num_seqs and used + held <= capacity:
            running.append(waiting.popleft())
            used += held
        if not running:
            if arrivals:
                t = max(t, arrivals[0][0])
                continue
            break  # nothing left (cannot happen with requests outstanding)
        decoding = [r for r in running if r.generated >= 1]
        pending = [r for r in running if r.prefilled < S]
        chunks: list[tuple[_Request, int]] = []
        if e.chunked_prefill:
            budget = T - len(decoding)
            for r in pending:
                if budget <= 0:
                    break
                c = min(S - r.prefilled, budget)
                chunks.append((r, c))
                budget -= c
        elif pending:
            decoding = []
            budget = T
            for r in pending:
                c = min(S - r.prefilled, budget)
                if c <= 0:
                    break
                chunks.append((r, c))
                budget -= c
                if c < S - r.prefilled:
                    break
        D = len(decoding)
        context = float(sum(S + r.generated for r in decoding))
        P = sum(c for _, c in chunks)
        flops = sum(
            steps_fn.flops(r.prefilled + c) - steps_fn.flops(r.prefilled) for r, c in chunks
        )
        deepest = max((S + r.generated for r in decoding), default=0)
        eager = e.graph_max_tokens < D + P or (D > 0 and deepest > e.graph_max_context)
        dt = steps_fn.time(D, context, P, flops, len(chunks), eager)
        t += dt
        steps += 1
        if not math.isnan(window_start):  # in their decode phase, decoding in this step or not
            busy += sum(1 for r in running if r.generated >= 1) * dt
        if steps > MAX_STEPS:
            raise InputError("the simulation ran past its bound of steps; use a smaller run")
        if not math.isnan(window_start):
            made += D + sum(1 for r, c in chunks if r.prefilled + c >= S)
        for r in decoding:
            r.generated += 1
            r.itl.append(t - r.last_token)
            r.last_token = t
        for r, c in chunks:
            r.prefilled += c
            if r.prefilled >= S:
                r.generated = 1
                r.first_token = r.last_token = t
        for r in [r for r in running if r.generated >= n]:
            r.done = t
            running.remove(r)
            used -= held
            finished.append(r)
            if len(finished) == warmup:
                window_start = t
            if concurrency is not None and rounds:  # the round ends with its last request
                parked.append(r.user)
                if not running and not waiting:
                    for user in parked:
                        if issued < total:
                            send(t, issued, user)
                            issued += 1
                    parked.clear()
            elif concurrency is not None and issued < total:
                send(t, issued, r.user)
                issued += 1
    measured = finished[warmup:]
    start = 0.0 if warmup == 0 else window_start
    if math.isnan(start):
        start = 0.0
    duration = max(t - start, 1e-12)
    ttft = np.array([r.first_token - r.arrival for r in measured])
    e2e = np.array([r.done - r.arrival for r in measured])
    tpot = (
        np.array([(r.done - r.first_token) / (n - 1) for r in measured]) if n > 1 else np.array([])
    )
    itl = np.array([g for r in measured for g in r.itl])
    return Simulation(
        ttft_s=ttft,
        tpot_s=tpot,
        e2e_s=e2e,
        itl_s=itl,
        requests_per_s=len(measured) / duration,
        output_tokens_per_s=made / duration,
        running_batch=busy / duration,
        duration_s=duration,
        steps=steps,
    )
