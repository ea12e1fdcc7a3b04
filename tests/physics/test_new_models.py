"""The dense models added for issue #11 against their published sizes and config.json numbers."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from engine.physics import arch
from engine.storage.catalog import Catalog


class Published(NamedTuple):
    params: int  # the safetensors total on the checkpoint's Hugging Face page
    layers: int  # num_hidden_layers in config.json
    kv_heads: int  # num_key_value_heads
    head_dim: int
    context: int  # max_position_embeddings


# Parameter totals: the "safetensors" metadata (parameters summed over the checkpoint's tensors)
# of each repository on Hugging Face, e.g. https://huggingface.co/api/models/meta-llama/Llama-2-7b-hf
# (field safetensors.total). Instruct/chat versions share the base model's total.
PUBLISHED: dict[str, Published] = {
    # https://huggingface.co/meta-llama/Llama-2-7b-hf (multi-head attention: 32 KV heads)
    "llama-2-7b": Published(6_738_415_616, 32, 32, 128, 4096),
    # https://huggingface.co/meta-llama/Llama-2-13b-hf (multi-head attention: 40 KV heads)
    "llama-2-13b": Published(13_015_864_320, 40, 40, 128, 4096),
    # https://huggingface.co/meta-llama/Llama-2-70b-hf (GQA, 8 KV heads)
    "llama-2-70b": Published(68_976_648_192, 80, 8, 128, 4096),
    # https://huggingface.co/meta-llama/Meta-Llama-3-8B
    "llama-3-8b": Published(8_030_261_248, 32, 8, 128, 8192),
    # https://huggingface.co/meta-llama/Meta-Llama-3-70B
    "llama-3-70b": Published(70_553_706_496, 80, 8, 128, 8192),
    # https://huggingface.co/Qwen/Qwen3-8B (q/k norms counted)
    "qwen3-8b": Published(8_190_735_360, 36, 8, 128, 40960),
    # https://huggingface.co/Qwen/Qwen3-32B (q/k norms counted)
    "qwen3-32b": Published(32_762_123_264, 64, 8, 128, 40960),
    # https://huggingface.co/Qwen/Qwen2.5-32B-Instruct (q/k/v biases; 32k context as Instruct)
    "qwen2.5-32b": Published(32_763_876_352, 64, 8, 128, 32768),
    # https://huggingface.co/mistralai/Mistral-Small-24B-Base-2501
    "mistral-small-24b": Published(23_572_403_200, 40, 8, 128, 32768),
    # https://huggingface.co/google/gemma-2-9b (tied embeddings, 4 norms a layer, head_dim 256)
    "gemma-2-9b": Published(9_241_705_984, 42, 8, 256, 8192),
    # https://huggingface.co/google/gemma-2-27b (tied embeddings, 4 norms a layer, head_dim 128)
    "gemma-2-27b": Published(27_227_128_320, 46, 16, 128, 8192),
}


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_parameters_match_the_published_total(catalog: Catalog, model_id: str) -> None:
    assert arch.parameter_count(catalog.model(model_id)) == PUBLISHED[model_id].params


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_kv_bytes_per_token_at_bf16(catalog: Catalog, model_id: str) -> None:
    p = PUBLISHED[model_id]
    expected = 2 * p.layers * p.kv_heads * p.head_dim * 2  # K and V, 2 bytes each
    assert arch.kv_bytes_per_token(catalog.model(model_id), "bf16") == expected


@pytest.mark.parametrize("model_id", sorted(PUBLISHED))
def test_context_is_the_published_one(catalog: Catalog, model_id: str) -> None:
    assert catalog.model(model_id).max_context == PUBLISHED[model_id].context


def test_llama_3_keeps_8k_and_llama_3_1_keeps_128k(catalog: Catalog) -> None:
    for size in ("8b", "70b"):
        old, new = catalog.model(f"llama-3-{size}"), catalog.model(f"llama-3.1-{size}")
        assert (old.max_context, new.max_context) == (8192, 131072)
        assert arch.parameter_count(old) == arch.parameter_count(new)


def test_gemma_2_counts_four_norms_a_layer_and_ties_the_head(catalog: Catalog) -> None:
    gemma = catalog.model("gemma-2-9b")
    counts = arch.param_counts(gemma)
    assert counts.norms == 42 * 4 * 3584 + 3584
    assert counts.lm_head == 0
    assert gemma.head_dim * gemma.num_attention_heads == 4096  # not the hidden size, 3584


def test_qwen3_counts_q_and_k_norms(catalog: Catalog) -> None:
    counts = arch.param_counts(catalog.model("qwen3-8b"))
    assert counts.norms == 36 * (2 * 4096 + 2 * 128) + 4096
