"""``tokentui bench`` for people: the levels as a table, the prediction beside each level, and a
scaling analysis in words computed from the numbers.

Everything here reads the results file's dictionaries (:func:`engine.bench.results.run_json`),
so a run measured now and one loaded from a file read the same.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.measure.formats.tokentui_bench import parse_tokentui_bench
from engine.measure.points import Measurement, Point
from engine.measure.predict import serving_run
from engine.scenario.scenario import Scenario
from engine.views.format import count


@dataclass(frozen=True)
class LevelPrediction:
    """The serving model's numbers for one measured level (its load and mean lengths)."""

    concurrency: int | None
    rate: float | None
    output_tokens_per_s: float
    per_user_tokens_per_s: float
    ttft_s: float
    itl_s: float
    itl_p99_s: float
    tpot_s: float
    decode_bound: str  # compute | memory
    wall: str  # the wall the running batch is at: sequences, kv, token_budget, compute or none
    fits: bool


def measurement(run: dict[str, Any], path: str = "this run") -> Measurement:
    """A run (live or loaded) as a measurement, read by the same reader as the file."""
    return parse_tokentui_bench(run, path)


def predict_levels(meas: Measurement, scenario: Scenario) -> list[LevelPrediction]:
    """The prediction for every measured level under ``scenario`` (its model, GPUs, engine)."""
    out = []
    for p in meas.points:
        r = serving_run(scenario, p)
        out.append(
            LevelPrediction(
                concurrency=p.concurrency,
                rate=p.request_rate,
                output_tokens_per_s=float(r.output_tokens_per_s[0]),
                per_user_tokens_per_s=float(r.per_user_tokens_per_s[0]),
                ttft_s=float(r.ttft_s[0]),
                itl_s=float(r.itl_s[0]),
                itl_p99_s=float(r.itl_p99_s[0]),
                tpot_s=float(r.tpot_s[0]),
                decode_bound=str(r.decode_bound[0]),
                wall=str(r.binding_wall[0]),
                fits=bool(r.fits[0]),
            )
        )
    return out


def _load(s: dict[str, Any]) -> str:
    if s.get("concurrency") is not None:
        return f"C={s['concurrency']}"
    rate = s.get("rate")
    return f"{rate}/s" if isinstance(rate, str) else f"{rate:g}/s"


def _ms(x: Any) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "-"
    v = x * 1e3
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def _num(x: Any, digits: int = 0) -> str:
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "-"
    return f"{x:,.{digits}f}"


def _err(measured: Any, predicted: float | None) -> str:
    if predicted is None or not isinstance(measured, int | float) or not measured:
        return "-"
    return f"{(predicted - measured) / measured * 100:+.0f}%"


HEADER = (
    "level",
    "out",
    "reqs",
    "err",
    "TTFT ms",
    "p50",
    "p99",
    "ITL p50",
    "p99",
    "TPOT ms",
    "E2E s",
    "tok/s",
    "per user",
    "req/s",
    "Little",
)


