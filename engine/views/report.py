"""The JSON contract of ``tokentui estimate`` and its table: plain data from a scenario and the run
of its workload.

Each point of the load axis becomes one JSON object, by the point table of its load kind
(:data:`POINTS`): a new kind adds its table here. The keys that exist stay, with the same values;
new keys are welcome.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from engine.physics.arch import kv_bytes_per_token, param_counts, parameter_count, weight_bytes
from engine.physics.load import LoadRun
from engine.physics.memory import memory_plan, min_gpus
from engine.scenario.scenario import Scenario
from engine.views.format import count, human_bytes, human_seconds, layout_words

#: (JSON key, attribute of the run, type) of every point, by load kind, in order.
POINTS: dict[str, tuple[tuple[str, str, type], ...]] = {
    "static": (
        ("batch", "batch", int),
        ("fits", "fits", bool),
        ("prefill_s", "prefill_s", float),
        ("ttft_s", "ttft_s", float),
        ("tpot_s", "tpot_s", float),
        ("e2e_s", "e2e_s", float),
        ("total_tokens_per_s", "total_tokens_per_s", float),
        ("per_request_tokens_per_s", "per_request_tokens_per_s", float),
        ("prefill_bound", "prefill_bound", str),
        ("decode_bound", "decode_bound", str),
        ("comm_share", "comm_share", float),
        ("prefill_share", "prefill_share", float),
        ("decode_share", "decode_share", float),
        ("cost_per_1m_input_usd", "cost_per_1m_input_usd", float),
        ("cost_per_1m_output_usd", "cost_per_1m_output_usd", float),
        ("waves", "waves", int),
        ("concurrent_per_replica", "concurrent", int),
        ("memory_per_gpu_bytes", "memory_per_gpu_bytes", int),
        ("prefill_arithmetic_intensity", "prefill_ai", float),
        ("decode_arithmetic_intensity", "decode_ai", float),
        ("output_tokens_per_s", "total_tokens_per_s", float),
    ),
}
#: What every serving point carries after its load value (:data:`POINTS` of the serving kinds).
SERVING_POINTS: tuple[tuple[str, str, type], ...] = (
    ("running_batch", "running_batch", float),
    ("binding_wall", "binding_wall", str),
    ("stable", "stable", bool),
    ("fits", "fits", bool),
    ("ttft_s", "ttft_s", float),
    ("ttft_p50_s", "ttft_p50_s", float),
    ("ttft_p99_s", "ttft_p99_s", float),
    ("itl_s", "itl_s", float),
    ("itl_p99_s", "itl_p99_s", float),
    ("tpot_s", "tpot_s", float),
    ("e2e_s", "e2e_s", float),
    ("prefill_s", "prefill_s", float),
    ("output_tokens_per_s", "output_tokens_per_s", float),
    ("requests_per_s", "requests_per_s", float),
    ("output_tokens_per_s_per_gpu", "output_tokens_per_s_per_gpu", float),
    ("per_user_tokens_per_s", "per_user_tokens_per_s", float),
    ("per_request_tokens_per_s", "per_request_tokens_per_s", float),
    ("total_tokens_per_s", "total_tokens_per_s", float),
    ("cost_per_1m_input_usd", "cost_per_1m_input_usd", float),
    ("cost_per_1m_output_usd", "cost_per_1m_output_usd", float),
    ("batch", "batch", float),
    ("prefill_bound", "prefill_bound", str),
    ("decode_bound", "decode_bound", str),
    ("comm_share", "comm_share", float),
    ("prefill_arithmetic_intensity", "prefill_ai", float),
    ("decode_arithmetic_intensity", "decode_ai", float),
)
POINTS["concurrency"] = (("concurrency", "load", int), *SERVING_POINTS)
POINTS["rate"] = (("rate", "load", float), *SERVING_POINTS)
POINTS["offline"] = (("requests", "load", int), *SERVING_POINTS)
#: One decode step at the point's mean context, split by resource: (JSON key, attribute).
STEP_PARTS: tuple[tuple[str, str], ...] = (
    ("compute", "step_compute_s"),
    ("weights", "step_weights_s"),
    ("kv_cache", "step_kv_s"),
    ("activations", "step_act_s"),
    ("communication", "step_comm_s"),
    ("overhead", "step_overhead_s"),
)


def jsonable(value: Any) -> Any:
    """``value`` with every infinite float as the string "inf" (a rate "all at once", a wall
    nowhere) and NaN as null, so that the JSON is valid for every reader."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def points(r: LoadRun) -> list[dict[str, Any]]:
    """One JSON-ready dict per point of the load axis (1-D runs)."""
    table = POINTS[r.LOAD]
    shape = np.shape(r.load)

    def column(attr: str) -> np.ndarray[Any, Any]:
        return np.broadcast_to(np.asarray(getattr(r, attr)), shape).ravel()

    columns = {attr: column(attr) for _, attr, _ in table}
    steps = {attr: column(attr) for _, attr in STEP_PARTS}
    out = []
    for i in range(int(np.size(r.load))):
        p: dict[str, Any] = {key: kind(columns[attr][i]) for key, attr, kind in table}
        p["decode_step_s"] = {key: float(steps[attr][i]) for key, attr in STEP_PARTS}
        out.append(p)
    return out


