"""``tokentui models`` and ``tokentui gpus``: the catalog as JSON rows and as a table."""

from __future__ import annotations

from typing import Any

from engine.physics.arch import kv_bytes_per_token, param_counts, parameter_count, weight_bytes
from engine.physics.deployment import EngineSettings
from engine.physics.specs import GIB
from engine.scenario.engines import DEFAULT_ENGINE
from engine.storage.catalog import Catalog


def model_rows(cat: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": m.id,
            "name": m.name,
            "params": parameter_count(m),
            "active_params": param_counts(m).active,
            "experts": f"{m.experts_per_token}/{m.num_experts}" if m.is_moe else "",
            "attention": "MLA"
            if m.is_mla
            else "GQA"
            if m.num_key_value_heads < m.num_attention_heads
            else "MHA",
            "weight_dtype": m.dtype,
            "weight_bytes": weight_bytes(m),
            "kv_bytes_per_token": int(kv_bytes_per_token(m)),
            "layers": m.num_layers,
            "hidden_size": m.hidden_size,
            "heads": m.num_attention_heads,
            "kv_heads": m.num_key_value_heads,
            "max_context": m.max_context,
            "aliases": list(m.aliases),
            "source": m.source,
        }
        for m in sorted(cat.models.values(), key=lambda m: parameter_count(m))
    ]


def model_table(rows: list[dict[str, Any]]) -> str:
    w = max([17, *(len(r["id"]) for r in rows)])  # an imported model's id may be longer
    lines = [
        f"{'id':<{w}} {'params':>8} {'active':>7} {'experts':>7} {'weights':>13} {'KV/token':>9} "
        f"{'layers':>6} {'heads':>7} {'context':>7}"
    ]
    for r in rows:
        active = f"{r['active_params'] / 1e9:.1f}B" if r["experts"] else "all"
        weights = f"{r['weight_bytes'] / 1e9:.1f}GB {r['weight_dtype']}"
        lines.append(
            f"{r['id']:<{w}} {r['params'] / 1e9:>7.2f}B {active:>7} {r['experts'] or '-':>7} "
            f"{weights:>13} {r['kv_bytes_per_token'] / 1e3:>7.1f}kB {r['layers']:>6} "
            f"{r['heads']:>3}/{r['kv_heads']:<3} {r['max_context']:>7}"
        )
    return "\n".join(lines)


def gpu_rows(cat: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": g.id,
            "name": g.name,
            "memory_gib": g.memory_bytes / GIB,
            "memory_bandwidth_gbps": g.memory_bandwidth / 1e9,
            "peak_tflops": {p: v / 1e12 for p, v in g.peak_flops.items()},
            "machine_balance_bf16": g.machine_balance("bf16"),
            "interconnect": g.interconnect.kind,
            "interconnect_gbps": g.interconnect.bandwidth / 1e9,
            "price_per_hour": g.price_per_hour,
            "source": g.source,
        }
        for g in sorted(cat.gpus.values(), key=lambda g: g.id)
    ]


def gpu_table(rows: list[dict[str, Any]]) -> str:
    w = max([15, *(len(r["id"]) for r in rows)])
    lines = [
        f"{'id':<{w}} {'memory':>7} {'GB/s':>6} {'bf16 TF':>8} {'fp8 TF':>7} {'balance':>7} "
        f"{'link GB/s':>9} {'$/h':>5}  interconnect"
    ]
    for r in rows:
        fp8 = r["peak_tflops"].get("fp8")
        lines.append(
            f"{r['id']:<{w}} {r['memory_gib']:>5.0f}GB {r['memory_bandwidth_gbps']:>6.0f} "
            f"{r['peak_tflops'].get('bf16', 0):>8.1f} {fp8 if fp8 else '-':>7} "
            f"{r['machine_balance_bf16']:>7.0f} {r['interconnect_gbps']:>9.0f} "
            f"{r['price_per_hour']:>5.2f}  {r['interconnect']}"
        )
    return "\n".join(lines)


def engine_rows(cat: Catalog) -> list[dict[str, Any]]:
    """Each engine profile: its settings in full (the defaults filled in), what it sets, the
    factors it brings, where each setting is from and what the factors were fitted on."""
    rows = []
    for name in sorted(cat.engines, key=lambda n: (n != DEFAULT_ENGINE, n)):
        e = cat.engines[name]
        settings = EngineSettings(**e.settings)
        rows.append(
            {
                "name": e.name,
                "title": e.title,
                "default": e.name == DEFAULT_ENGINE,
                "settings": {k: getattr(settings, k) for k in EngineSettings.__dataclass_fields__},
                "sets": sorted(e.settings),
                "factors": dict(e.factors),
                "fitted": list(e.fitted),
                "fitted_on": e.fitted_on,
                "sources": dict(e.sources),
                "notes": e.notes,
            }
        )
    return rows


def engine_table(rows: list[dict[str, Any]]) -> str:
    w = max([9, *(len(r["name"]) for r in rows)])
    lines = [
        f"{'engine':<{w}} {'seqs':>5} {'tok/step':>8} {'chunked':>7} {'kv kept':>7} "
        f"{'graphs':>8} {'memory':>10}  factors"
    ]
    for r in rows:
        st = r["settings"]
        graphs = st["graph_max_tokens"]
        memory = f"{st['memory_utilization']:.3g}" + (" free" if st["kv_of_free"] else "")
        factors = "fitted: " + r["fitted_on"] if r["fitted"] else "the default profile's"
        lines.append(
            f"{r['name']:<{w}} {st['max_num_seqs']:>5} {st['max_batched_tokens']:>8} "
            f"{'on' if st['chunked_prefill'] else 'off':>7} {max(st['kv_reserve'], 0.5):>7.2f} "
            f"{graphs if graphs < 10**6 else 'all':>8} {memory:>10}  {factors}"
        )
        lines.append(f"{'':<{w}} {r['title']}")
    lines.append("")
    lines.append(
        "seqs: max running sequences; tok/step: token budget of a step; chunked: prompts share "
        "steps with decode; kv kept: share of the output a running sequence holds in the KV "
        "cache (at least half: its mean); graphs: largest step run as a CUDA graph, in tokens; "
        "memory: the share of GPU memory for weights and KV (free: of what the weights leave). "
        "'tokentui engines --json' gives the source of each."
    )
    return "\n".join(lines)