def level_rows(summaries: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row of text per level (the columns of :data:`HEADER`)."""
    rows: list[tuple[str, ...]] = []
    for s in summaries:
        little = s.get("littles_law_ratio")
        rows.append(
            (
                _load(s) + (" *" if s.get("partial") else ""),
                str(s.get("output_tokens_asked", "")),
                str(s.get("requests", 0)),
                str(s.get("errors", 0)),
                _ms(s.get("ttft_s")),
                _ms(s.get("ttft_p50_s")),
                _ms(s.get("ttft_p99_s")),
                _ms(s.get("itl_p50_s")),
                _ms(s.get("itl_p99_s")),
                _ms(s.get("tpot_s")),
                _num(s.get("e2e_s"), 2),
                _num(s.get("output_tokens_per_s")),
                _num(s.get("per_user_tokens_per_s"), 1),
                _num(s.get("requests_per_s"), 2),
                _num(little, 2),
            )
        )
    return rows


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _by_length(summaries: Sequence[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for s in summaries:
        if s.get("concurrency") is not None and s.get("output_tokens_per_s"):
            out.setdefault(int(s["output_tokens_asked"]), []).append(s)
    return {n: sorted(v, key=lambda s: int(s["concurrency"])) for n, v in out.items()}


def _first_above(
    levels: Sequence[dict[str, Any]], key: str, factor: float
) -> dict[str, Any] | None:
    """The first level after the first whose ``key`` exceeds ``factor`` x the first's."""
    first = levels[0].get(key)
    if not first:
        return None
    return next((s for s in levels[1:] if s.get(key) and s[key] > factor * first), None)


def scaling_analysis(
    summaries: Sequence[dict[str, Any]],
    predictions: Sequence[LevelPrediction] | None = None,
) -> list[str]:
    """What the levels say about scaling, in a few sentences computed from the numbers: how much
    each added user adds, where latency starts to climb, where throughput saturates, and which
    bound the prediction says binds there."""
    lines: list[str] = []
    pred = {p.concurrency: p for p in predictions or () if p.concurrency is not None}
    for n, levels in _by_length(summaries).items():
        if len(levels) < 2:
            continue
        lead = f"{count(n, 'token')} out: " if len(_by_length(summaries)) > 1 else ""
        base = levels[0]
        c0, x0 = int(base["concurrency"]), float(base["output_tokens_per_s"])
        parts = []
        for s in levels[1:]:
            c, x = int(s["concurrency"]), float(s["output_tokens_per_s"])
            eff = x / c / (x0 / c0)
            parts.append(f"C={c} {x / x0:.1f}x ({eff:.0%} of linear)")
        lines.append(f"{lead}Throughput from C={c0} ({x0:,.0f} tok/s): " + ", ".join(parts) + ".")
        for prev, s in itertools.pairwise(levels):
            gain = float(s["output_tokens_per_s"]) / float(prev["output_tokens_per_s"])
            more = int(s["concurrency"]) / int(prev["concurrency"])
            if more >= 2 and gain < 1.1:
                lines.append(
                    f"Throughput saturates by C={s['concurrency']}: {more:g}x the users gave "
                    f"{gain:.2f}x the tokens; more users only add latency."
                )
                break
        itl0 = base.get("itl_p50_s")
        climb = _first_above(levels, "itl_p50_s", 1.5)
        if climb is not None and itl0:
            lines.append(
                f"Inter-token latency climbs from C={climb['concurrency']}: p50 "
                f"{float(itl0) * 1e3:.1f} -> {float(climb['itl_p50_s']) * 1e3:.1f} ms "
                f"({float(climb['itl_p50_s']) / float(itl0):.1f}x its C={c0} value)."
            )
        else:
            last = levels[-1]
            if itl0 and last.get("itl_p50_s"):
                lines.append(
                    f"Inter-token latency holds up to C={last['concurrency']}: p50 "
                    f"{float(itl0) * 1e3:.1f} -> {float(last['itl_p50_s']) * 1e3:.1f} ms "
                    "(decode is memory-bound: a step reads the weights once for the whole batch)."
                )
        ttft0 = base.get("ttft_p50_s")
        ttft_climb = _first_above(levels, "ttft_p50_s", 2.0)
        if ttft_climb is not None and ttft0:
            lines.append(
                f"Time to first token doubles by C={ttft_climb['concurrency']} "
                f"({float(ttft0) * 1e3:.0f} -> {float(ttft_climb['ttft_p50_s']) * 1e3:.0f} ms "
                "p50): prompts wait behind other users' prefills and decode steps."
            )
        at = climb or levels[-1]
        p = pred.get(int(at["concurrency"]))
        if p is not None:
            wall = "" if p.wall in ("none", "") else f", at the {p.wall.replace('_', ' ')} wall"
            lines.append(
                f"The prediction says decode is {p.decode_bound}-bound at C={at['concurrency']}"
                f"{wall} (predicted {p.output_tokens_per_s:,.0f} tok/s, ITL {p.itl_s * 1e3:.1f} "
                "ms)."
            )
    lit = [
        float(s["littles_law_ratio"]) for s in summaries if s.get("littles_law_ratio") is not None
    ]
    if lit:
        worst = max(lit, key=lambda v: abs(v - 1))
        verdict = (
            "consistent"
            if abs(worst - 1) <= 0.15
            else "uneven: few requests a level, or a client that could not keep its users busy"
        )
        lines.append(
            f"Little's law (throughput x latency / users): {min(lit):.2f}-{max(lit):.2f}, "
            f"{verdict}."
        )
    return lines


def prediction_rows(
    summaries: Sequence[dict[str, Any]], predictions: Sequence[LevelPrediction]
) -> list[tuple[str, ...]]:
    """Measured against predicted, level by level: tok/s, TTFT, ITL, with the signed error."""
    rows: list[tuple[str, ...]] = []
    kept = [s for s in summaries if s.get("requests") and s.get("output_tokens_per_s")]
    for s, p in zip(kept, predictions, strict=False):
        rows.append(
            (
                _load(s),
                _num(s.get("output_tokens_per_s")),
                _num(p.output_tokens_per_s),
                _err(s.get("output_tokens_per_s"), p.output_tokens_per_s),
                _ms(s.get("ttft_s")),
                _ms(p.ttft_s),
                _err(s.get("ttft_s"), p.ttft_s),
                _ms(s.get("itl_s")),
                _ms(p.itl_s),
                _err(s.get("itl_s"), p.itl_s),
                p.decode_bound + ("" if p.wall in ("none", "") else f", {p.wall} wall"),
            )
        )
    return rows


PREDICTION_HEADER = (
    "level",
    "tok/s",
    "pred",
    "err",
    "TTFT ms",
    "pred",
    "err",
    "ITL ms",
    "pred",
    "err",
    "bound",
)


def bench_text(run: dict[str, Any]) -> str:
    """The run as ``tokentui bench`` prints it."""
    settings = run.get("settings", {})
    server = run.get("server", {})
    head = [
        f"{settings.get('url', '')}  model {run.get('model', '')}  api {settings.get('api', '')}"
        + (f"  server {server.get('engine')}" if server.get("engine") else ""),
    ]
    hw = run.get("hardware", {})
    if hw.get("source") in ("nvml", "user"):
        head.append(f"hardware: {hw.get('gpu_count', 1)} x {hw.get('gpu_name')} ({hw['source']})")
    probe = run.get("probe") or {}
    if probe.get("prompt_tokens"):
        head.append(
            f"prompt: {probe.get('words_after', probe.get('words'))} words ~ "
            f"{settings.get('input_tokens') or '?'} tokens as the server counts them"
        )
    out = ["\n".join(head), ""]
    summaries = run.get("summaries", [])
    if summaries:
        out.append(table(HEADER, level_rows(summaries)))
    else:
        out.append("no level finished a measured request")
    notes = []
    for s in summaries:
        if s.get("errors"):
            why = "; ".join(f"{k} ({v})" for k, v in (s.get("error_reasons") or {}).items())
            notes.append(f"{_load(s)}: {count(s['errors'], 'error')}: {why}")
        if s.get("short_requests"):
            notes.append(
                f"{_load(s)}: {count(s['short_requests'], 'request')} stopped short of "
                f"{count(s['output_tokens_asked'], 'token')} (mean "
                f"{s.get('output_tokens', 0):.0f}): the "
                "server does not hold the length fixed"
            )
    if any(s.get("partial") for s in summaries):
        notes.append("* a level cut short: its numbers are from the requests that finished")
    if run.get("stopped"):
        notes.append(f"stopped early: {run['stopped']}")
    analysis = scaling_analysis(summaries)
    if analysis:
        out += ["", *analysis]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def point_of(meas: Measurement, summary: dict[str, Any]) -> Point | None:
    """The measurement's point for a summary (same load and length), or None."""
    for p in meas.points:
        if p.concurrency == summary.get("concurrency") and (
            abs(p.output_tokens - float(summary.get("output_tokens") or 0)) < 1e-9
        ):
            return p
    return None
