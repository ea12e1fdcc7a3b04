"""``tokentui compare`` and ``tokentui calibrate``: measured benchmark files against the engine.

Registered on the main parser by :func:`register`. Hardware a file does not record comes from
the flags, else the ``estimate`` defaults (4 x h100-sxm, TP = GPUs); every table says where it
came from. Exit codes: 0 when something was compared (or fitted); 2, with one line on stderr, for
bad input, or when none of the files could be compared.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.calibration import FitCase, FitResult, ape, fit_determined
from engine.catalog import Catalog, default_catalog
from engine.cli import serving_from_args
from engine.compare import (
    Choice,
    Resolved,
    Row,
    Summary,
    compare_measurement,
    not_compared_reason,
    resolve_model,
    resolve_scenario,
    skip_file,
)
from engine.errors import InputError
from engine.measure import Measurement, load_measurement
from engine.profiles import check_name, load_named_profile, profiles_dir, save_profile
from engine.scenario import MODES, Efficiency, Scenario, make_scenario
from engine.specs import KV_DTYPES, WEIGHT_DTYPES

#: The defaults of ``tokentui estimate``: the article's setup.
DEFAULT_MODEL, DEFAULT_GPU, DEFAULT_GPUS = "llama-3.3-70b", "h100-sxm", 4

#: Factor names on the command line -> fields of Efficiency.
FACTORS: dict[str, str] = {
    "compute": "compute",
    "memory": "memory",
    "attention": "attention",
    "attention_token": "attention_token_s",
    "attention_items": "attention_items",
    "attention_floor": "attention_floor",
    "step_overhead": "step_overhead_s",
    "seq_overhead": "seq_overhead_s",
    "collective_latency": "collective_latency_s",
    "eager_layer": "eager_layer_s",
}
DEFAULT_FACTORS = ("compute", "memory", "step_overhead", "collective_latency")
_FACTOR_NAME = {v: k for k, v in FACTORS.items()}

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


# ------------------------------------------------------------------------------- arguments


def _gpus_for(text: str) -> tuple[str, int]:
    model, sep, n = text.partition("=")
    if not sep or not model or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(
            f"invalid --gpus-for {text!r}: give MODEL=N, e.g. llama-3.1-8b=1"
        )
    return model, int(n)


def _factors(text: str) -> tuple[str, ...]:
    if text.strip() == "all":
        return tuple(FACTORS)
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    bad = [n for n in names if n not in FACTORS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown factor {bad[0] if bad else text!r} (accepted: {', '.join(FACTORS)}, or 'all')"
        )
    return names


def _hardware_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="benchmark files (format detected)")
    p.add_argument(
        "--model", default=None, help="catalog model id (default: the one the file names)"
    )
    p.add_argument(
        "--gpu",
        default=None,
        help=f"GPU id (default: the one the file records, else {DEFAULT_GPU})",
    )
    p.add_argument(
        "--gpus",
        type=int,
        default=None,
        help=f"number of GPUs (default: as the file records, else {DEFAULT_GPUS})",
    )
    p.add_argument("--tp", type=int, default=None, help="tensor-parallel degree (default: GPUs)")
    p.add_argument(
        "--gpus-for",
        type=_gpus_for,
        action="append",
        default=[],
        metavar="MODEL=N",
        help="GPUs (and TP) for the files of one model, e.g. llama-3.1-8b=1 (repeatable)",
    )
    p.add_argument(
        "--weight-dtype",
        choices=WEIGHT_DTYPES,
        default=None,
        help="weight precision (default: from the file's model tag, else the model's)",
    )
    p.add_argument("--kv-dtype", choices=KV_DTYPES, default=None, help="KV-cache precision")
    p.add_argument(
        "--memory-utilization",
        type=float,
        default=None,
        help="fraction of GPU memory the server may use (default 0.9)",
    )
    p.add_argument(
        "--max-num-seqs", type=int, default=None, help="scheduler cap on running sequences"
    )


def register(sub: Any) -> None:
    """Add ``compare`` and ``calibrate`` to the CLI's subparsers."""
    cmp = sub.add_parser(
        "compare",
        help="compare measured benchmark files with the engine's predictions",
        description="For every measured point: the predicted value and the error; MAPE per "
        "file and overall; the worst points.",
    )
    _hardware_args(cmp)
    cmp.add_argument("--mode", choices=MODES, default="realistic", help="default realistic")
    cmp.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="realistic factors from a saved profile (default: the built-in one)",
    )
    cmp.add_argument("--worst", type=int, default=5, metavar="N", help="worst points listed")
    cmp.add_argument("--json", action="store_true", help="print one JSON object")
    cmp.set_defaults(func=cmd_compare)

    cal = sub.add_parser(
        "calibrate",
        help="fit the realistic factors to measured benchmark files and save them as a profile",
        description="Least-squares fit of a few physical factors to the measured tokens/s; "
        "reports MAPE before and after, and which factors the data cannot pin down.",
    )
    _hardware_args(cal)
    cal.add_argument("--save", default=None, metavar="NAME", help="save the fit as profile NAME")
    cal.add_argument("--force", action="store_true", help="replace a saved profile of that name")
    cal.add_argument(
        "--factors",
        type=_factors,
        default=DEFAULT_FACTORS,
        metavar="F1,F2|all",
        help=f"factors to fit (default {','.join(DEFAULT_FACTORS)}; "
        f"accepted: {', '.join(FACTORS)}, all)",
    )
    cal.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="start from this profile; the factors not fitted keep its values (default: built-in)",
    )
    cal.set_defaults(func=cmd_calibrate)