def scenario_dict(s: Scenario) -> dict[str, Any]:
    """Every input of the scenario, resolved. ``serving`` is the engine settings' old name, kept
    for the scripts that read it."""
    return {
        "model": s.model.id,
        "gpu": s.gpu.id,
        "gpus": s.gpus,
        "tp": s.tp,
        "pp": s.pp,
        "ep": s.ep,
        "replicas": s.replicas,
        "load": s.workload.KIND,
        **s.workload.as_dict(),
        "mode": s.mode,
        "flop_count": s.flop_count,
        "weight_dtype": s.weight_dtype,
        "kv_dtype": s.kv_dtype,
        "compute_precision": s.gpu.compute_precision(s.weight_dtype),
        "price_per_gpu_hour": s.price_per_gpu_hour,
        "gamma": s.gamma,
        "efficiency": asdict(s.efficiency),
        "engine": asdict(s.engine),
        "engine_profile": s.engine_name,
        "serving": asdict(s.engine),
    }


def estimate_dict(s: Scenario, r: LoadRun) -> dict[str, Any]:
    plan = memory_plan(s, s.context_tokens)
    return {
        "load": r.LOAD,
        "axis": r.AXIS,
        "scenario": scenario_dict(s),
        "model": {
            "params": parameter_count(s.model),
            "active_params": param_counts(s.model).active,  # a token's share (MoE: its experts)
            "weight_bytes": weight_bytes(s.model, s.weight_dtype),
            "kv_bytes_per_token": int(kv_bytes_per_token(s.model, s.kv_dtype)),
        },
        "gpu": {
            "memory_bytes": int(s.gpu.memory_bytes),
            "memory_bandwidth_bytes_per_s": s.gpu.memory_bandwidth,
            "peak_flops": s.gpu.peak(s.weight_dtype),
            "machine_balance_flops_per_byte": s.gpu.machine_balance(s.weight_dtype),
            "interconnect": s.gpu.interconnect.kind,
        },
        "memory": {
            "per_gpu_bytes": int(plan.capacity_bytes),
            "usable_per_gpu_bytes": int(plan.usable_bytes),
            "weights_per_gpu_bytes": int(plan.weights_bytes),
            "reserve_per_gpu_bytes": int(plan.reserve_bytes),
            "kv_budget_per_gpu_bytes": int(plan.kv_budget_bytes),
            "kv_per_token_per_gpu_bytes": int(plan.kv_per_token_bytes),
            "kv_per_sequence_per_gpu_bytes": int(plan.kv_per_sequence_bytes),
            "max_batch": plan.max_batch,
            "min_gpus": min_gpus(s, s.context_tokens),
        },
        "wall": r.wall,
        "points": points(r),
    }


#: The bound columns' words, where the whole word is wider than the column (see the legend).
BOUND_SHORT = {"communication": "comm."}
BOUND_LEGEND = "comm.: bound by the communication between the GPUs"


def bound_word(bound: str) -> str:
    """A bound as the table shows it: 'compute', 'memory', 'comm.'."""
    return BOUND_SHORT.get(bound, bound)


def _axis_value(axis: str, value: float) -> str:
    if axis == "rate":
        return "inf" if math.isinf(value) else f"{value:g}"
    return f"{value:,.0f}"


