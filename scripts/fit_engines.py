"""Fit the TensorRT-LLM engine profile's factors on the shared serving data; report every table.

    .venv/bin/python scripts/fit_engines.py [--write]

Data (the repository's copies of ../shared/benchmarks): NVIDIA NIM 1.8's Llama 3.1 8B table
(benchmarks/nim, closed-loop concurrency 1-250, TensorRT-LLM backend) and the TensorRT-LLM rows of
benchmarks/public/measurements.tsv: the v0.17 max-throughput table (trtllm-bench, offline) and the
v0.14 online table (Triton, Poisson rates). Each table weighs as much as another; within a table,
each row's point as much as another. The Mistral 7B rows are held out: a model the fit never saw,
reported apart. A time to first token counts only below the wall (the point is stable and no wall
binds): past it TTFT is the queue of a finite run, which no steady state pins down.

Few physical factors are fitted, the rest held at the default (vllm-v0) profile's: the compute
efficiency, the memory efficiency, the fixed step overhead, the overhead per sequence in a step
(a C++ scheduler's, not Python's), decode attention's fixed time per token and layer (its
kernels are not vLLM's), the collective latency (TP 2-8 rows), the front end's time per request
(HTTP, tokenizer) and the closed loop's lockstep share. Attention's bandwidth share and its small-
batch factors, and eager mode, are held: a TensorRT engine has no eager fall-back.

With --write the factors go to presets/engines/trtllm.toml ([efficiency], [fit]). Deterministic:
the same data gives the same file.
"""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import tomli_w

from engine.errors import InputError
from engine.measure.calibration import FitCase, FitResult, fit, predict_tokens_per_s
from engine.measure.detect import load_measurement
from engine.measure.file_scenario import FileOverrides, resolve_scenario
from engine.measure.points import Measurement, Point
from engine.measure.predict import serving_run
from engine.measure.table import engine_of, table_fit_cases
from engine.physics.deployment import Efficiency
from engine.scenario import Scenario, ScenarioInput, resolve
from engine.scenario.factors import FACTOR_BY_FIELD
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency
from engine.storage.tomlio import read_toml

ROOT = Path(__file__).resolve().parents[1]
NIM = ROOT / "benchmarks" / "nim" / "nim_llama3.1_8b_v1.8.0_1xH100_80GB.csv"
TSV = ROOT / "benchmarks" / "public" / "measurements.tsv"
PROFILE = ROOT / "presets" / "engines" / "trtllm.toml"
ENGINE = "trtllm"
FREE = (
    "compute",
    "memory",
    "step_overhead_s",
    "seq_overhead_s",
    "attention_token_s",
    "collective_latency_s",
    "request_overhead_s",
    "lockstep",
)
HELD_OUT = ("mistral-7b",)
TIME_METRICS = ("ttft_s",)


@dataclass(frozen=True)
class Case:
    table: str
    fit: FitCase
    held_out: bool


def _short(table: str) -> str:
    if "NIM" in table or table.endswith(".csv"):
        return "NIM 1.8 Llama 3.1 8B (concurrency)"
    if "v0.17" in table:
        return "TensorRT-LLM v0.17 max throughput (offline)"
    if "v0.14" in table:
        return "TensorRT-LLM v0.14 online (Poisson rates)"
    return table


def below_wall(case: FitCase, point: Point) -> bool:
    """The point is a steady state short of every wall, under the case's factors."""
    r = serving_run(case.scenario, point)
    return bool(r.stable[0]) and str(r.binding_wall[0]) in ("none", "compute")


def load_cases() -> list[Case]:
    cat = default_catalog()
    default = default_efficiency()
    base = resolve(ScenarioInput(engine=ENGINE), cat, default)
    cases: list[Case] = []
    nim = load_measurement(NIM)
    resolved = resolve_scenario(nim, cat, base, FileOverrides())
    cases.append(
        Case(_short("NIM"), FitCase("nim", resolved.scenario, nim.points, nim.kind), False)
    )
    cases.extend(_table_cases(load_measurement(TSV), base))
    return cases


def _table_cases(meas: Measurement, base: Scenario) -> list[Case]:
    """The table's rows of this engine, one case a setup and load (engine.measure.table)."""
    mine = replace(
        meas, points=tuple(p for p in meas.points if p.row and engine_of(p.row) == ENGINE)
    )
    cases, _ = table_fit_cases(mine, default_catalog(), base)
    out = []
    for fc in cases:
        row = fc.points[0].row
        assert row is not None
        out.append(Case(_short(row.table), fc, fc.scenario.model.id in HELD_OUT))
    return out


