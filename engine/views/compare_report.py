"""``tokentui compare``: measured points against the predictions, as JSON and as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from engine.measure.compare import Comparison, FileComparison, Line, Row
from engine.measure.file_scenario import Resolved
from engine.measure.formats.public_tsv import METRICS as TABLE_METRICS
from engine.measure.points import Point
from engine.views.format import count

QUANTITY = {
    "total_tokens_per_s": "tok/s",
    "prefill_tokens_per_s": "prefill tok/s",
    "decode_tokens_per_s": "decode tok/s",
    "tokens_per_s": "pp+tg tok/s",
    "ttft_s": "TTFT ms",
    "itl_s": "ITL ms",
    "tpot_s": "TPOT ms",
    "output_tokens_per_s": "out tok/s",
    "requests_per_s": "req/s",
    "total_token_throughput": "in+out tok/s",
    "single_stream_tokens_per_s": "1-user tok/s",
}
#: Shown in ms (the JSON stays in seconds).
MILLISECONDS = ("ttft_s", "itl_s", "tpot_s")


def shown(metric: str, value: float) -> str:
    return _fmt(value * 1e3 if metric in MILLISECONDS else value)


def load_label(p: Point) -> str:
    """The load of a point: its batch, 'C=32', '4 req/s', 'inf req/s', 'offline'."""
    if p.offline:
        return "offline"
    if p.concurrency:
        return f"C={p.concurrency}"
    if p.request_rate is not None:
        return f"{p.request_rate:g} req/s"
    return str(p.batch)


KIND_TEXT = {
    "static-batch": "static batches",
    "serving": "serving",
    "single-request": "single requests",
}


def _origin(sources: dict[str, str]) -> str:
    """'from flags', 'from the file', 'defaults: not recorded in the file', or per part."""
    by: dict[str, list[str]] = {}
    for key, name in (("gpu", "GPU"), ("gpus", "count"), ("tp", "TP")):
        by.setdefault(sources[key], []).append(name)
    if len(by) == 1:
        only = next(iter(by))
        return {
            "flag": "from flags",
            "file": "from the file",
            "default": "defaults: not recorded in the file",
        }.get(only, f"from {only}")
    word = {"flag": "flags", "file": "the file", "default": "defaults"}
    return "; ".join(f"{'/'.join(v)} from {word.get(k, k)}" for k, v in by.items())


def hardware_text(r: Resolved) -> str:
    s, src = r.scenario, r.sources
    replicas = f", {s.replicas} replicas" if s.replicas > 1 else ""
    return (
        f"{s.model.id} ({'flag' if src['model'] == 'flag' else 'from the file'}), "
        f"{s.gpus} x {s.gpu.id}, TP {s.tp}{replicas} ({_origin(src)}), weights {s.weight_dtype}"
    )


def _fmt(x: float) -> str:
    return f"{x:,.1f}" if abs(x) >= 100 else f"{x:,.2f}"


def _point_dict(r: Row) -> dict[str, Any]:
    p = r.point
    out: dict[str, Any] = {"line": p.line} if p.line is not None else {}
    return out | {
        "batch": p.batch,
        "input_tokens": p.input_tokens,
        "output_tokens": p.output_tokens,
        "context_tokens": p.context_tokens,
        "phase": p.phase,
        **({"concurrency": p.concurrency} if p.concurrency else {}),
        **({"request_rate": p.request_rate} if p.request_rate is not None else {}),
        "quantity": r.metric,
        "measured": r.measured,
        "predicted": r.predicted,
        "error_pct": r.error_pct,
    }


# ------------------------------------------------------------------------------- tables


def _in_unit(metric: str, value: float | None) -> float | None:
    """A table row's value in the table's own unit (ms for times)."""
    if value is None:
        return None
    return value / TABLE_METRICS[metric][2]


def _table_metric(line: Line) -> str:
    return line.point.row.metric if line.point.row else line.metric


def line_dict(line: Line) -> dict[str, Any]:
    """One row of a table, as ``compare --json`` lists it: ``predicted`` and ``error_pct``, or
    ``reason``; values in the table's unit."""
    p, row = line.point, line.point.row
    metric = _table_metric(line)
    out: dict[str, Any] = {
        "line": p.line,
        "table": row.table if row else "",
        "metric": metric,
        "unit": TABLE_METRICS[metric][1] if metric in TABLE_METRICS else "",
        "measured": _in_unit(metric, line.measured),
    }
    if line.predicted is None:
        out["reason"] = line.reason
        return out
    s = line.scenario
    assert s is not None
    out["predicted"] = _in_unit(metric, line.predicted)
    out["error_pct"] = line.error_pct
    out["scenario"] = {
        "model": s.model.id,
        "gpu": s.gpu.id,
        "gpus": s.gpus,
        "tp": s.tp,
        "pp": s.pp,
        "ep": s.ep,
        "weight_dtype": s.weight_dtype,
        "kv_dtype": s.kv_dtype,
        "engine": s.engine_name,
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "load": load_label(p),
    }
    if line.assumed:
        out["assumed"] = list(line.assumed)
    return out


