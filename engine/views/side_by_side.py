"""Two scenarios side by side: the pinned one (A) and the current one (B), at the same load.

Both are evaluated on B's load axis (A's workload kind and lengths stay A's own: the load value is
what is shared), so each point compares the same batch, concurrency or rate. :func:`rows` gives,
per metric, both values and the ratio B / A; :func:`side_by_side_table` is the text the CLI prints
(``tokentui estimate --compare-preset NAME``), :func:`side_by_side_dict` its JSON; the app builds
:func:`compare_runs` from the runs it has drawn (the summary's line, the charts' dotted lines).

A's load kind may differ from B's (a static batch pinned, a concurrency now): then there is no
shared load, and A is taken at its own default point, which the table says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.physics.load import LoadRun
from engine.physics.memory import memory_plan
from engine.scenario.scenario import Scenario
from engine.views.dashboard import default_point, nearest_load
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
    ("memory_per_gpu_bytes", "weights + workspace", "", "bytes"),
    ("max_batch", "most sequences that fit", "better", "count"),
)
KINDS = {key: kind for key, _, _, kind in METRICS}


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


@dataclass(frozen=True)
class SideBySide:
    """A (the pinned scenario, on B's load axis where it can be) and B at one load."""

    a: Scenario
    b: Scenario
    a_run: LoadRun
    b_run: LoadRun
    i: int  # B's point
    j: int  # A's point: the same load, or A's own default when the kinds differ
    rows: list[Row]

    @property
    def same_axis(self) -> bool:
        return self.a_run.AXIS == self.b_run.AXIS

    def load_of(self, side: str) -> float:
        run, k = (self.a_run, self.j) if side == "a" else (self.b_run, self.i)
        return float(np.asarray(run.load, dtype=np.float64).ravel()[k])


def _loads(run: LoadRun) -> npt.NDArray[np.float64]:
    return np.asarray(run.load, dtype=np.float64).ravel()


def compare_runs(
    a_s: Scenario, a_run: LoadRun, b_s: Scenario, b_run: LoadRun, i: int
) -> SideBySide:
    """B's point ``i`` against A's point at the same load (``a_s``: the pinned scenario on B's
    load axis, :func:`on_loads_of`), from runs already made."""
    a_loads = _loads(a_run)
    same = a_run.AXIS == b_run.AXIS
    j = nearest_load(a_loads, float(_loads(b_run)[i])) if same else default_point(a_run)
    a_vals, b_vals = _values(a_s, a_run, j), _values(b_s, b_run, i)
    found = [Row(k, label, a_vals[k], b_vals[k], better) for k, label, better, _ in METRICS]
    return SideBySide(a_s, b_s, a_run, b_run, i, j, found)


def side_by_side(pinned: Scenario, current: Scenario, load: float | None = None) -> SideBySide:
    """Both scenarios at ``load``, a value of the current scenario's load axis (the nearest;
    default: the point the app selects, the middle of those that fit)."""
    a_s = on_loads_of(pinned, current)
    b_run = current.run()
    i = default_point(b_run) if load is None else nearest_load(_loads(b_run), load)
    return compare_runs(a_s, a_s.run(), current, b_run, i)


def rows(pinned: Scenario, current: Scenario, load: float | None = None) -> list[Row]:
    """Every metric of :data:`METRICS` for both scenarios at ``load``."""
    return side_by_side(pinned, current, load).rows


def winner(r: Row, names: tuple[str, str] = ("A", "B")) -> str:
    """The side the metric favours ("" for a tie within 0.5%, or a metric neither way)."""
    ratio = r.ratio
    if not (r.better and math.isfinite(ratio) and abs(ratio - 1) > 0.005):
        return ""
    a, b = names
    larger = b if ratio > 1 else a
    return larger if r.better == "better" else (a if larger == b else b)


def shown(key: str, value: float) -> str:
    """A metric's value as the table shows it (``-`` where it has none)."""
    kind = KINDS[key]
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


def _at(sbs: SideBySide, names: tuple[str, str]) -> str:
    b_at = f"{sbs.b_run.AXIS} {sbs.load_of('b'):g}"
    if sbs.same_axis:
        return f"at {b_at}"
    a, b = names
    return f"at {b_at} ({b}); {a} is a {sbs.a_run.AXIS} load: its {sbs.a_run.AXIS} " + (
        f"{sbs.load_of('a'):g}, no shared load"
    )


def side_by_side_table(
    pinned: Scenario,
    current: Scenario,
    load: float | None = None,
    names: tuple[str, str] = ("A", "B"),
) -> str:
    """A and B at one load, each metric with the ratio B / A and which side it favours."""
    sbs = side_by_side(pinned, current, load)
    a, b = names
    lines = [
        f"{a}: {describe(pinned)}",
        f"{b}: {describe(current)}",
        _at(sbs, names),
        f"{'':<24} {a:>12} {b:>12} {b + ' / ' + a:>9}  better",
    ]
    for r in sbs.rows:
        ratio = f"{r.ratio:.2f}x" if math.isfinite(r.ratio) else "-"
        lines.append(
            f"{r.label:<24} {shown(r.key, r.a):>12} {shown(r.key, r.b):>12} {ratio:>9}  "
            f"{winner(r, names)}".rstrip()
        )
    return "\n".join(lines)


def side_by_side_dict(
    pinned: Scenario, current: Scenario, load: float | None = None
) -> dict[str, Any]:
    """The table's numbers (:func:`as_dict`)."""
    return as_dict(side_by_side(pinned, current, load))


def as_dict(sbs: SideBySide) -> dict[str, Any]:
    """Both scenarios, the load of each side, every metric (a value or ratio that has none is
    null) and the side it favours."""
    return {
        "a": describe(sbs.a),
        "b": describe(sbs.b),
        "axis": {"a": sbs.a_run.AXIS, "b": sbs.b_run.AXIS},
        "load": {"a": sbs.load_of("a"), "b": sbs.load_of("b")},
        "rows": [
            {
                "metric": r.key,
                "label": r.label,
                "a": r.a if math.isfinite(r.a) else None,
                "b": r.b if math.isfinite(r.b) else None,
                "ratio": r.ratio if math.isfinite(r.ratio) else None,
                "better": winner(r) or None,
            }
            for r in sbs.rows
        ],
    }