def _serving_rows(s: Scenario, r: LoadRun) -> list[str]:
    header = (
        f"{r.AXIS:>11} {'running':>8} {'wall':>12} {'TTFT':>9} {'TTFT p99':>9} {'ITL':>9} "
        f"{'ITL p99':>9} {'e2e':>9} {'tok/s':>9} {'/GPU':>8} {'/user':>7} {'$/1M in':>8} "
        f"{'$/1M out':>8}"
    )
    lines = [header, "-" * len(header)]
    rows = points(r)
    for p, load in zip(rows, np.asarray(r.load).ravel(), strict=True):
        value = _axis_value(r.AXIS, float(load))
        mark = "" if p["stable"] else " !"
        lines.append(
            f"{value + mark:>11} {p['running_batch']:>8.1f} {p['binding_wall']:>12} "
            f"{human_seconds(p['ttft_s']):>9} {human_seconds(p['ttft_p99_s']):>9} "
            f"{human_seconds(p['itl_s']):>9} {human_seconds(p['itl_p99_s']):>9} "
            f"{human_seconds(p['e2e_s']):>9} {p['output_tokens_per_s']:>9.1f} "
            f"{p['output_tokens_per_s_per_gpu']:>8.1f} {p['per_user_tokens_per_s']:>7.1f} "
            f"{p['cost_per_1m_input_usd']:>8.3f} {p['cost_per_1m_output_usd']:>8.3f}"
        )
    lines.append("")
    lines.append(
        "running: mean sequences in a decode step, per replica; wall: the limit the load has "
        "reached (sequences, kv, token_budget) or compute (more load buys no throughput)"
    )
    if not all(p["stable"] for p in rows):
        lines.append(
            "!: at or above capacity, no steady state: the figures are for a run of "
            f"{count(getattr(s.workload, 'num_requests', 0), 'request')} (--num-requests), the "
            "queue growing through it"
        )
    return lines


def estimate_table(s: Scenario, r: LoadRun) -> str:
    plan = memory_plan(s, s.context_tokens)
    m = s.model
    load = ""
    serving = any(key == "stable" for key, _, _ in POINTS[r.LOAD])
    if serving:
        e = s.engine
        load = (
            f"; {r.LOAD} load on {s.engine_name}: {count(e.max_num_seqs, 'sequence')}, "
            f"{e.max_batched_tokens:,} tokens/step, chunked prefill "
            f"{'on' if e.chunked_prefill else 'off'}"
        )
    lines = [
        f"{m.name} on {s.gpus} x {s.gpu.name} ({layout_words(s)}"
        + (f", {s.replicas} replicas" if s.replicas > 1 else "")
        + f"), {s.input_tokens:,} in / {s.output_tokens:,} out, {s.mode} mode",
        f"params {parameter_count(m) / 1e9:.2f} B"
        + (f" ({param_counts(m).active / 1e9:.2f} B active)" if m.is_moe else "")
        + ", weights "
        f"{human_bytes(weight_bytes(m, s.weight_dtype))} ({s.weight_dtype}), KV "
        f"{kv_bytes_per_token(m, s.kv_dtype) / 1e3:.1f} kB/token; per GPU: weights "
        f"{human_bytes(plan.weights_bytes)}, KV budget {human_bytes(plan.kv_budget_bytes)}, "
        f"largest batch that fits {plan.max_batch}{load}",
        "",
    ]
    if serving:
        return "\n".join(lines + _serving_rows(s, r))
    rows = points(r)
    w = max([6, *(len(str(p[r.AXIS])) for p in rows)])  # a batch of 1,000,000 is 7 wide
    header = (
        f"{r.AXIS:>{w}} {'fits':>6} {'TTFT':>9} {'TPOT':>9} {'e2e':>9} {'tok/s':>9} "
        f"{'tok/s/req':>9} {'prefill':>8} {'decode':>8} {'comm':>5} {'$/1M in':>8} {'$/1M out':>8}"
    )
    lines += [header, "-" * len(header)]
    for p in rows:
        waves = p.get("waves", 1)
        fits = ("yes" if p["fits"] else "no") + (f" x{waves}" if waves > 1 else "")
        lines.append(
            f"{p[r.AXIS]:>{w}} {fits:>6} {human_seconds(p['ttft_s']):>9} "
            f"{human_seconds(p['tpot_s']):>9} {human_seconds(p['e2e_s']):>9} "
            f"{p['total_tokens_per_s']:>9.1f} {p['per_request_tokens_per_s']:>9.2f} "
            f"{bound_word(p['prefill_bound']):>8} {bound_word(p['decode_bound']):>8} "
            f"{p['comm_share'] * 100:>4.0f}% "
            f"{p['cost_per_1m_input_usd']:>8.3f} {p['cost_per_1m_output_usd']:>8.3f}"
        )
    notes = []
    if not all(p["fits"] for p in rows):
        notes.append(
            "fits: 'no' = more sequences than the KV cache holds at once"
            + ("; 'xN' = runs in N waves, as a server queues them" if s.mode == "realistic" else "")
        )
    if any(p[key] in BOUND_SHORT for p in rows for key in ("prefill_bound", "decode_bound")):
        notes.append(BOUND_LEGEND)
    return "\n".join(lines + ([""] if notes else []) + notes)