def group_dicts(f: FileComparison) -> list[dict[str, Any]]:
    out = []
    for (table, _), lines in f.groups().items():
        errors = [abs(e) for line in lines if (e := line.error_pct) is not None]
        out.append(
            {
                "table": table,
                "metric": _table_metric(lines[0]),
                "rows": len(lines),
                "compared": len(errors),
                "median_abs_error_pct": float(np.median(errors)) if errors else None,
                "mape_pct": float(np.mean(errors)) if errors else None,
            }
        )
    return out


def _table_text(f: FileComparison) -> list[str]:
    m = f.measurement
    compared = sum(1 for line in f.lines if line.predicted is not None)
    lines = [f"{m.path}: {m.format}, {count(len(f.lines), 'row')}, {compared} compared"]
    groups = group_dicts(f)
    head = f"    {'metric':<32} {'rows':>5} {'compared':>8} {'median':>7} {'MAPE':>7}"
    table = None
    for g in groups:
        if g["table"] != table:
            table = g["table"]
            lines += [f"  {table}", head]
        median = "-" if g["median_abs_error_pct"] is None else f"{g['median_abs_error_pct']:.1f}%"
        mape = "-" if g["mape_pct"] is None else f"{g['mape_pct']:.1f}%"
        lines.append(
            f"    {g['metric']:<32} {g['rows']:>5} {g['compared']:>8} {median:>7} {mape:>7}"
        )
    reasons: dict[str, int] = {}
    for line in f.lines:
        if line.reason:
            reasons[line.reason] = reasons.get(line.reason, 0) + 1
    if reasons:
        lines.append(
            f"  not expressed ({count(sum(reasons.values()), 'row')}; 'compare --json' lists each):"
        )
        for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"    {n:>4}  {why}")
    lines.append("  median: of the absolute error of a row; MAPE: its mean")
    return [*lines, ""]


# ------------------------------------------------------------------------------- compare


def compare_dict(summary: Comparison, mode: str, profile: str | None, worst: int) -> dict[str, Any]:
    """The JSON contract of ``compare``: every file, its scenario and points, the overall figures
    and the ``worst`` points; ``profile`` names the realistic factors used."""
    files = []
    for f in summary.files:
        m = f.measurement
        entry: dict[str, Any] = {
            "path": m.path,
            "format": m.format,
            "kind": m.kind,
            "model_name": m.model_name,
            "compared": bool(f.rows),
        }
        if f.skipped:
            entry["reason"] = f.skipped
        if f.resolved:
            s = f.resolved.scenario
            entry["scenario"] = {
                "model": s.model.id,
                "gpu": s.gpu.id,
                "gpus": s.gpus,
                "tp": s.tp,
                "pp": s.pp,
                "ep": s.ep,
                "weight_dtype": s.weight_dtype,
                "kv_dtype": s.kv_dtype,
                "engine": s.engine_name,
                "mode": s.mode,
            }
            entry["sources"] = dict(f.resolved.sources)
        entry["remarks"] = list(f.remarks)
        entry["mape_pct"] = f.mape
        entry["points"] = [_point_dict(r) for r in f.rows]
        if f.lines:
            entry["rows"] = [line_dict(line) for line in f.lines]
            entry["groups"] = group_dicts(f)
        files.append(entry)
    return {
        "mode": mode,
        "profile": profile or ("default" if mode == "realistic" else None),
        "files": files,
        "overall": {
            "mape_pct": summary.mape,
            "points": summary.points,
            "files_compared": len(summary.compared),
            "files_not_compared": len(summary.files) - len(summary.compared),
            "median_file_mape_pct": summary.median_file_mape,
            "median_point_error_pct": summary.median_ape,
        },
        "worst": [{"path": f.label, **_point_dict(r)} for f, r in summary.worst(worst)],
    }


