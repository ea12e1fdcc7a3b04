"""The JSON contract of ``tokentui estimate`` and its table: plain data from a scenario and the run
of its workload.

Each point of the load axis becomes one JSON object, by the point table of its load kind
(:data:`POINTS`): a new kind adds its table here. The keys that exist stay, with the same values;
new keys are welcome.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from engine.physics.arch import kv_bytes_per_token, parameter_count, weight_bytes
from engine.physics.load import LoadRun
from engine.physics.memory import memory_plan, min_gpus
from engine.scenario.scenario import Scenario
from engine.views.format import human_bytes, human_seconds

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
    ),
}
#: One decode step at the point's mean context, split by resource: (JSON key, attribute).
STEP_PARTS: tuple[tuple[str, str], ...] = (
    ("compute", "step_compute_s"),
    ("weights", "step_weights_s"),
    ("kv_cache", "step_kv_s"),
    ("activations", "step_act_s"),
    ("communication", "step_comm_s"),
    ("overhead", "step_overhead_s"),
)


def points(r: LoadRun) -> list[dict[str, Any]]:
    """One JSON-ready dict per point of the load axis (1-D runs)."""
    table = POINTS[r.LOAD]
    columns = {attr: np.asarray(getattr(r, attr)).ravel() for _, attr, _ in table}
    steps = {attr: np.asarray(getattr(r, attr)).ravel() for _, attr in STEP_PARTS}
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
        "points": points(r),
    }


def estimate_table(s: Scenario, r: LoadRun) -> str:
    plan = memory_plan(s, s.context_tokens)
    m = s.model
    lines = [
        f"{m.name} on {s.gpus} x {s.gpu.name} (TP {s.tp}"
        + (f", {s.replicas} replicas" if s.replicas > 1 else "")
        + f"), {s.input_tokens:,} in / {s.output_tokens:,} out, {s.mode} mode",
        f"params {parameter_count(m) / 1e9:.2f} B, weights "
        f"{human_bytes(weight_bytes(m, s.weight_dtype))} ({s.weight_dtype}), KV "
        f"{kv_bytes_per_token(m, s.kv_dtype) / 1e3:.1f} kB/token; per GPU: weights "
        f"{human_bytes(plan.weights_bytes)}, KV budget {human_bytes(plan.kv_budget_bytes)}, "
        f"largest batch that fits {plan.max_batch}",
        "",
    ]
    header = (
        f"{r.AXIS:>6} {'fits':>6} {'TTFT':>9} {'TPOT':>9} {'e2e':>9} {'tok/s':>9} "
        f"{'tok/s/req':>9} {'prefill':>8} {'decode':>8} {'comm':>5} {'$/1M in':>8} {'$/1M out':>8}"
    )
    lines += [header, "-" * len(header)]
    rows = points(r)
    for p in rows:
        waves = p.get("waves", 1)
        fits = ("yes" if p["fits"] else "no") + (f" x{waves}" if waves > 1 else "")
        lines.append(
            f"{p[r.AXIS]:>6} {fits:>6} {human_seconds(p['ttft_s']):>9} "
            f"{human_seconds(p['tpot_s']):>9} {human_seconds(p['e2e_s']):>9} "
            f"{p['total_tokens_per_s']:>9.1f} {p['per_request_tokens_per_s']:>9.2f} "
            f"{p['prefill_bound']:>8.8} {p['decode_bound']:>8.8} {p['comm_share'] * 100:>4.0f}% "
            f"{p['cost_per_1m_input_usd']:>8.3f} {p['cost_per_1m_output_usd']:>8.3f}"
        )
    if not all(p["fits"] for p in rows):
        lines.append("")
        lines.append(
            "fits: 'no' = more sequences than the KV cache holds at once"
            + ("; 'xN' = runs in N waves, as a server queues them" if s.mode == "realistic" else "")
        )
    return "\n".join(lines)