# ---------------------------------------------------------------------------- shared steps


def _load(files: Sequence[str]) -> list[tuple[Measurement, str | None]]:
    """Each file once, with why it is not compared (None when it is). A file given twice is read
    once; a file with the same measurements as an earlier one (the sweep repeats the four main
    files, with another description) is reported as a copy, so that nothing counts twice."""
    out: list[tuple[Measurement, str | None]] = []
    seen_paths: set[Path] = set()
    seen: dict[tuple[object, ...], str] = {}
    for f in files:
        path = Path(f)
        if path.resolve() in seen_paths:
            continue
        seen_paths.add(path.resolve())
        meas = load_measurement(path)
        key = (meas.format, meas.model_name, meas.points)
        if key in seen:
            out.append((meas, f"the same measurements as {seen[key]} (counted once)"))
            continue
        seen[key] = f
        out.append((meas, not_compared_reason(meas)))
    return out


def _base(args: argparse.Namespace, catalog: Catalog, mode: str) -> Scenario:
    eff: Efficiency | None = None
    if args.profile:
        if mode == "ideal":
            raise InputError(
                "--profile sets the realistic factors; it does not apply in ideal mode"
            )
        eff = load_named_profile(args.profile)
    serving = serving_from_args(args)
    gpu = catalog.gpu(args.gpu or DEFAULT_GPU)
    return make_scenario(
        catalog.model(DEFAULT_MODEL),
        gpu,
        gpus=DEFAULT_GPUS,
        mode=mode,
        efficiency=eff,
        serving=serving,
    )


def _choice(meas: Measurement, args: argparse.Namespace, catalog: Catalog) -> Choice:
    model_id = resolve_model(meas, catalog, args.model)
    per_model = {catalog.model(m).id: n for m, n in args.gpus_for}
    return Choice(
        model=args.model,
        gpu=args.gpu,
        gpus=per_model.get(model_id, args.gpus),
        tp=args.tp,
        weight_dtype=args.weight_dtype,
        kv_dtype=args.kv_dtype,
    )


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


def _hardware_text(r: Resolved) -> str:
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


def run_compare(args: argparse.Namespace, catalog: Catalog) -> Summary:
    base = _base(args, catalog, args.mode)
    files = []
    for meas, reason in _load(args.files):
        if reason:
            files.append(skip_file(meas, reason))
        else:
            files.append(compare_measurement(meas, catalog, base, _choice(meas, args, catalog)))
    return Summary(tuple(files))


def compare_dict(summary: Summary, args: argparse.Namespace) -> dict[str, Any]:
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
        "mode": args.mode,
        "profile": args.profile or ("default" if args.mode == "realistic" else None),
        "files": files,
        "overall": {
            "mape_pct": summary.mape,
            "points": summary.points,
            "files_compared": len(summary.compared),
            "files_not_compared": len(summary.files) - len(summary.compared),
            "median_file_mape_pct": summary.median_file_mape,
            "median_point_error_pct": summary.median_ape,
        },
        "worst": [{"path": f.label, **_point_dict(r)} for f, r in summary.worst(args.worst)],
    }


