"""Fit the llama.cpp engine profiles' factors on the shared llama.cpp table; report every group.

    .venv/bin/python scripts/fit_llamacpp.py [--write]

Data: the llama.cpp rows of benchmarks/public/measurements.tsv (the repository's copy of
../shared/benchmarks/public): XiongjieDai's Llama 2 overview, Dec 2023, single-stream decode
(batch 1) of Llama 2 7B and 70B in q4_0 and f16 on 10 NVIDIA GPUs (1-6 of them, llama.cpp's
layer split: pipeline stages) and 4 Apple chips. Two rows the notes mark as CPU runs are not
expressed; the lengths are not stated (a short prompt and -n 1024 are assumed: they only set the
context the decode attends to).

Few physical factors, per backend:

- ``llamacpp`` (CUDA): the memory efficiency (the share of the datasheet bandwidth the mat-vec
  kernels stream weights at), a time per layer in every step (kernel launches and small-kernel
  tails: the build predates llama.cpp's CUDA graphs) and a time per pipeline-stage boundary
  (llama.cpp copied activations between GPUs through the host and synchronised);
- ``llamacpp-metal`` (Apple): the memory efficiency and the time per layer.

Held, not fitted, because llama.cpp has none of vLLM's machinery they stand for: no fixed step
or per-sequence overhead of a Python scheduler (0: the host's time per token is in the per-layer
figure), and decode attention as plain mat-vecs over the cache at full speed even for one
sequence (``attention_items`` 0, no time per cached token beyond its bytes). The rest stay the
default profile's.

The objective is the median absolute log error (least median of squares, Rousseeuw 1984): a
community table of single runs, some of which contradict the rest (the RTX 4000 Ada's f16 runs
faster on 4 GPUs than on 1 under a sequential layer split), so the fit follows the majority
rather than the mean. The median is piecewise flat, so the search is a grid in log coordinates,
then a seeded random search around the best, per profile and then both together against the
median of every row. A generalisation check refits on the 7B rows only and reports the 70B rows
it never saw. With --write the factors go to presets/engines/llamacpp*.toml ([efficiency],
[fit]). Deterministic: the same data gives the same files.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import tomli_w

from engine.errors import InputError
from engine.measure.calibration import FitCase, predict_tokens_per_s
from engine.measure.detect import load_measurement
from engine.measure.table import engine_of, table_fit_cases
from engine.physics.deployment import Efficiency
from engine.scenario import ScenarioInput, resolve
from engine.scenario.factors import FACTOR_BY_FIELD
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency
from engine.storage.tomlio import read_toml

ROOT = Path(__file__).resolve().parents[1]
TSV = ROOT / "benchmarks" / "public" / "measurements.tsv"
FREE: dict[str, tuple[str, ...]] = {
    "llamacpp": ("memory", "layer_overhead_s", "stage_hop_s"),
    "llamacpp-metal": ("memory", "layer_overhead_s"),
}
#: Held for both profiles (see the docstring).
HELD = {
    "step_overhead_s": 0.0,
    "seq_overhead_s": 0.0,
    "attention_items": 0.0,
    "attention_token_s": 0.0,
}
#: The coarse grid of each free factor (then refined): fractions linearly, times in log steps.
GRID: dict[str, tuple[float, ...]] = {
    "memory": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
    "layer_overhead_s": (20e-6, 40e-6, 60e-6, 80e-6, 120e-6, 160e-6),
    "stage_hop_s": (0.5e-3, 1e-3, 2e-3, 3e-3, 4e-3, 6e-3),
}


@dataclass(frozen=True)
class Case:
    profile: str
    group: str  # "1 GPU" / "2-6 GPUs (layer split)"
    model: str
    fit: FitCase


def load_cases() -> tuple[list[Case], dict[str, int]]:
    cat = default_catalog()
    meas = load_measurement(TSV)
    mine = replace(
        meas, points=tuple(p for p in meas.points if p.row and engine_of(p.row) == "llamacpp")
    )
    base = resolve(ScenarioInput(engine="llamacpp"), cat, default_efficiency())
    fitcases, reasons = table_fit_cases(mine, cat, base)
    cases = []
    for fc in fitcases:
        s = fc.scenario
        group = "1 GPU" if s.pp == 1 else "2-6 GPUs (layer split)"
        if s.gpu.vendor == "apple":
            group = "Apple (Metal)"
        cases.append(Case(s.engine_name, group, s.model.id, fc))
    return cases, reasons


def start_for(profile: str) -> Efficiency:
    return replace(default_efficiency(), **HELD)


def median_log_error(cases: list[Case], eff: Efficiency) -> float:
    errs = []
    for c in cases:
        fc = with_eff(c, eff)
        pred = predict_tokens_per_s(fc, eff)
        errs.extend(abs(math.log(p / t.measured)) for p, t in zip(pred, fc.targets, strict=True))
    return statistics.median(errs)


def lms_fit(cases: list[Case], start: Efficiency, names: tuple[str, ...]) -> Efficiency:
    """The factors of least median error: the best point of the grid, then a seeded random
    search around the best so far in shrinking log steps (the median is piecewise flat: a
    gradient or a coordinate search stalls on its plateaus)."""
    best, best_eff = math.inf, start
    for values in itertools.product(*(GRID[n] for n in names)):
        eff = replace(start, **dict(zip(names, values, strict=True)))
        err = median_log_error(cases, eff)
        if err < best:
            best, best_eff = err, eff
    rng = random.Random(11)
    for spread in (0.3, 0.15, 0.07, 0.03):
        for _ in range(60):
            moved = {n: getattr(best_eff, n) * math.exp(rng.gauss(0.0, spread)) for n in names}
            if moved.get("memory", 0.0) > 1.0:
                moved["memory"] = 1.0
            eff = replace(best_eff, **moved)
            err = median_log_error(cases, eff)
            if err < best:
                best, best_eff = err, eff
    return best_eff


def with_eff(c: Case, eff: Efficiency) -> FitCase:
    return replace(c.fit, scenario=replace(c.fit.scenario, efficiency=eff))


def errors(cases: list[Case], effs: dict[str, Efficiency]) -> dict[str, list[float]]:
    """Signed percentage error of every row, by group."""
    out: dict[str, list[float]] = defaultdict(list)
    for c in cases:
        eff = effs[c.profile]
        fc = with_eff(c, eff)
        pred = predict_tokens_per_s(fc, eff)
        for t, p in zip(fc.targets, pred, strict=True):
            e = (p - t.measured) / t.measured * 100
            out[c.group].append(e)
            out[f"{c.group}, {c.model}"].append(e)
            out["all rows"].append(e)
            if (c.profile == "llamacpp" and c.group == "1 GPU") or c.profile == "llamacpp-metal":
                out["single GPU (CUDA and Metal)"].append(e)
    return out


def report(title: str, errs: dict[str, list[float]]) -> dict[str, float]:
    print(title)
    medians = {}
    for group, e in sorted(errs.items()):
        med = statistics.median(abs(x) for x in e)
        bias = statistics.median(e)
        print(f"  {group:<40} {len(e):>3} rows  median |error| {med:5.1f}%  median {bias:+6.1f}%")
        medians[group] = round(med, 1)
    return medians


def fit_profiles(cases: list[Case]) -> dict[str, Efficiency]:
    """Each profile's factors on its own rows, then all of them together against the median of
    every row (the table's figure): a seeded random search around the best."""
    effs = {
        profile: lms_fit([c for c in cases if c.profile == profile], start_for(profile), names)
        for profile, names in FREE.items()
    }
    best = overall_median(cases, effs)
    rng = random.Random(7)
    for spread in (0.1, 0.05, 0.02):
        for _ in range(40):
            moved = {}
            for profile, names in FREE.items():
                eff = effs[profile]
                values = {n: getattr(eff, n) * math.exp(rng.gauss(0.0, spread)) for n in names}
                values["memory"] = min(values["memory"], 1.0)
                moved[profile] = replace(eff, **values)
            err = overall_median(cases, moved)
            if err < best:
                best, effs = err, moved
    return effs


def overall_median(cases: list[Case], effs: dict[str, Efficiency]) -> float:
    errs = []
    for c in cases:
        eff = effs[c.profile]
        fc = with_eff(c, eff)
        pred = predict_tokens_per_s(fc, eff)
        errs.extend(abs(math.log(p / t.measured)) for p, t in zip(pred, fc.targets, strict=True))
    return statistics.median(errs)


def main(argv: list[str]) -> int:
    cases, reasons = load_cases()
    n_rows = sum(len(c.fit.targets) for c in cases)
    print(f"{len(cases)} cases, {n_rows} measured numbers; not expressed: {reasons}")
    starts = {p: start_for(p) for p in FREE}
    report("before (the default profile's factors):", errors(cases, starts))
    effs = fit_profiles(cases)
    for profile, names in FREE.items():
        shown = {
            FACTOR_BY_FIELD[n].key: round(FACTOR_BY_FIELD[n].shown(getattr(effs[profile], n)), 4)
            for n in names
        }
        print(f"fitted {profile}: {shown}")
    medians = report("after:", errors(cases, effs))
    small = [c for c in cases if c.model != "llama-2-70b"]
    held_effs = fit_profiles(small)
    held = {k: v for k, v in errors(cases, held_effs).items() if "llama-2-70b" in k}
    held_medians = report("generalisation: fitted on the 7B rows only, the 70B rows:", held)
    if "--write" in argv:
        for profile in FREE:
            write(profile, effs[profile], medians, held_medians, n_rows)
    return 0


def write(
    profile: str,
    eff: Efficiency,
    medians: dict[str, float],
    held: dict[str, float],
    rows: int,
) -> None:
    path = ROOT / "presets" / "engines" / f"{profile}.toml"
    data = read_toml(path)
    fitted = list(FREE[profile])
    data["efficiency"] = {  # 3 significant digits: the data's scatter is far larger
        FACTOR_BY_FIELD[n].key: float(f"{FACTOR_BY_FIELD[n].shown(getattr(eff, n)):.3g}")
        for n in (*fitted, *HELD)
    }
    data["fit"] = {
        "script": "scripts/fit_llamacpp.py",
        "data": (
            "the llama.cpp rows of benchmarks/public/measurements.tsv (XiongjieDai, Llama 2 "
            f"7B/70B q4_0 and f16, batch 1, Dec 2023 build); {rows} measured numbers, both "
            "profiles"
        ),
        "fitted": [FACTOR_BY_FIELD[n].key for n in fitted],
        "held": [FACTOR_BY_FIELD[n].key for n in HELD],
        "objective": "median absolute log error (least median of squares)",
        "median_error_pct": medians,
        "held_out_median_error_pct": held,
    }
    path.write_bytes(tomli_w.dumps(data).encode())
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as exc:
        print(f"fit_llamacpp: {exc}", file=sys.stderr)
        sys.exit(2)
