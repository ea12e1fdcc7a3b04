"""The data behind a chart, and the summary, as CSV or JSON: what the app's Export writes.

:func:`chart_table` gives a chart's numbers as named columns (one row a point of its x axis):
the load charts (throughput, bottlenecks, cost, serving, latency) the run's points with every
metric :func:`engine.views.report.points` reports, the decode step's parts flattened; the context
chart the sweep over prompt lengths; the boundness chart its grid (one row a cell); the roofline
the scenario's figures. :func:`to_csv` and :func:`to_json` write a table; the JSON form also
carries the scenario (:func:`engine.views.report.scenario_dict`) and the summary's point.
Values are numbers, strings or booleans: an infinite one is the string "inf" (a rate "all at
once", as ``estimate --json`` writes it) and NaN is empty (CSV) or null (JSON), never NaN or
Infinity.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict
from typing import Any

import numpy as np

from engine.views.dashboard import Dashboard
from engine.views.report import jsonable, points, scenario_dict
from engine.views.side_by_side import SideBySide, as_dict

#: Charts whose x axis is the load (batch, concurrency or rate).
LOAD_CHARTS = ("throughput", "bottlenecks", "cost", "serving", "latency", "measured")

Table = tuple[list[str], list[list[Any]]]


def _flat(point: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in point.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def chart_table(d: Dashboard, chart: str) -> Table:
    """(columns, rows) of the numbers ``chart`` draws for dashboard ``d``."""
    if chart == "context":
        c = d.context
        cols = ["input_tokens", "ttft_s", "tpot_s", "total_tokens_per_s", "kv_bytes_per_gpu"]
        cols += ["weights_bytes_per_gpu", "decode_step_s"]
        rows = [
            [
                float(c.contexts[i]),
                float(c.run.ttft_s[i]),
                float(c.run.tpot_s[i]),
                float(c.run.total_tokens_per_s[i]),
                float(c.kv_bytes[i]),
                float(c.weight_bytes),
                float(c.step_s[i]),
            ]
            for i in range(len(c.contexts))
        ]
        return cols, rows
    if chart == "boundness":
        g = d.grid
        cols = ["batch", "context", "prefill_compute_s", "prefill_memory_s"]
        cols += ["decode_compute_s", "decode_memory_s"]
        rows = [
            [
                float(g.batch[i]),
                float(g.context[j]),
                float(g.prefill_compute_s[i, j]),
                float(g.prefill_memory_s[i, j]),
                float(g.decode_compute_s[i, j]),
                float(g.decode_memory_s[i, j]),
            ]
            for i in range(len(g.batch))
            for j in range(len(g.context))
        ]
        return cols, rows
    if chart == "roofline":
        r = asdict(d.roofline)
        return list(r), [list(r.values())]
    flat = [_flat(p) for p in points(d.run)]
    cols = list(dict.fromkeys(k for p in flat for k in p))
    return cols, [[p.get(k) for k in cols] for p in flat]


def _cell(value: Any) -> Any:
    value = jsonable(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_csv(table: Table) -> str:
    cols, rows = table
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for row in rows:
        w.writerow(["" if (c := _cell(v)) is None else c for v in row])
    return buf.getvalue()


def summary_dict(d: Dashboard) -> dict[str, Any]:
    """The summary strip's point: the selected load and its numbers."""
    row = _flat(points(d.run)[d.selected])
    return {
        "axis": d.axis,
        "load": _cell(d.load),
        "fits": d.fit_error is None,
        "fit_error": d.fit_error,
        "weights_per_gpu_bytes": d.plan.weights_bytes,
        "max_batch": d.plan.max_batch,
        **{k: _cell(v) for k, v in row.items()},
    }


def to_json(d: Dashboard, chart: str, pinned: SideBySide | None = None) -> str:
    """The chart's table, the scenario and the summary's point (and with a pinned scenario, the
    side-by-side comparison at that point)."""
    cols, rows = chart_table(d, chart)
    data: dict[str, Any] = {
        "chart": chart,
        "scenario": jsonable(scenario_dict(d.scenario)),
        "summary": summary_dict(d),
        "columns": cols,
        "rows": [[_cell(v) for v in row] for row in rows],
    }
    if pinned is not None:
        data["side_by_side"] = jsonable(as_dict(pinned))
    return json.dumps(data, indent=1, allow_nan=False, default=_default) + "\n"


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return _cell(value.item())
    raise TypeError(f"not JSON: {type(value).__name__}")
