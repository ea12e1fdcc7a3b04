"""Architecture counts against the article's hand derivations and the models' published sizes."""

from __future__ import annotations

import pytest

from engine.physics import arch
from engine.physics.specs import ModelSpec
from engine.storage.catalog import Catalog


def article_params(vocab: int, h: int, layers: int) -> int:
    """The article's closed form for Llama 3.3 70B: 12.75 h^2 + 2h per block (GQA with h/8 K and
    V, intermediate 3.5 h), embeddings and LM head untied, one final norm."""
    return vocab * h + layers * (51 * h * h // 4 + 2 * h) + h + h * vocab


def test_llama_70b_parameters_match_the_article(llama70: ModelSpec) -> None:
    assert arch.parameter_count(llama70) == 70_553_706_496
    assert arch.parameter_count(llama70) == article_params(128256, 8192, 80)


def test_llama_8b_parameters(llama8: ModelSpec) -> None:
    assert arch.parameter_count(llama8) == 8_030_261_248


@pytest.mark.parametrize(
    ("model_id", "published"),
    [
        # Hugging Face safetensors totals of each checkpoint.
        ("llama-3.1-405b", 405_853_388_800),
        ("mistral-7b", 7_248_023_552),
        ("qwen2.5-7b", 7_615_616_512),
        ("qwen2.5-72b", 72_706_203_648),
        ("llama-3.1-70b", 70_553_706_496),
    ],
)
def test_other_models_match_published_sizes(
    catalog: Catalog, model_id: str, published: int
) -> None:
    assert arch.parameter_count(catalog.model(model_id)) == published


def test_weight_bytes_bf16_is_two_bytes_a_parameter(llama70: ModelSpec) -> None:
    assert arch.weight_bytes(llama70) == 141_107_412_992  # the article's "141GB"


def test_quantised_weights_keep_embeddings_in_16_bits(llama8: ModelSpec) -> None:
    counts = arch.param_counts(llama8)
    unquantised = counts.embedding + counts.lm_head + counts.norms
    assert arch.weight_bytes(llama8, "int4") == round(counts.linear * 0.5 + unquantised * 2)
    assert arch.weight_bytes(llama8, "fp8") == counts.linear + unquantised * 2


def test_kv_cache_bytes_match_the_article(llama70: ModelSpec) -> None:
    per_token = arch.kv_bytes_per_token(llama70, "bf16")
    assert per_token == 327_680  # 2 x 80 layers x 8 heads x 128 x 2 bytes
    assert per_token * 2048 == 671_088_640  # the article's "671 MB" at 2,048 tokens
    assert arch.kv_bytes_per_token(llama70, "fp8") == 163_840


def test_kv_heads_split_then_replicate_under_tp(llama70: ModelSpec) -> None:
    assert arch.kv_bytes_per_token(llama70, tp=4) == 327_680 / 4
    assert arch.kv_bytes_per_token(llama70, tp=8) == 327_680 / 8
    # 16 GPUs, 8 KV heads: each GPU keeps one whole head (replicated twice over the group).
    assert arch.kv_bytes_per_token(llama70, tp=16) == 2 * 80 * 1 * 128 * 2


def test_weights_per_gpu_split_all_but_norms(llama70: ModelSpec) -> None:
    norms_bytes = (2 * 80 + 1) * 8192 * 2
    total = 141_107_412_992
    assert arch.weights_per_gpu_bytes(llama70, 4) == pytest.approx(
        (total - norms_bytes) / 4 + norms_bytes
    )
    assert arch.weights_per_gpu_bytes(llama70, 1) == pytest.approx(total)


def test_prefill_flops_match_the_article(llama70: ModelSpec) -> None:
    s, h, v, nh, n = 2048, 8192, 128256, 64, 80
    article = n * (10 * s * h + 25.5 * s * h**2 + 4 * s**2 * h + 5 * s**2 * nh) + 2 * s * h * v
    flops = arch.prefill_flops(llama70, s, "article")
    assert flops == pytest.approx(article, rel=1e-12)
    assert flops == pytest.approx(2.958e14, rel=1e-3)
    assert flops / 989.4e12 == pytest.approx(0.30, abs=0.005)  # "roughly 0.3 s" on one H100


def test_flash_count_halves_the_score_matrix_and_keeps_one_logit_row(llama70: ModelSpec) -> None:
    s, h, v, nh, n = 2048, 8192, 128256, 64, 80
    saved_pairs = s * s - s * (s + 1) / 2
    saved = n * saved_pairs * (4 * h + 5 * nh) + (s - 1) * 2 * h * v
    article = arch.prefill_flops(llama70, s, "article")
    assert article - arch.prefill_flops(llama70, s, "flash") == pytest.approx(saved, rel=1e-9)


def test_decode_step_is_prefill_over_s(llama70: ModelSpec) -> None:
    """The article: generating token 2049 costs about 296/2048 = 0.14 TFLOPs."""
    a, b = arch.decode_flops_coefficients(llama70)
    per_token = a + b * 2048
    assert per_token == pytest.approx(arch.prefill_flops(llama70, 2048, "article") / 2048, rel=1e-9)
    assert per_token == pytest.approx(0.144e12, rel=0.01)


def test_tp_must_divide_heads(llama70: ModelSpec) -> None:
    arch.check_tp(llama70, 8)
    with pytest.raises(ValueError, match="does not divide the 64 attention heads"):
        arch.check_tp(llama70, 3)


def test_moe_counts_only_active_experts_per_token() -> None:
    # Mixtral 8x7B's published size: 46,702,792,704 parameters, ~12.9B active.
    mixtral = ModelSpec(
        id="mixtral",
        name="Mixtral 8x7B",
        hidden_size=4096,
        num_layers=32,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        intermediate_size=14336,
        vocab_size=32000,
        tie_word_embeddings=False,
        max_context=32768,
        num_experts=8,
        experts_per_token=2,
    )
    counts = arch.param_counts(mixtral)
    assert counts.total == 46_702_792_704
    assert counts.active == pytest.approx(12.88e9, rel=0.01)
    # A batch of one reads 2 of 8 experts; a large batch reads nearly all.
    one = arch.decode_weight_read_bytes(mixtral, 1, "bf16", 1)
    many = arch.decode_weight_read_bytes(mixtral, 1, "bf16", 256)
    assert one < many <= arch.weight_bytes(mixtral)
