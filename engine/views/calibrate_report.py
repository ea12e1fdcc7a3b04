"""``tokentui calibrate``: what a fit found, as text and as the ``[fit]`` table of a profile."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.measure.calibration import FitCase, FitResult, ape
from engine.physics.deployment import Efficiency
from engine.scenario.factors import FACTOR_BY_FIELD
from engine.views.format import count


def hint(name: str, cases: Sequence[FitCase]) -> str:
    """Why the data cannot pin a factor down, in words."""
    setups = {(c.scenario.model.id, c.scenario.gpu.id, c.scenario.tp) for c in cases}
    if name == "collective_latency_s" and all(c.scenario.tp == 1 for c in cases):
        return "needs runs with TP > 1"
    if name in ("memory", "step_overhead_s", "collective_latency_s"):
        n = len(setups)
        return (
            "memory efficiency, step overhead and collective latency each add a fixed time to "
            f"every decode step of a setup (model, GPU, TP); the data has {count(n, 'setup')}, "
            f"which pin{'s' if n == 1 else ''} down at most {n} of them"
        )
    return FACTOR_BY_FIELD[name].hint


def short_labels(paths: Sequence[str]) -> dict[str, str]:
    """File names, or parent/name where two files share a name."""
    names = [Path(p).name for p in paths]
    return {
        p: n if names.count(n) == 1 else f"{Path(p).parent.name}/{n}"
        for p, n in zip(paths, names, strict=True)
    }


_DECIMALS = {"ns": 2, "ms": 3, "us": 1}


def _factor_value(name: str, eff: Efficiency) -> str:
    knob = FACTOR_BY_FIELD[name]
    x = knob.shown(float(getattr(eff, name)))
    unit = knob.unit.split()[0]
    if unit in _DECIMALS:
        return f"{x:.{_DECIMALS[unit]}f} {unit}"
    return f"{x:.1f}" if knob.fit_scale else f"{x:.3f}"


def pooled_mape(cases: Sequence[FitCase], eff: Efficiency) -> float:
    return float(np.mean(np.concatenate([ape(c, eff) for c in cases])))


def display_path(path: Path) -> str:
    """A path as a person writes it: '~/.config/...' under the home folder."""
    try:
        return f"~/{path.relative_to(Path.home())}"
    except ValueError:
        return str(path)


def median_ape(cases: Sequence[FitCase], eff: Efficiency) -> float:
    return float(np.median(np.concatenate([ape(c, eff) for c in cases])))


def calibrate_text(
    result: FitResult,
    cases: Sequence[FitCase],
    start: Efficiency,
    skipped: Sequence[str],
    profile: str | None,
) -> str:
    eff = result.efficiency
    lines = [f"{s} — not used" for s in skipped]
    lines.append(
        f"Fitted {len(result.free) - len(result.undetermined)} of "
        f"{count(len(result.free), 'factor')} to {count(result.points, 'measured point')} in "
        f"{count(len(cases), 'file')} (start: "
        f"{profile or 'the built-in profile'})"
    )
    head = f"  {'factor':<20} {'start':>10} {'fitted':>10} {'rel. s.e.':>9}"
    lines += ["", head, "  " + "-" * (len(head) - 2)]
    for name in result.free:
        se = result.rel_stderr.get(name, float("nan"))
        mark = "  not pinned down" if name in result.undetermined else ""
        lines.append(
            f"  {FACTOR_BY_FIELD[name].short:<20} {_factor_value(name, start):>10} "
            f"{_factor_value(name, eff):>10} {se * 100:>8.1f}%{mark}"
        )
    if result.undetermined:
        lines.append("")
        lines.append("Not pinned down by this data (kept at the start value):")
        for name in result.undetermined:
            lines.append(f"  {FACTOR_BY_FIELD[name].short}: {hint(name, cases)}")
    short = short_labels([c.label for c in cases])
    width = max(12, *(len(v) for v in short.values()))
    lines += ["", f"  {'file':<{width}} {'MAPE before':>11} {'after':>7}"]
    for c in cases:
        lines.append(
            f"  {short[c.label]:<{width}} {result.mape_before[c.label]:>10.1f}% "
            f"{result.mape_after[c.label]:>6.1f}%"
        )
    lines.append(
        f"  {'all points':<{width}} {pooled_mape(cases, start):>10.1f}% "
        f"{pooled_mape(cases, eff):>6.1f}%"
    )
    lines.append(
        f"  {'median point':<{width}} {median_ape(cases, start):>10.1f}% "
        f"{median_ape(cases, eff):>6.1f}%"
    )
    return "\n".join(lines)


def fit_info(
    result: FitResult,
    cases: Sequence[FitCase],
    start: Efficiency,
    hardware: list[str],
    profile: str | None,
) -> dict[str, Any]:
    return {
        "command": "tokentui calibrate",
        "start": profile or "default",
        "files": [c.label for c in cases],
        "hardware": hardware,
        "points": result.points,
        "factors": [FACTOR_BY_FIELD[n].short for n in result.free],
        "undetermined": [FACTOR_BY_FIELD[n].short for n in result.undetermined],
        "rel_stderr": {FACTOR_BY_FIELD[k].short: round(v, 4) for k, v in result.rel_stderr.items()},
        "mape_before_pct": round(pooled_mape(cases, start), 3),
        "mape_after_pct": round(pooled_mape(cases, result.efficiency), 3),
        "mape_after_per_file_pct": {c.label: round(result.mape_after[c.label], 3) for c in cases},
    }
