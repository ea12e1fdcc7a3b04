"""Plain-data views of scenarios and results: the JSON the CLI prints, and readable tables."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from engine.arch import kv_bytes_per_token, parameter_count, weight_bytes
from engine.batch import BatchRun
from engine.memory import min_gpus
from engine.scenario import Scenario


def scenario_dict(s: Scenario) -> dict[str, Any]:
    """Every input of the scenario, resolved."""
    e, sv = s.efficiency, s.serving
    return {
        "model": s.model.id,
        "gpu": s.gpu.id,
        "gpus": s.gpus,
        "tp": s.tp,
        "replicas": s.replicas,
        "input_tokens": s.input_tokens,
        "output_tokens": s.output_tokens,
        "batch_sizes": list(s.batch_sizes),
        "mode": s.mode,
        "flop_count": s.flop_count,
        "weight_dtype": s.weight_dtype,
        "kv_dtype": s.kv_dtype,
        "compute_precision": s.gpu.compute_precision(s.weight_dtype),
        "price_per_gpu_hour": s.price_per_gpu_hour,
        "gamma": s.gamma,
        "efficiency": {f.name: float(getattr(e, f.name)) for f in fields(e)},
        "serving": {
            "memory_utilization": sv.memory_utilization,
            "max_num_seqs": sv.max_num_seqs,
            "max_batched_tokens": sv.max_batched_tokens,
            "block_size": sv.block_size,
            "runtime_reserve_gib": sv.runtime_reserve_gib,
            "graph_max_context": sv.graph_max_context,
        },
    }


def estimate_dict(r: BatchRun) -> dict[str, Any]:
    s, plan = r.scenario, r.plan
    return {
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
            "min_gpus": min_gpus(s),
        },
        "points": r.points(),
    }


def human_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def human_seconds(t: float) -> str:
    if t >= 100:
        return f"{t:.0f} s"
    if t >= 1:
        return f"{t:.2f} s"
    return f"{t * 1e3:.1f} ms"


def estimate_table(r: BatchRun) -> str:
    s, plan = r.scenario, r.plan
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
        f"{'batch':>6} {'fits':>6} {'TTFT':>9} {'TPOT':>9} {'e2e':>9} {'tok/s':>9} "
        f"{'tok/s/req':>9} {'prefill':>8} {'decode':>8} {'comm':>5} {'$/1M in':>8} {'$/1M out':>8}"
    )
    lines += [header, "-" * len(header)]
    for p in r.points():
        fits = ("yes" if p["fits"] else "no") + (f" x{p['waves']}" if p["waves"] > 1 else "")
        lines.append(
            f"{p['batch']:>6} {fits:>6} {human_seconds(p['ttft_s']):>9} "
            f"{human_seconds(p['tpot_s']):>9} {human_seconds(p['e2e_s']):>9} "
            f"{p['total_tokens_per_s']:>9.1f} {p['per_request_tokens_per_s']:>9.2f} "
            f"{p['prefill_bound']:>8.8} {p['decode_bound']:>8.8} {p['comm_share'] * 100:>4.0f}% "
            f"{p['cost_per_1m_input_usd']:>8.3f} {p['cost_per_1m_output_usd']:>8.3f}"
        )
    if not all(p["fits"] for p in r.points()):
        lines.append("")
        lines.append(
            "fits: 'no' = more sequences than the KV cache holds at once"
            + ("; 'xN' = runs in N waves, as a server queues them" if s.mode == "realistic" else "")
        )
    return "\n".join(lines)
