"""Speed of ``tokentui plan`` (issue #9). Run: .venv/bin/python scripts/bench_plan.py

Times the search itself (:func:`engine.scenario.plan.plan`: every layout resolved, fitted and
searched over every whole concurrency up to its wall) for typical plans, as the median and the
best of several repeats, and once the whole command as a user runs it (a new process: the
interpreter and the imports included). Exit code 1 if a median misses its target.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from bench_engine import timed  # the same timing: median and best after a warm-up

from engine.scenario import ScenarioInput
from engine.scenario.plan import Plan, Slo, plan
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency


def main() -> int:
    cat, profile = default_catalog(), default_efficiency()
    slo = [Slo("ttft", 2.0), Slo("itl", 0.05)]
    seventy = ScenarioInput(
        model="llama-3.1-70b", gpu="h100-sxm", input_tokens=1000, output_tokens=1000
    )
    chunked = ScenarioInput(
        model="llama-3.1-8b", gpu="h100-sxm", input_tokens=1000, output_tokens=1000, engine="vllm"
    )
    cases: list[tuple[str, Callable[[], Plan], float]] = [
        ("70B on 1-8 x H100, every layout (30)", lambda: plan(seventy, cat, profile, slo), 0.5),
        (
            "8B on 1-8 x H100, vLLM V1 (walls of 1,000s)",
            lambda: plan(chunked, cat, profile, [Slo("ttft", 2.0), Slo("itl", 0.1, "mean")]),
            0.5,
        ),
    ]
    ok = True
    print(f"{'case':<45} {'layouts':>7} {'median':>10} {'best':>10} {'target':>8}")
    for name, fn, target in cases:
        median, best = timed(fn, 10)
        layouts = fn().searched
        ok &= median <= target
        print(
            f"{name:<45} {layouts:>7} {median * 1e3:>8.1f}ms {best * 1e3:>8.1f}ms "
            f"{target * 1e3:>6.0f}ms  {'ok' if median <= target else 'MISSED'}"
        )
    command = [
        *("tokentui", "plan", "--model", "llama-3.1-70b", "--gpu", "h100-sxm"),
        *("--input-tokens", "1000", "--output-tokens", "1000", "--ttft-ms", "2000"),
        *("--itl-ms", "50"),
    ]
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tui.main", *command[1:]], check=True, capture_output=True
    )
    print(
        f"the whole command, a new process: {time.perf_counter() - t0:.2f} s ({' '.join(command)})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
