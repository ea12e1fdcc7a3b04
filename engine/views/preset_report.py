"""``tokentui presets list | show``: presets as JSON and as text (the app's preview too)."""

from __future__ import annotations

from typing import Any

from engine.errors import InputError
from engine.physics.memory import check_fits
from engine.scenario.scenario import Scenario
from engine.storage.presets import Preset, is_builtin_entry, user_presets_dir
from engine.views.format import count, human_seconds
from engine.views.report import points, scenario_dict


def list_rows(presets: list[Preset]) -> list[dict[str, Any]]:
    return [
        {
            "name": p.name,
            "builtin": p.builtin,
            "description": p.summary,
            "chart": p.chart,
            "path": str(p.path),
        }
        for p in presets
    ]


def list_table(presets: list[Preset]) -> str:
    width = max([len(p.name) for p in presets] + [4])
    lines = [f"{'name':<{width}}  {'kind':<8}  description"]
    for p in presets:
        lines.append(f"{p.name:<{width}}  {'built-in' if p.builtin else 'user':<8}  {p.summary}")
    lines.append(f"\nuser presets are saved in {user_presets_dir()}")
    return "\n".join(lines)


def representative(s: Scenario) -> dict[str, Any] | None:
    """The point of the largest load that fits at once (else the smallest)."""
    pts = points(s.run())
    fitting = [p for p in pts if p["fits"]]
    return fitting[-1] if fitting else (pts[0] if pts else None)


#: What a list of load values is called.
AXIS_PLURAL = {"batch": "batches"}


def load_text(s: Scenario) -> str:
    """The workload in a few words: '2,035 in / 300 out; batches 1, 8, 64'."""
    values = ", ".join(f"{v:g}" for v in s.workload.values())
    axis = AXIS_PLURAL.get(s.workload.AXIS, s.workload.AXIS)
    return f"{s.input_tokens:,} in / {s.output_tokens:,} out; {axis} {values}"


def show_lines(p: Preset) -> list[str]:
    s = p.scenario
    if p.builtin:
        kind = "built-in"
    else:
        kind = "user" if p.path and p.path.parent == user_presets_dir() else "file"
    model_from = "catalog" if is_builtin_entry(s.model) else "defined in the preset"
    gpu_from = "catalog" if is_builtin_entry(s.gpu) else "defined in the preset"
    e = s.efficiency
    lines = [
        f"{p.name} ({kind}): {p.summary}",
        f"  file       {p.path}",
        f"  model      {s.model.name} ({s.model.id}, {model_from}); "
        f"weights {s.weight_dtype}, KV cache {s.kv_dtype}",
        f"  hardware   {s.gpus} x {s.gpu.name} ({s.gpu.id}, {gpu_from}), TP {s.tp}"
        + (f", {s.replicas} replicas" if s.replicas > 1 else ""),
        f"  workload   {load_text(s)}",
        f"  mode       {s.mode} ({s.flop_count} FLOP count)",
        f"  efficiency compute {e.compute:.2f}, memory {e.memory:.2f}, "
        f"attention {e.attention:.2f}; "
        f"overheads {e.step_overhead_s * 1e3:.2f} ms per step, "
        f"{e.seq_overhead_s * 1e6:.0f} us per sequence, "
        f"{e.collective_latency_s * 1e6:.0f} us per all-reduce",
        f"  engine     memory utilisation {s.engine.memory_utilization:g}, "
        f"max {count(s.engine.max_num_seqs, 'sequence')}, "
        f"{count(s.engine.max_batched_tokens, 'token')} per step",
        f"  cost       ${s.price_per_gpu_hour:,.2f} per GPU-hour, gamma {s.gamma:g}",
        f"  chart      {p.chart}",
    ]
    try:
        plan = check_fits(s, s.context_tokens)
    except InputError as exc:
        return [*lines, f"  does not fit: {exc}"]
    point = representative(s)
    if point is not None:
        axis = s.workload.AXIS
        lines.append(
            f"  at {axis} {point[axis]} (largest that fits at once: {plan.max_batch}): "
            f"TTFT {human_seconds(point['ttft_s'])}, TPOT {human_seconds(point['tpot_s'])}, "
            f"{point['total_tokens_per_s']:,.1f} tok/s, "
            f"${point['cost_per_1m_input_usd']:.3f} / 1M in, "
            f"${point['cost_per_1m_output_usd']:.3f} / 1M out"
        )
    return lines


def show_dict(p: Preset) -> dict[str, Any]:
    try:
        check_fits(p.scenario, p.scenario.context_tokens)
        point = representative(p.scenario)
    except InputError:
        point = None
    return {
        "name": p.name,
        "builtin": p.builtin,
        "path": str(p.path),
        "description": p.description,
        "chart": p.chart,
        "scenario": scenario_dict(p.scenario),
        "representative_point": point,
    }


def preview_lines(p: Preset) -> list[str]:
    """A few lines for the app's preset picker (plain text: no markup)."""
    s = p.scenario
    tp = f"TP {s.tp}" + (f" x {s.replicas} replicas" if s.replicas > 1 else "")
    where = "built-in (read-only)" if p.builtin else str(p.path or "not saved")
    values = ", ".join(f"{v:g}" for v in s.workload.values())
    return [
        f"{p.name} — {where}",
        p.summary,
        f"model  {s.model.id} ({s.weight_dtype} weights, {s.kv_dtype} KV cache)",
        f"GPUs   {s.gpus} x {s.gpu.id}, {tp}, ${s.price_per_gpu_hour:g}/GPU-hour",
        f"tokens {s.input_tokens:,} in / {s.output_tokens:,} out",
        f"{s.workload.AXIS:<6} {values}",
        f"mode   {s.mode} · gamma {s.gamma:g} · chart {p.chart}",
    ]
