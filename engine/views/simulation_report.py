"""``estimate --simulate``: one point of a serving load, step by step, beside the analytical model.

The simulator (:mod:`engine.physics.simulate`) runs the scheduler one step at a time with the same
step-time function: slow, but exact for its assumptions (fixed lengths, one replica). It answers
for one point; the analytical model answers for a whole axis in milliseconds. The gap between them
is the analytical model's approximation, not a measurement error.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from engine.errors import InputError
from engine.physics.load import LoadRun
from engine.physics.simulate import Simulation, simulate
from engine.scenario.scenario import Scenario
from engine.views.format import count

#: What both report, in the order shown: (key, label, unit scale, unit).
QUANTITIES: tuple[tuple[str, str, float, str], ...] = (
    ("ttft_s", "TTFT mean", 1e3, "ms"),
    ("ttft_p50_s", "TTFT p50", 1e3, "ms"),
    ("ttft_p99_s", "TTFT p99", 1e3, "ms"),
    ("itl_s", "ITL mean", 1e3, "ms"),
    ("itl_p99_s", "ITL p99", 1e3, "ms"),
    ("tpot_s", "TPOT", 1e3, "ms"),
    ("e2e_s", "E2E", 1.0, "s"),
    ("requests_per_s", "requests/s", 1.0, ""),
    ("output_tokens_per_s", "output tok/s", 1.0, ""),
    ("running_batch", "running batch", 1.0, ""),
)
#: A run past this many simulated requests is refused: it would take minutes.
MOST_REQUESTS = 20_000


@dataclass(frozen=True)
class SimulatedPoint:
    load: str  # concurrency, rate or offline
    value: float  # the load's value (system-wide)
    replicas: int
    requests: int  # measured, per replica
    warmup: int
    simulation: Simulation
    analytic: dict[str, float]  # system-wide, as the estimate reports
    simulated: dict[str, float]  # the same quantities, the replica's scaled to the system
    seconds: float  # wall time of the simulation


def _last_value(s: Scenario) -> float:
    values = s.workload.values()
    if s.workload.KIND == "static" or not values:
        raise InputError(
            "--simulate runs a point of a serving load: give --concurrency, --rate or "
            "--offline (a static batch is already exact)"
        )
    return float(values[-1])


def simulate_point(s: Scenario, run: LoadRun, requests: int | None = None) -> SimulatedPoint:
    """Simulate the last point of ``s``'s load axis (its highest load) on one replica; ``run``
    is its analytical run. ``requests``: how many to measure (the run's own count for rate and
    offline; for a closed loop 4 rounds of its users, at least 200, after a warm-up round)."""
    value = _last_value(s)
    index = len(s.workload.values()) - 1
    kind = s.workload.KIND
    replicas = s.replicas
    S, n = int(s.input_tokens), int(s.output_tokens)
    if kind == "concurrency":
        users = max(round(value / replicas), 1)
        count = requests or max(200, 4 * users)
        warmup = users
    else:
        total = requests or (
            int(getattr(s.workload, "num_requests", 1)) if kind == "rate" else value
        )
        count = max(round(total / replicas), 1)
        warmup = 0
    if count + warmup > MOST_REQUESTS:
        raise InputError(
            f"--simulate runs at most {MOST_REQUESTS:,} requests a replica; this point needs "
            f"{count + warmup:,}: use a smaller --num-requests (or fewer users)"
        )
    began = time.perf_counter()
    if kind == "concurrency":
        sim = simulate(s, S, n, concurrency=users, num_requests=count, warmup=warmup)
    elif kind == "rate":
        sim = simulate(s, S, n, rate=value / replicas, num_requests=count)
    else:
        sim = simulate(s, S, n, rate=None, num_requests=count)
    seconds = time.perf_counter() - began
    summary = sim.summary()
    system = {"requests_per_s", "output_tokens_per_s"}
    simulated = {k: v * (replicas if k in system else 1) for k, v in summary.items()}
    analytic = {k: float(getattr(run, k)[index]) for k, *_ in QUANTITIES}
    analytic["running_batch"] = float(run.running_batch[index])
    return SimulatedPoint(kind, value, replicas, count, warmup, sim, analytic, simulated, seconds)


def gap_pct(p: SimulatedPoint, key: str) -> float | None:
    """The analytical value's gap to the simulated one, in percent of the simulated."""
    a, b = p.analytic.get(key), p.simulated.get(key)
    if a is None or b is None or not math.isfinite(b) or b == 0 or not math.isfinite(a):
        return None
    return (a - b) / b * 100.0


def simulation_dict(p: SimulatedPoint) -> dict[str, Any]:
    return {
        "load": p.load,
        "value": p.value,
        "replicas_simulated": 1,
        "replicas": p.replicas,
        "requests": p.requests,
        "warmup": p.warmup,
        "steps": p.simulation.steps,
        "seconds": p.seconds,
        "simulated": p.simulated,
        "analytic": p.analytic,
        "gap_pct": {k: gap_pct(p, k) for k, *_ in QUANTITIES},
    }


def simulation_table(p: SimulatedPoint) -> str:
    head = (
        f"simulated step by step at {p.load} {_num(p.value)}: one replica of {p.replicas}, "
        f"{count(p.requests, 'request')} measured"
        + (f" after {p.warmup:,} of warm-up" if p.warmup else "")
        + f", {p.simulation.steps:,} steps in {p.seconds:.2f} s"
    )
    lines = [head, f"  {'quantity':<16}{'analytic':>12}{'simulated':>12}{'gap':>9}"]
    for key, label, scale, unit in QUANTITIES:
        a, b = p.analytic[key], p.simulated[key]
        g = gap_pct(p, key)
        shown = f"{label} {unit}".strip()
        lines.append(
            f"  {shown:<16}{_num(a * scale):>12}{_num(b * scale):>12}"
            + (f"{g:>+8.1f}%" if g is not None else f"{'-':>9}")
        )
    lines.append(
        "  gap: the analytical model's, against the simulator (the same step prices, one step "
        "at a time)"
    )
    return "\n".join(lines)


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"
