"""Two scenarios side by side: the pinned one (A) and the current one (B), at the same load.

Both are evaluated on B's load axis (A's workload kind and lengths stay A's own: the load value is
what is shared), so each point compares the same batch, concurrency or rate. :func:`rows` gives,
per metric, both values and the ratio B / A; :func:`side_by_side_table` is the text the CLI prints
(``tokentui estimate --compare-preset NAME``) and the app's summary shows for the selected point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from engine.physics.load import LoadRun
from engine.physics.memory import memory_plan
from engine.scenario.scenario import Scenario
from engine.views.format import human_bytes, human_seconds, layout_words

#: (key, label, what a larger value is: "better", "worse" or "" (neither), how it is shown)
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("ttft_s", "TTFT", "worse", "time"),
    ("tpot_s", "TPOT", "worse", "time"),
    ("e2e_s", "request time", "worse", "time"),
    ("output_tokens_per_s", "output tok/s", "better", "rate"),
    ("output_tokens_per_s_per_gpu", "tok/s per GPU", "better", "rate"),
    ("per_request_tokens_per_s", "tok/s per request", "better", "rate"),
    ("cost_per_1m_input_usd", "$ / 1M input", "worse", "usd"),
    ("cost_per_1m_output_usd", "$ / 1M output", "worse", "usd"),
    ("memory_per_gpu_bytes", "memory per GPU", "", "bytes"),
    ("max_batch", "most sequences that fit", "better", "count"),
)


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    a: float
    b: float
    better: str  # "better" / "worse": what a larger value is; "": neither

    @property
    def ratio(self) -> float:
        """B / A (nan where A is 0 or either is not finite)."""
        if not (math.isfinite(self.a) and math.isfinite(self.b)) or self.a == 0:
            return math.nan
        return self.b / self.a


def on_loads_of(pinned: Scenario, current: Scenario) -> Scenario:
    """The pinned scenario on the current one's load axis: the same values of the same kind (a
    static batch's sizes, a closed loop's users, a rate's requests/s)."""
    if pinned.workload.KIND != current.workload.KIND:
        return pinned
    shared = {k: getattr(current.workload, k) for k in current.workload.OWN}
    workload: Any = pinned.workload  # a frozen dataclass of the same kind
    return replace(pinned, workload=replace(workload, **shared))


def _values(s: Scenario, r: LoadRun, i: int) -> dict[str, float]:
    def at(name: str) -> float:
        value = getattr(r, name, None)
        return math.nan if value is None else float(np.asarray(value).ravel()[i])

    out_tps = at("output_tokens_per_s")
    if math.isnan(out_tps):
        out_tps = at("total_tokens_per_s")
    plan = memory_plan(s, s.context_tokens)
    return {
        "ttft_s": at("ttft_s"),
        "tpot_s": at("tpot_s"),
        "e2e_s": at("e2e_s"),
        "output_tokens_per_s": out_tps,
        "output_tokens_per_s_per_gpu": out_tps / s.gpus,
        "per_request_tokens_per_s": at("per_request_tokens_per_s"),
        "cost_per_1m_input_usd": at("cost_per_1m_input_usd"),
        "cost_per_1m_output_usd": at("cost_per_1m_output_usd"),
        "memory_per_gpu_bytes": float(plan.weights_bytes + plan.reserve_bytes),
        "max_batch": float(plan.max_batch),
    }


def rows(pinned: Scenario, current: Scenario, load: float | None = None) -> list[Row]:
    """Every metric of :data:`METRICS` for both scenarios at ``load`` (a value of the current
    scenario's load axis; default its first point)."""
    a_s = on_loads_of(pinned, current)
    a_run, b_run = a_s.run(), current.run()
    loads = np.asarray(b_run.load, dtype=np.float64).ravel()
    i = 0 if load is None else int(np.argmin(np.abs(loads - load)))
    a_loads = np.asarray(a_run.load, dtype=np.float64).ravel()
    j = int(np.argmin(np.abs(a_loads - loads[i]))) if a_loads.size else 0
    a_vals, b_vals = _values(a_s, a_run, j), _values(current, b_run, i)
    return [Row(k, label, a_vals[k], b_vals[k], better) for k, label, better, _ in METRICS]


def _shown(kind: str, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if kind == "time":
        return human_seconds(value)
    if kind == "bytes":
        return human_bytes(value)
    if kind == "usd":
        return f"${value:,.3f}"
    if kind == "count":
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def describe(s: Scenario) -> str:
    gpus = f"{s.gpus} x {s.gpu.id}" if s.gpus > 1 else f"1 {s.gpu.id}"
    return (
        f"{s.model.id} on {gpus} ({layout_words(s)}), {s.weight_dtype}, "
        f"{s.input_tokens:,} in / {s.output_tokens:,} out, {s.engine_name}"
    )


def side_by_side_table(
    pinned: Scenario,
    current: Scenario,
    load: float | None = None,
    names: tuple[str, str] = ("A", "B"),
) -> str:
    """A and B at one load, each metric with the ratio B / A and which side it favours."""
    found = rows(pinned, current, load)
    b_run = current.run()
    loads = np.asarray(b_run.load, dtype=np.float64).ravel()
    at = loads[0] if load is None else loads[int(np.argmin(np.abs(loads - load)))]
    a, b = names
    lines = [
        f"{a}: {describe(pinned)}",
        f"{b}: {describe(current)}",
        f"at {b_run.AXIS} {at:g}",
        f"{'':<24} {a:>12} {b:>12} {b + ' / ' + a:>9}  better",
    ]
    kinds = {k: kind for k, _, _, kind in METRICS}
    for r in found:
        ratio = r.ratio
        winner = ""
        if r.better and math.isfinite(ratio) and abs(ratio - 1) > 0.005:
            larger = b if ratio > 1 else a
            winner = larger if r.better == "better" else (a if larger == b else b)
        shown_ratio = f"{ratio:.2f}x" if math.isfinite(ratio) else "-"
        lines.append(
            f"{r.label:<24} {_shown(kinds[r.key], r.a):>12} {_shown(kinds[r.key], r.b):>12} "
            f"{shown_ratio:>9}  {winner}"
        )
    return "\n".join(lines)


def side_by_side_dict(
    pinned: Scenario, current: Scenario, load: float | None = None
) -> dict[str, Any]:
    return {
        "a": describe(pinned),
        "b": describe(current),
        "rows": [
            {
                "metric": r.key,
                "a": r.a,
                "b": r.b,
                "ratio": r.ratio if math.isfinite(r.ratio) else None,
            }
            for r in rows(pinned, current, load)
        ],
    }
