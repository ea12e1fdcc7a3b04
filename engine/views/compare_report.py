"""``tokentui compare``: measured points against the predictions, as JSON and as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.measure.compare import Comparison, Row
from engine.measure.file_scenario import Resolved

QUANTITY = {
    "total_tokens_per_s": "tok/s",
    "prefill_tokens_per_s": "prefill tok/s",
    "decode_tokens_per_s": "decode tok/s",
    "tokens_per_s": "pp+tg tok/s",
}
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
    return {
        "batch": p.batch,
        "input_tokens": p.input_tokens,
        "output_tokens": p.output_tokens,
        "context_tokens": p.context_tokens,
        "phase": p.phase,
        "quantity": r.metric,
        "measured": r.measured,
        "predicted": r.predicted,
        "error_pct": r.error_pct,
    }


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
                "weight_dtype": s.weight_dtype,
                "kv_dtype": s.kv_dtype,
                "mode": s.mode,
            }
            entry["sources"] = dict(f.resolved.sources)
        entry["remarks"] = list(f.remarks)
        entry["mape_pct"] = f.mape
        entry["points"] = [_point_dict(r) for r in f.rows]
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
        assert f.resolved is not None
        s = f.resolved.scenario
        lines.append(f"{m.path}: {m.format}, {KIND_TEXT[m.kind]}")
        lines.append(f"  {hardware_text(f.resolved)}, {s.mode} mode")
        lines += [f"  note: {r}" for r in f.remarks]
        depth = any(r.point.context_tokens for r in f.rows)
        head = f"{'batch':>6} {'in':>7} {'out':>6} " + (f"{'ctx':>6} " if depth else "")
        head += f"{'quantity':<14} {'measured':>10} {'predicted':>10} {'error':>7}"
        lines += [head, "-" * len(head)]
        for r in f.rows:
            p = r.point
            row = f"{p.batch:>6} {p.input_tokens:>7,.0f} {p.output_tokens:>6,.0f} "
            row += f"{p.context_tokens:>6,.0f} " if depth else ""
            row += (
                f"{QUANTITY[r.metric]:<14} {_fmt(r.measured):>10} {_fmt(r.predicted):>10} "
                f"{r.error_pct:>+6.1f}%"
            )
            lines.append(row)
        lines += [f"MAPE {f.mape:.1f}% over {len(f.rows)} points", ""]
    compared = summary.compared
    not_compared = len(summary.files) - len(compared)
    if summary.mape is not None:
        extra = f"; {not_compared} not compared" if not_compared else ""
        median = f"; median error of a point {summary.median_ape:.1f}%"
        if len(compared) > 2 and summary.median_file_mape is not None:
            median += f", median MAPE of a file {summary.median_file_mape:.1f}%"
        lines.append(
            f"Overall MAPE {summary.mape:.1f}% over {summary.points} points in "
            f"{len(compared)} files{extra}{median}"
        )
    worst_rows = summary.worst(worst)
    if worst_rows:
        lines.append(f"Worst {len(worst_rows)} points:")
        width = min(max(len(Path(f.label).name) for f, _ in worst_rows), 40)
        for f, r in worst_rows:
            lines.append(
                f"  {Path(f.label).name[:width]:<{width}} {r.point.label:<18} "
                f"{QUANTITY[r.metric]:<14} {_fmt(r.measured):>10} {_fmt(r.predicted):>10} "
                f"{r.error_pct:>+6.1f}%"
            )
    return "\n".join(lines).rstrip()