def compare_text(summary: Summary, args: argparse.Namespace) -> str:
    lines: list[str] = []
    for f in summary.files:
        m = f.measurement
        if f.skipped:
            lines += [f"{m.path}: {f.skipped}", ""]
            continue
        assert f.resolved is not None
        s = f.resolved.scenario
        lines.append(f"{m.path}: {m.format}, {KIND_TEXT[m.kind]}")
        lines.append(f"  {_hardware_text(f.resolved)}, {s.mode} mode")
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
    worst = summary.worst(args.worst)
    if worst:
        lines.append(f"Worst {len(worst)} points:")
        width = min(max(len(Path(f.label).name) for f, _ in worst), 40)
        for f, r in worst:
            lines.append(
                f"  {Path(f.label).name[:width]:<{width}} {r.point.label:<18} "
                f"{QUANTITY[r.metric]:<14} {_fmt(r.measured):>10} {_fmt(r.predicted):>10} "
                f"{r.error_pct:>+6.1f}%"
            )
    return "\n".join(lines).rstrip()


def cmd_compare(args: argparse.Namespace) -> int:
    if args.worst < 0:
        raise InputError(f"--worst must be 0 or more, got {args.worst}")
    summary = run_compare(args, default_catalog())
    if not summary.compared:
        reasons = "; ".join(f"{f.label}: {f.skipped}" for f in summary.files)
        raise InputError(f"nothing to compare: {reasons}")
    if args.json:
        print(json.dumps(compare_dict(summary, args), indent=2))
    else:
        print(compare_text(summary, args))
    return 0


# ----------------------------------------------------------------------------- calibrate


def _hint(name: str, cases: Sequence[FitCase]) -> str:
    """Why the data cannot pin a factor down, in words."""
    setups = {(c.scenario.model.id, c.scenario.gpu.id, c.scenario.tp) for c in cases}
    if name == "collective_latency_s" and all(c.scenario.tp == 1 for c in cases):
        return "needs runs with TP > 1"
    if name in ("memory", "step_overhead_s", "collective_latency_s"):
        n = len(setups)
        return (
            "memory efficiency, step overhead and collective latency each add a fixed time to "
            f"every decode step of a setup (model, GPU, TP); the data has {n} setup"
            f"{'s' if n != 1 else ''}, which pin{'s' if n == 1 else ''} down at most {n} of them"
        )
    return {
        "compute": "needs prefill-heavy runs (long prompts, large batches)",
        "attention": "needs long contexts at several batch sizes",
        "attention_token_s": "needs long contexts on models with different KV bytes per layer",
        "attention_items": "needs several batch sizes at long context",
        "attention_floor": "needs batch-1 runs at long context",
        "seq_overhead_s": "needs large batches of short requests",
        "eager_layer_s": "needs decodes both below and beyond the CUDA-graph context",
    }.get(name, "")


def _short_labels(paths: Sequence[str]) -> dict[str, str]:
    """File names, or parent/name where two files share a name."""
    names = [Path(p).name for p in paths]
    return {
        p: n if names.count(n) == 1 else f"{Path(p).parent.name}/{n}"
        for p, n in zip(paths, names, strict=True)
    }


def _factor_value(name: str, eff: Efficiency) -> str:
    x = float(getattr(eff, name))
    if name == "attention_token_s":
        return f"{x * 1e9:.2f} ns"
    if name.endswith("overhead_s") or name in ("collective_latency_s", "eager_layer_s"):
        return f"{x * 1e3:.3f} ms" if name == "step_overhead_s" else f"{x * 1e6:.1f} us"
    if name == "attention_items":
        return f"{x:.1f}"
    return f"{x:.3f}"


def _pooled_mape(cases: Sequence[FitCase], eff: Efficiency) -> float:
    return float(np.mean(np.concatenate([ape(c, eff) for c in cases])))


