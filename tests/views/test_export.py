"""Export: a chart's numbers and the summary as CSV and JSON, the same numbers the engine gives."""

from __future__ import annotations

import csv
import io
import json

import pytest
from support import make_scenario

from engine.views.dashboard import build
from engine.views.export import chart_table, to_csv, to_json


def _dashboard(**fields: object):  # type: ignore[no-untyped-def]
    s = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, **fields)
    other = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, mode="ideal", **fields)
    return build(s, other)


def test_throughput_csv_is_the_runs_points() -> None:
    d = _dashboard(batch_sizes=[1, 8, 64])
    rows = list(csv.DictReader(io.StringIO(to_csv(chart_table(d, "throughput")))))
    assert [int(r["batch"]) for r in rows] == [1, 8, 64]
    for r, tpot in zip(rows, d.run.tpot_s, strict=True):
        assert float(r["tpot_s"]) == pytest.approx(float(tpot))
    assert "decode_step_s.weights" in rows[0]  # the step's parts, flattened


def test_context_chart_rows_are_the_sweep() -> None:
    d = _dashboard(batch_sizes=[1, 16])
    cols, rows = chart_table(d, "context")
    assert len(rows) == len(d.context.contexts)
    i = cols.index("kv_bytes_per_gpu")
    assert [r[i] for r in rows] == pytest.approx([float(x) for x in d.context.kv_bytes])


def test_json_is_strict_and_carries_the_summary() -> None:
    d = _dashboard(load="rate", rates=(2.0, float("inf")))
    data = json.loads(to_json(d, "serving"))  # would raise on NaN/Infinity tokens
    assert data["chart"] == "serving" and data["scenario"]["model"] == "llama-3.1-8b"
    loads = [row[data["columns"].index("rate")] for row in data["rows"]]
    assert loads == [2.0, "inf"]
    assert data["summary"]["axis"] == "rate"


def test_every_chart_exports() -> None:
    d = _dashboard(batch_sizes=[1, 4])
    for chart in ("throughput", "bottlenecks", "cost", "context", "boundness", "roofline"):
        cols, rows = chart_table(d, chart)
        assert cols and rows and all(len(r) == len(cols) for r in rows)
