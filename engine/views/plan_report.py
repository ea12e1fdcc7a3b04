"""``tokentui plan``'s JSON and table: the layouts that meet the SLO, cheapest first, the ones that
cannot even with one user, and the ones skipped because they do not fit.

The JSON keys are a contract like ``estimate``'s: the keys that exist stay, new ones are welcome.
Every infinite float goes through :func:`engine.views.report.jsonable` (the caller dumps with
``allow_nan=False``).
"""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from typing import Any

from engine.physics.arch import weight_bytes
from engine.scenario.axes import MAX_CONCURRENCY
from engine.scenario.plan import CannotMeet, Feasible, Layout, Plan, Skipped, Slo
from engine.views.format import count, human_bytes, human_seconds
from engine.views.report import scenario_dict

#: The scenario's fields that the plan searches (or sets): left out of its shared inputs.
SEARCHED = ("gpus", "tp", "replicas", "load", "concurrency", "weight_dtype", "compute_precision")
WIDTH = 100  # the notes under the table wrap at this width
SKIP_WHY = {
    "weights": "the weights and workspace exceed the memory",
    "kv": "no room for one sequence's KV cache",
}


def _layout(plan: Plan, layout: Layout) -> dict[str, Any]:
    return {
        "gpus": layout.gpus,
        "tp": layout.tp,
        "replicas": layout.replicas,
        "weight_dtype": layout.weight_dtype,
        "compute_precision": plan.base.gpu.compute_precision(layout.weight_dtype),
    }


def _slo(slo: Slo) -> dict[str, Any]:
    return {
        "metric": slo.metric,
        "percentile": slo.percentile,
        "statistic": slo.statistic,
        "label": slo.label,
        "bound_s": slo.bound_s,
    }


def _feasible(plan: Plan, f: Feasible) -> dict[str, Any]:
    return {
        **_layout(plan, f.layout),
        "meets_slo": True,
        "cheapest": f is plan.cheapest,
        "max_concurrency": f.max_concurrency,
        "binding": f.binding,
        "wall_concurrency": f.wall_concurrency,
        "slo_values_s": {s.label: s.value(f.point, plan.base.output_tokens) for s in plan.slos},
        **asdict(f.point),
    }


def _cannot(plan: Plan, c: CannotMeet) -> dict[str, Any]:
    return {
        **_layout(plan, c.layout),
        "meets_slo": False,
        "reason": _misses(c),
        "misses": [
            {"slo": m.slo.label, "value_s": m.value_s, "bound_s": m.slo.bound_s, "over_s": m.over_s}
            for m in c.misses
        ],
        "at_concurrency_1": asdict(c.point),
    }


