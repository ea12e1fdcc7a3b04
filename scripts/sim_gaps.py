"""The analytical serving model against the step-by-step simulator, on generated cases.

    .venv/bin/python scripts/sim_gaps.py [--quick]

Both price steps with the same function; the simulator runs the scheduler one step at a time
(fixed lengths, one replica), the analytical model jumps to the steady state. Their gap is the
analytical model's approximation. Cases: two engines (vllm-v0: whole prompts in steps of their
own; trtllm: chunked prefill, full KV reservation), two models, three request shapes, and per
case a closed loop (1 to 256 users; lockstep 1 against simulated users that start together and
whose cohort re-forms each round — with chunked prefill the simulator holds each user's next
request for the round's end —, lockstep 0 against users whose first requests are spread over one
request's time), Poisson rates at 30%, 70% and 90% of the
capacity, and an offline run. Prints the median and the 90th percentile of |gap| per load and
quantity, and the worst cases.
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import replace

import numpy as np

from engine.physics import serving
from engine.physics.simulate import simulate
from engine.scenario import ScenarioInput, resolve
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency

QUANTITIES = ("ttft_s", "tpot_s", "e2e_s", "output_tokens_per_s")


def gap(a: float, b: float) -> float:
    return (a - b) / b * 100.0


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    cat, profile = default_catalog(), default_efficiency()
    setups = [
        ("vllm-v0", "llama-3.1-8b", 1),
        ("trtllm", "llama-3.1-8b", 1),
        ("vllm-v0", "llama-3.3-70b", 4),
        ("trtllm", "llama-3.3-70b", 4),
    ]
    shapes = [(200, 200), (2000, 300)] if quick else [(200, 200), (2000, 300), (500, 2000)]
    users_list = [1, 8, 64] if quick else [1, 8, 64, 256]
    rows: list[tuple[str, str, str, float]] = []  # (load, case, quantity, gap)
    began = time.perf_counter()
    for engine, model, gpus in setups:
        base = resolve(
            ScenarioInput(model=model, gpu="h100-sxm", gpus=gpus, engine=engine), cat, profile
        )
        for S, n in shapes:
            for phi in (0.0, 1.0):
                d = replace(base, efficiency=replace(base.efficiency, lockstep=phi))
                for users in users_list:
                    a = serving.closed_loop(d, S, n, [users])
                    # lockstep 0: users spread over one request's time; 1: starting together
                    spread = 0.0 if phi else float(a.e2e_s[0])
                    sim = simulate(
                        d,
                        S,
                        n,
                        concurrency=users,
                        num_requests=max(200, 4 * users),
                        warmup=users,
                        spread_s=spread,
                        rounds=bool(phi) and d.engine.chunked_prefill,
                    ).summary()
                    case = f"{engine} {model} {S}/{n} C={users} lockstep {phi:.0f}"
                    for q in QUANTITIES:
                        rows.append(
                            (
                                f"closed loop, lockstep {phi:.0f}",
                                case,
                                q,
                                gap(float(getattr(a, q)[0]), sim[q]),
                            )
                        )
            capacity = serving.poisson(base, S, n, [1.0]).wall
            for share in (0.3, 0.7, 0.9):
                lam = share * capacity
                N = 600 if quick else 1500
                r = serving.poisson(base, S, n, [lam], N)
                sim = simulate(base, S, n, rate=lam, num_requests=N).summary()
                case = f"{engine} {model} {S}/{n} rate {share:.0%} of capacity"
                for q in QUANTITIES:
                    rows.append(("Poisson", case, q, gap(float(getattr(r, q)[0]), sim[q])))
            N = 300 if quick else 800
            o = serving.offline(base, S, n, [N])
            sim = simulate(base, S, n, rate=None, num_requests=N).summary()
            for q in QUANTITIES:
                rows.append(
                    (
                        "offline",
                        f"{engine} {model} {S}/{n} N={N}",
                        q,
                        gap(float(getattr(o, q)[0]), sim[q]),
                    )
                )
    print(f"{len(rows) // len(QUANTITIES)} cases in {time.perf_counter() - began:.0f} s")
    print(f"{'load':<24}{'quantity':<22}{'median |gap|':>13}{'p90 |gap|':>11}{'worst':>9}")
    for load in dict.fromkeys(r[0] for r in rows):
        for q in QUANTITIES:
            g = [abs(r[3]) for r in rows if r[0] == load and r[2] == q]
            print(
                f"{load:<24}{q:<22}{statistics.median(g):>12.1f}%"
                f"{float(np.percentile(g, 90)):>10.1f}%{max(g):>8.1f}%"
            )
    print("worst 8:")
    for _load, case, q, worst in sorted(rows, key=lambda r: -abs(r[3]))[:8]:
        print(f"  {worst:+7.1f}%  {q:<20} {case}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