def compare_text(summary: Comparison, worst: int) -> str:
    lines: list[str] = []
    for f in summary.files:
        m = f.measurement
        if f.skipped:
            lines += [f"{m.path}: {f.skipped}", ""]
            continue
        if f.lines:
            lines += _table_text(f)
            continue
        assert f.resolved is not None
        s = f.resolved.scenario
        lines.append(f"{m.path}: {m.format}, {KIND_TEXT[m.kind]}")
        lines.append(f"  {hardware_text(f.resolved)}, {s.mode} mode")
        lines += [f"  note: {r}" for r in f.remarks]
        depth = any(r.point.context_tokens for r in f.rows)
        load = "load" if m.kind == "serving" else "batch"
        head = f"{load:>11} {'in':>7} {'out':>6} " + (f"{'ctx':>6} " if depth else "")
        head += f"{'quantity':<14} {'measured':>10} {'predicted':>10} {'error':>7}"
        lines += [head, "-" * len(head)]
        for r in f.rows:
            p = r.point
            row = f"{load_label(p):>11} {p.input_tokens:>7,.0f} {p.output_tokens:>6,.0f} "
            row += f"{p.context_tokens:>6,.0f} " if depth else ""
            row += (
                f"{QUANTITY[r.metric]:<14} {shown(r.metric, r.measured):>10} "
                f"{shown(r.metric, r.predicted):>10} {r.error_pct:>+6.1f}%"
            )
            lines.append(row)
        lines += [f"MAPE {f.mape:.1f}% over {count(len(f.rows), 'point')}", ""]
    compared = summary.compared
    not_compared = len(summary.files) - len(compared)
    if summary.mape is not None:
        extra = f"; {not_compared} not compared" if not_compared else ""
        median = f"; median error of a point {summary.median_ape:.1f}%"
        if len(compared) > 2 and summary.median_file_mape is not None:
            median += f", median MAPE of a file {summary.median_file_mape:.1f}%"
        lines.append(
            f"Overall MAPE {summary.mape:.1f}% over {count(summary.points, 'point')} in "
            f"{count(len(compared), 'file')}{extra}{median}"
        )
    worst_rows = summary.worst(worst)
    if worst_rows:
        lines.append(
            f"Worst {count(len(worst_rows), 'point')}:" if len(worst_rows) > 1 else "Worst point:"
        )
        width = max(len(Path(f.label).name) for f, _ in worst_rows)
        for f, r in worst_rows:
            p = r.point
            serving = p.offline or p.concurrency or p.request_rate is not None
            label = (
                f"line {p.line}"
                if p.line
                else f"{load_label(p)} {p.input_tokens:.0f}/{p.output_tokens:.0f}"
                if serving
                else p.label
            )
            lines.append(
                f"  {Path(f.label).name:<{width}} {label:<18} "
                f"{QUANTITY[r.metric]:<14} {shown(r.metric, r.measured):>10} "
                f"{shown(r.metric, r.predicted):>10} {r.error_pct:>+6.1f}%"
            )
    return "\n".join(lines).rstrip()