def _skipped(plan: Plan, s: Skipped) -> dict[str, Any]:
    return {
        **_layout(plan, s.layout),
        "reason": s.reason,
        "message": SKIP_WHY[s.reason],
        "need_per_gpu_bytes": int(s.need_per_gpu_bytes),
        "usable_per_gpu_bytes": int(s.usable_per_gpu_bytes),
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    shared = {k: v for k, v in scenario_dict(plan.base).items() if k not in SEARCHED}
    cheapest = plan.cheapest
    return {
        "command": "plan",
        "load": "concurrency",
        "percentile": plan.percentile,
        "slo": [_slo(s) for s in plan.slos],
        "scenario": shared,
        "search": {
            "gpu_counts": list(plan.space.gpu_counts),
            "tp_degrees": list(plan.space.tp_degrees),
            "weight_dtypes": list(plan.space.weight_dtypes),
            "layouts": plan.searched,
            "meet_slo": len(plan.feasible),
            "cannot_meet": len(plan.cannot_meet),
            "skipped": len(plan.skipped),
        },
        "cheapest": None if cheapest is None else _layout(plan, cheapest.layout),
        "layouts": [_feasible(plan, f) for f in plan.feasible],
        "cannot_meet": [_cannot(plan, c) for c in plan.cannot_meet],
        "skipped": [_skipped(plan, s) for s in plan.skipped],
    }


# ---------------------------------------------------------------------------------- the table


def _name(layout: Layout) -> str:
    return f"{layout.gpus} x TP{layout.tp} {layout.weight_dtype}"


def _bound(slo: Slo) -> str:
    return f"{slo.metric.upper()} {slo.statistic} <= {human_seconds(slo.bound_s)}"


def _miss_parts(c: CannotMeet) -> list[str]:
    return [
        f"{m.slo.label} {human_seconds(m.value_s)} > {human_seconds(m.slo.bound_s)} by "
        f"{human_seconds(m.over_s)} ({m.over_s / m.slo.bound_s:.0%})"
        for m in c.misses
    ]


def _misses(c: CannotMeet) -> str:
    return "; ".join(_miss_parts(c)) + " at concurrency 1"


def _cannot_lines(c: CannotMeet) -> list[str]:
    """One layout's misses, wrapped between them (never inside a figure)."""
    lines = [f"  {_name(c.layout)}:"]
    parts = _miss_parts(c)
    parts[-1] += " at concurrency 1"
    for i, part in enumerate(parts):
        text = part + (";" if i < len(parts) - 1 else "")
        if len(lines[-1]) + 1 + len(text) > WIDTH:
            lines.append("     ")
        lines[-1] += " " + text
    return lines


def _columns(plan: Plan) -> list[Slo]:
    """The latency columns, as the figures they show: TTFT and ITL at the plan's percentile, and
    every other bound given (TPOT, E2E). The bound values are unused."""
    cols = {c.label: c for c in (Slo("ttft", 1, plan.percentile), Slo("itl", 1, plan.percentile))}
    for slo in plan.slos:
        cols.setdefault(slo.label, slo)
    return list(cols.values())


def _header(slo: Slo) -> str:
    return f"{slo.metric.upper()} {slo.statistic}" if slo.metric != "tpot" else "TPOT"


def _rate(x: float) -> str:
    return f"{x:.1f}" if x < 1e4 else f"{x:.0f}"


def _row(plan: Plan, f: Feasible, cols: list[Slo]) -> str:
    p, lay, n = f.point, f.layout, plan.base.output_tokens
    latency = " ".join(f"{human_seconds(c.value(p, n)):>9}" for c in cols)
    mark = "*" if f is plan.cheapest else ""
    return (
        f"{mark:1} {lay.gpus:>4} {lay.tp:>3} {lay.replicas:>4} {lay.weight_dtype:>7} "
        f"{f.max_concurrency:>6,} {f.binding:>12} {_rate(p.output_tokens_per_s):>9} "
        f"{_rate(p.output_tokens_per_s_per_gpu):>8} {_rate(p.per_user_tokens_per_s):>6} {latency} "
        f"{p.cost_per_1m_input_usd:>8.3f} {p.cost_per_1m_output_usd:>8.3f}"
    )


def _heading(plan: Plan) -> list[str]:
    s = plan.base
    sp = plan.space
    return [
        f"Plan: {s.model.name} on {s.gpu.name}, {s.input_tokens:,} in / {s.output_tokens:,} out, "
        f"{s.mode} mode, {s.engine_name}, ${s.price_per_gpu_hour:.2f}/GPU-hour",
        f"SLO: {', '.join(_bound(x) for x in plan.slos)}",
        f"{count(plan.searched, 'layout')} (GPUs {', '.join(map(str, sp.gpu_counts))}; TP "
        f"{', '.join(map(str, sp.tp_degrees))}; weights {', '.join(sp.weight_dtypes)}): "
        f"{len(plan.feasible)} {'meets' if len(plan.feasible) == 1 else 'meet'} the SLO, "
        f"{len(plan.cannot_meet)} cannot, {len(plan.skipped)} skipped (do not fit)",
        "",
    ]


def _skipped_lines(plan: Plan) -> list[str]:
    """The skipped layouts, one line per TP degree and precision (the per-GPU figures do not
    depend on the replicas)."""
    groups: dict[tuple[int, str], list[Skipped]] = {}
    for s in plan.skipped:
        groups.setdefault((s.layout.tp, s.layout.weight_dtype), []).append(s)
    lines = [
        f"skipped {len(plan.skipped)} that {'does' if len(plan.skipped) == 1 else 'do'} not fit "
        "(per GPU: weights + workspace + one sequence / usable memory):"
    ]
    for (tp, dtype), group in groups.items():
        first = group[0]
        counts = ", ".join(str(s.layout.gpus) for s in group)
        gpus = "GPU" if counts == "1" else "GPUs"
        lines.append(
            f"  TP{tp} {dtype} on {counts} {gpus}: {human_bytes(first.need_per_gpu_bytes)} / "
            f"{human_bytes(first.usable_per_gpu_bytes)} ({SKIP_WHY[first.reason]})"
        )
    m = plan.base.model
    dtypes = ", ".join(
        f"{w} {human_bytes(weight_bytes(m, w))}"
        for w in dict.fromkeys(s.layout.weight_dtype for s in plan.skipped)
    )
    lines.append(f"  (the whole weights of {m.id}: {dtypes})")
    return lines


def plan_table(plan: Plan) -> str:
    lines = _heading(plan)
    cols = _columns(plan)
    if plan.feasible:
        header = (
            f"  {'GPUs':>4} {'TP':>3} {'rep':>4} {'weights':>7} {'users':>6} {'binding':>12} "
            f"{'tok/s':>9} {'/GPU':>8} {'/user':>6} "
            + " ".join(f"{_header(c):>9}" for c in cols)
            + f" {'$/1M in':>8} {'$/1M out':>8}"
        )
        lines += [header, "-" * len(header)]
        lines += [_row(plan, f, cols) for f in plan.feasible]
        lines.append("")
        lines += textwrap.wrap(
            "*: the cheapest per output token. users: the most closed-loop users (concurrency) "
            "within the SLO, every load up to it meeting it too; binding: the bound missed with "
            "one user more, or the wall (kv, sequences, token_budget) past which users only queue "
            f"(search cap: {MAX_CONCURRENCY:,} users, the most searched); "
            "tok/s: output tokens/s of all the GPUs, /GPU per GPU, /user a user's (1 / TPOT)",
            WIDTH,
            break_on_hyphens=False,
        )
    else:
        lines.append("no layout meets the SLO")
    if plan.cannot_meet:
        lines += ["", f"cannot meet the SLO even with one user ({len(plan.cannot_meet)}):"]
        for c in plan.cannot_meet:
            lines += _cannot_lines(c)
    if plan.skipped:
        lines += ["", *_skipped_lines(plan)]
    return "\n".join(lines)