def _display(path: Path) -> str:
    """A path as a person writes it: '~/.config/...' under the home folder."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def _median_ape(cases: Sequence[FitCase], eff: Efficiency) -> float:
    return float(np.median(np.concatenate([ape(c, eff) for c in cases])))


def cmd_calibrate(args: argparse.Namespace) -> int:
    catalog = default_catalog()
    if args.save:
        check_name(args.save)
        existing = profiles_dir() / f"{args.save}.toml"
        if existing.exists() and not args.force:
            raise InputError(
                f"profile {args.save!r} exists ({existing}); give --force to replace it"
            )
    base = _base(args, catalog, "realistic")
    start = base.efficiency
    cases: list[FitCase] = []
    skipped: list[str] = []
    hardware: list[str] = []
    for meas, reason in _load(args.files):
        if reason:
            skipped.append(f"{meas.path}: {reason}")
            continue
        resolved = resolve_scenario(meas, catalog, base, _choice(meas, args, catalog))
        cases.append(FitCase(meas.path, resolved.scenario, meas.points))
        hardware.append(f"{Path(meas.path).name}: {_hardware_text(resolved)}")
    free = tuple(FACTORS[f] for f in args.factors)
    try:
        result = fit_determined(cases, start, free=free)
    except InputError as exc:
        if skipped:
            raise InputError(f"{exc}; not used: {'; '.join(skipped)}") from None
        raise
    print(_calibrate_text(result, cases, start, skipped, args))
    if args.save:
        path = save_profile(
            result.efficiency,
            args.save,
            _fit_info(result, cases, start, hardware, args),
            overwrite=args.force,
        )
        print(f"\nsaved profile {args.save!r} to {_display(path)}")
        print(f"use it: tokentui estimate --profile {args.save}")
    else:
        print("\nnot saved (give --save NAME to keep it as a profile)")
    return 0


def _calibrate_text(
    result: FitResult,
    cases: Sequence[FitCase],
    start: Efficiency,
    skipped: Sequence[str],
    args: argparse.Namespace,
) -> str:
    eff = result.efficiency
    lines = [f"{s} — not used" for s in skipped]
    lines.append(
        f"Fitted {len(result.free) - len(result.undetermined)} of {len(result.free)} factors to "
        f"{result.points} measured points in {len(cases)} files (start: "
        f"{args.profile or 'the built-in profile'})"
    )
    head = f"  {'factor':<20} {'start':>10} {'fitted':>10} {'rel. s.e.':>9}"
    lines += ["", head, "  " + "-" * (len(head) - 2)]
    for name in result.free:
        se = result.rel_stderr.get(name, float("nan"))
        mark = "  not pinned down" if name in result.undetermined else ""
        lines.append(
            f"  {_FACTOR_NAME[name]:<20} {_factor_value(name, start):>10} "
            f"{_factor_value(name, eff):>10} {se * 100:>8.1f}%{mark}"
        )
    if result.undetermined:
        lines.append("")
        lines.append("Not pinned down by this data (kept at the start value):")
        for name in result.undetermined:
            lines.append(f"  {_FACTOR_NAME[name]}: {_hint(name, cases)}")
    short = _short_labels([c.label for c in cases])
    width = max(12, *(len(v) for v in short.values()))
    lines += ["", f"  {'file':<{width}} {'MAPE before':>11} {'after':>7}"]
    for c in cases:
        lines.append(
            f"  {short[c.label]:<{width}} {result.mape_before[c.label]:>10.1f}% "
            f"{result.mape_after[c.label]:>6.1f}%"
        )
    lines.append(
        f"  {'all points':<{width}} {_pooled_mape(cases, start):>10.1f}% "
        f"{_pooled_mape(cases, eff):>6.1f}%"
    )
    lines.append(
        f"  {'median point':<{width}} {_median_ape(cases, start):>10.1f}% "
        f"{_median_ape(cases, eff):>6.1f}%"
    )
    return "\n".join(lines)


def _fit_info(
    result: FitResult,
    cases: Sequence[FitCase],
    start: Efficiency,
    hardware: list[str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    return {
        "command": "tokentui calibrate",
        "start": args.profile or "default",
        "files": [c.label for c in cases],
        "hardware": hardware,
        "points": result.points,
        "factors": [_FACTOR_NAME[n] for n in result.free],
        "undetermined": [_FACTOR_NAME[n] for n in result.undetermined],
        "rel_stderr": {_FACTOR_NAME[k]: round(v, 4) for k, v in result.rel_stderr.items()},
        "mape_before_pct": round(_pooled_mape(cases, start), 3),
        "mape_after_pct": round(_pooled_mape(cases, result.efficiency), 3),
        "mape_after_per_file_pct": {c.label: round(result.mape_after[c.label], 3) for c in cases},
    }
