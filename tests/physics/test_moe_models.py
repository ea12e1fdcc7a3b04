"""The mixture-of-experts models of issue #11 against their published sizes, and the expected
experts a batch touches against a brute-force count."""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np
import pytest

from engine.physics import arch
from engine.storage.catalog import Catalog


class Published(NamedTuple):
    total: int  # the checkpoint's parameter count (Hugging Face safetensors metadata)
    active: str  # the active parameters as the model's authors state them, in billions
    active_has_embedding: bool  # whether their active count includes the input embedding
    kv_per_token_bf16: int  # bytes of KV cache per token at 16 bits, all layers


# Totals: safetensors.total of each repository (api/models/<repo>), e.g. Mixtral-8x7B-v0.1's
# 46,702,792,704; DeepSeek-V3's 671,026,419,200 is the main model (685B with its MTP layer), as
# in its README; gpt-oss's are in its model card (116.83B and 20.91B, active 5.13B and 3.61B
# without the embedding). KV: 2 (K, V) x layers x KV heads x head_dim x 2 bytes; DeepSeek-V3's
# MLA caches (kv_lora_rank 512 + qk_rope_head_dim 64) x 61 layers x 2 bytes = 70,272.
PUBLISHED: dict[str, Published] = {
    "mixtral-8x7b": Published(46_702_792_704, "12.9", True, 2 * 32 * 8 * 128 * 2),
    "mixtral-8x22b": Published(140_620_634_112, "39", True, 2 * 56 * 8 * 128 * 2),
    "qwen3-30b-a3b": Published(30_532_122_624, "3.3", True, 2 * 48 * 4 * 128 * 2),
    "qwen3-235b-a22b": Published(235_093_634_560, "22", True, 2 * 94 * 4 * 128 * 2),
    "deepseek-v3": Published(671_026_419_200, "36.6", False, 61 * (512 + 64) * 2),
    "gpt-oss-20b": Published(20_914_757_184, "3.61", False, 2 * 24 * 8 * 64 * 2),
    "gpt-oss-120b": Published(116_829_156_672, "5.13", False, 2 * 36 * 8 * 64 * 2),
}


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_total_parameters_are_the_published_ones(catalog: Catalog, model_id: str) -> None:
    assert arch.parameter_count(catalog.model(model_id)) == PUBLISHED[model_id].total


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_active_parameters_round_to_the_published_ones(catalog: Catalog, model_id: str) -> None:
    p = PUBLISHED[model_id]
    c = arch.param_counts(catalog.model(model_id))
    active = c.active if p.active_has_embedding else c.active - c.embedding
    # stated to the digits given, rounded or cut (Qwen's "3.3B" is 3.35B cut)
    digits = len(p.active.partition(".")[2])
    billions = active / 1e9
    assert p.active in (
        f"{billions:.{digits}f}",
        f"{int(billions * 10**digits) / 10**digits:.{digits}f}",
    )


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_kv_bytes_per_token(catalog: Catalog, model_id: str) -> None:
    model = catalog.model(model_id)
    assert arch.kv_bytes_per_token(model, "bf16") == PUBLISHED[model_id].kv_per_token_bf16


def test_mla_cache_is_replicated_not_split_over_tp(catalog: Catalog) -> None:
    ds = catalog.model("deepseek-v3")
    assert arch.kv_bytes_per_token(ds, "bf16", tp=8) == arch.kv_bytes_per_token(ds, "bf16")
    gqa = catalog.model("mixtral-8x7b")  # 8 KV heads: split over TP 8
    assert arch.kv_bytes_per_token(gqa, "bf16", tp=8) == arch.kv_bytes_per_token(gqa, "bf16") / 8


def test_mla_decode_attention_flops_are_over_the_latent(catalog: Catalog) -> None:
    ds = catalog.model("deepseek-v3")
    # absorbed: QK over 512 + 64, AV over 512 per head; prefill: QK over 192, AV over 128
    assert arch.attention_flops_per_pair(ds, absorbed=True) == 128 * (2 * 576 + 2 * 512 + 5)
    assert arch.attention_flops_per_pair(ds) == 128 * (2 * 192 + 2 * 128 + 5)


def _brute_force_touched(e: int, k: int, tokens: int, trials: int, seed: int) -> float:
    """Route ``tokens`` tokens to k distinct experts of e at random, count the distinct ones."""
    rng = np.random.default_rng(seed)
    counts = []
    for _ in range(trials):
        picks = np.argsort(rng.random((tokens, e)), axis=1)[:, :k]
        counts.append(len(np.unique(picks)))
    return float(np.mean(counts))


@pytest.mark.parametrize("tokens", [1, 2, 8, 32, 128])
def test_experts_touched_matches_random_routing(catalog: Catalog, tokens: int) -> None:
    model = catalog.model("qwen3-30b-a3b")  # 128 experts, 8 a token
    brute = _brute_force_touched(128, 8, tokens, trials=400, seed=tokens)
    assert arch.experts_touched(model, tokens) == pytest.approx(brute, rel=0.02)


def test_weight_reads_go_from_one_expert_set_to_all(catalog: Catalog) -> None:
    model = catalog.model("mixtral-8x7b")
    c = arch.param_counts(model)
    # everything but the routed experts and the embedding table (a lookup, not read whole)
    dense_part = arch.weight_bytes(model) - c.embedding * 2 - c.routed * 2
    one = arch.decode_weight_read_bytes(model, 1, "bf16", 1)
    reads = [arch.decode_weight_read_bytes(model, 1, "bf16", b) for b in (1, 2, 4, 16, 64, 512)]
    # batch 1 reads exactly the k = 2 experts it is routed to (in every layer) ...
    assert one == pytest.approx(dense_part + c.routed * 2 * 2 / 8)
    # ... and the reads grow with the batch towards every expert, never past it.
    assert all(a < b for a, b in itertools.pairwise(reads))
    everything = arch.weight_bytes(model) - c.embedding * 2  # the embedding table is not read
    assert reads[-1] == pytest.approx(everything, rel=1e-6)