def errors(cases: list[Case], eff: Efficiency) -> dict[tuple[str, str], list[float]]:
    """Signed percentage error of every row, per (table, metric); TTFT split at the wall."""
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    for c in cases:
        fc = replace(c.fit, scenario=replace(c.fit.scenario, efficiency=eff))
        pred = predict_tokens_per_s(fc, eff)
        for t, p in zip(fc.targets, pred, strict=True):
            metric = t.metric
            if metric in TIME_METRICS:
                metric += " (below the wall)" if below_wall(fc, t.point) else " (at/past it)"
            table = c.table + (" [held out: Mistral 7B]" if c.held_out else "")
            out[(table, metric)].append((p - t.measured) / t.measured * 100)
    return out


def fit_cases(cases: list[Case], eff: Efficiency) -> list[FitCase]:
    """The cases to fit: not held out, TTFT only where the point is below the wall."""
    out = []
    for c in cases:
        if c.held_out:
            continue
        fc = replace(c.fit, scenario=replace(c.fit.scenario, efficiency=eff))
        pts = tuple(
            p
            if not any(m in TIME_METRICS for m in p.measured()) or below_wall(fc, p)
            else _without_time(p)
            for p in fc.points
        )
        out.append(replace(fc, points=pts))
    return out


def _without_time(p: Point) -> Point:
    return replace(p, ttft_s=None)


def report(title: str, errs: dict[tuple[str, str], list[float]]) -> dict[str, float]:
    print(title)
    medians = {}
    last = ""
    for (table, metric), e in sorted(errs.items()):
        if table != last:
            print(f"  {table}")
            last = table
        med = statistics.median(abs(x) for x in e)
        bias = statistics.median(e)
        print(
            f"    {metric:<34} {len(e):>4} rows  median |error| {med:6.1f}%  median {bias:+6.1f}%"
        )
        medians[f"{table}: {metric}"] = round(med, 1)
    return medians


def main(argv: list[str]) -> int:
    cases = load_cases()
    # where the fit starts: the default profile's factors, with a front end and a lockstep share
    # away from 0 (a fit in log or logit coordinates cannot leave 0)
    start = replace(default_efficiency(), request_overhead_s=2e-3, lockstep=0.3)
    n_rows = sum(len(c.fit.targets) for c in cases)
    print(
        f"{len(cases)} cases, {n_rows} measured numbers "
        f"({sum(1 for c in cases if c.held_out)} cases held out)"
    )
    before = errors(cases, start)
    report("before (the default profile's factors, vllm-v0's fit):", before)
    eff = start
    result: FitResult | None = None
    for _ in range(2):  # the TTFT rows below the wall depend on the factors: select, fit, again
        fitting = fit_cases(cases, eff)
        tables: dict[str, int] = defaultdict(int)
        for c in cases:
            if not c.held_out:
                tables[c.table] += 1
        weights = [1.0 / tables[c.table] for c in cases if not c.held_out]
        result = fit(fitting, start, free=FREE, weights=weights)
        eff = result.efficiency
    assert result is not None
    shown = {
        FACTOR_BY_FIELD[n].key: round(FACTOR_BY_FIELD[n].shown(getattr(eff, n)), 4) for n in FREE
    }
    print("fitted:", shown)
    print("not pinned down (held at the default):", result.undetermined or "none")
    after = errors(cases, eff)
    medians = report("after:", after)
    if "--write" in argv:
        write(eff, result.undetermined, medians, n_rows)
        print(f"wrote {PROFILE.relative_to(ROOT)}")
    return 0


def write(
    eff: Efficiency, undetermined: tuple[str, ...], medians: dict[str, float], rows: int
) -> None:
    data = read_toml(PROFILE)
    fitted = [n for n in FREE if n not in undetermined]
    data["efficiency"] = {  # 4 significant digits: the fit's standard errors are larger
        FACTOR_BY_FIELD[n].key: float(f"{FACTOR_BY_FIELD[n].shown(getattr(eff, n)):.4g}")
        for n in fitted
    }
    data["fit"] = {
        "script": "scripts/fit_engines.py",
        "data": (
            f"benchmarks/nim (NIM 1.8, Llama 3.1 8B, 1 x H100, concurrency 1-250) and the "
            f"TensorRT-LLM rows of benchmarks/public/measurements.tsv (v0.17 offline, v0.14 "
            f"online), Mistral 7B held out; {rows} measured numbers"
        ),
        "fitted": [FACTOR_BY_FIELD[n].key for n in fitted],
        "median_error_pct": medians,
    }
    PROFILE.write_bytes(tomli_w.dumps(data).encode())


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as exc:
        print(f"fit_engines: {exc}", file=sys.stderr)
        sys.exit(2)
