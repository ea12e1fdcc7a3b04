"""Fit the realistic mode's default factors on the shared measurements; write the profile.

    .venv/bin/python scripts/fit_defaults.py [BENCHMARK_DIR] [--write]

BENCHMARK_DIR defaults to ../shared/benchmarks/tokenomics-vllm. The hardware is what the data's
README records (the files do not): Llama 3.3 70B on 4 x H100 SXM with TP 4, Llama 3.1 8B on one
H100. Identical files (the sweep repeats the four main ones) are counted once. With --write the
result goes to presets/calibration/default.toml. Deterministic: the same data gives the same file.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import tomli_w

from engine import default_catalog, make_scenario
from engine.calibration import (
    PARAMS,
    FitCase,
    ape,
    default_profile_path,
    efficiency_to_dict,
    fit,
)
from engine.errors import InputError
from engine.measure import load_measurement, resolve_model_name
from engine.scenario import Efficiency

HARDWARE = {"llama-3.3-70b": ("h100-sxm", 4), "llama-3.1-8b": ("h100-sxm", 1)}
START = Efficiency(
    compute=0.6,
    memory=0.9,
    attention=0.7,
    attention_items=64.0,
    attention_floor=0.25,
    step_overhead_s=2e-3,
    seq_overhead_s=5e-5,
    collective_latency_s=1e-5,
)


def load_cases(root: Path) -> tuple[list[FitCase], list[str]]:
    cat = default_catalog()
    seen: dict[str, str] = {}
    cases, skipped = [], []
    for path in sorted(root.glob("*.json")) + sorted(root.glob("sweep/*.json")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest in seen:
            skipped.append(f"{path.relative_to(root)} (same as {seen[digest]})")
            continue
        seen[digest] = str(path.relative_to(root))
        try:
            meas = load_measurement(path)
        except InputError as exc:
            skipped.append(str(exc))
            continue
        model_id = resolve_model_name(meas.model_name, list(HARDWARE))
        if model_id is None:
            skipped.append(f"{path.name}: no hardware recorded for {meas.model_name!r}")
            continue
        gpu_id, gpus = HARDWARE[model_id]
        scenario = make_scenario(cat.model(model_id), cat.gpu(gpu_id), gpus=gpus)
        cases.append(FitCase(str(path.relative_to(root)), scenario, meas.points))
    return cases, skipped


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    root = (
        Path(args[0])
        if args
        else Path(__file__).resolve().parents[2] / "shared/benchmarks/tokenomics-vllm"
    )
    cases, skipped = load_cases(root)
    print(f"{len(cases)} files, {sum(len(c.points) for c in cases)} points; skipped {len(skipped)}")
    # Weight streaming runs at ~90% of the datasheet bandwidth on an H100 (STREAM-like copy
    # kernels reach ~3.0 of 3.35 TB/s); with one GPU model in the data it cannot be told apart
    # from the fixed per-step overhead, so it is held there and the overhead is fitted.
    free = tuple(p for p in PARAMS if p != "memory")
    result = fit(cases, START, free=free)
    eff = result.efficiency
    print(
        "fitted:",
        {
            k: round(v, 6)
            for k, v in efficiency_to_dict(eff, "default").items()
            if isinstance(v, float)
        },
    )
    print("relative standard errors:", {k: round(v, 3) for k, v in result.rel_stderr.items()})
    print("not pinned down (held at start):", result.undetermined or "none")
    main_files = [c for c in cases if "/" not in c.label]
    for c in main_files:
        print(
            f"  {c.label:<40} MAPE before {result.mape_before[c.label]:6.1f}%  "
            f"after {result.mape_after[c.label]:6.1f}%"
        )
    sweep = np.array([result.mape_after[c.label] for c in cases if "/" in c.label])
    all_files = np.array(list(result.mape_after.values()))
    print(
        f"  sweep/ ({len(sweep)} files): median per-file MAPE {np.median(sweep):.1f}%, "
        f"mean {np.mean(sweep):.1f}%, 90th percentile {np.percentile(sweep, 90):.1f}%"
    )
    print(f"  all files: median {np.median(all_files):.1f}%")
    worst = sorted(
        (
            (float(e), c.label, p.batch)
            for c in cases
            for e, p in zip(ape(c, eff), c.points, strict=True)
        ),
        reverse=True,
    )[:8]
    print("  worst points:", "; ".join(f"{lab} B={b}: {e:.0f}%" for e, lab, b in worst))
    if "--write" in argv:
        profile = efficiency_to_dict(eff, "default")
        profile["fit"] = {
            "script": "scripts/fit_defaults.py",
            "data": "shared/benchmarks/tokenomics-vllm (4 files + sweep/, duplicates once)",
            "hardware": "llama-3.3-70b: 4 x h100-sxm TP4; llama-3.1-8b: 1 x h100-sxm",
            "files": len(cases),
            "points": result.points,
            "undetermined": list(result.undetermined),
            "mape_main_files": {c.label: round(result.mape_after[c.label], 2) for c in main_files},
            "median_mape_sweep": round(float(np.median(sweep)), 2),
        }
        path = default_profile_path()
        text = "# Written by scripts/fit_defaults.py; do not edit by hand.\n" + tomli_w.dumps(
            profile
        )
        path.write_text(text)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
