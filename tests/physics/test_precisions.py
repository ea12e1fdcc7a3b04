"""Weight and KV precisions: GGUF block layouts, FP4 block scales, the files they make, aliases,
and the tensor-core precision the math runs at on each GPU."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.physics.arch import kv_bytes_per_token, more_bits_layers, weight_bytes
from engine.physics.specs import DTYPE_BYTES, ModelSpec, canonical_dtype
from engine.storage.catalog import default_catalog


def llama2(size: str) -> ModelSpec:
    """Llama 2 as its config.json says (meta-llama/Llama-2-{7,13,70}b-hf)."""
    h, n, heads, kv, ffn = {
        "7b": (4096, 32, 32, 32, 11008),
        "13b": (5120, 40, 40, 40, 13824),
        "70b": (8192, 80, 64, 8, 28672),
    }[size]
    return ModelSpec(
        id=f"llama-2-{size}",
        name=size,
        hidden_size=h,
        num_layers=n,
        num_attention_heads=heads,
        num_key_value_heads=kv,
        head_dim=128,
        intermediate_size=ffn,
        vocab_size=32000,
        tie_word_embeddings=False,
        max_context=4096,
        dtype="fp16",
    )


def test_bits_per_weight_from_the_block_layouts() -> None:
    """ggml's block structs (ggml-common.h): block_q4_0 {ggml_half d; uint8_t qs[16]} for 32
    weights; block_q8_0 {d; int8_t qs[32]}; block_q4_K {d, dmin; scales[12]; qs[128]} for 256;
    block_q5_K {d, dmin; scales[12]; qh[32]; qs[128]}; block_q6_K {ql[128]; qh[64];
    int8_t scales[16]; d}. NVFP4: 16 E2M1 values and one E4M3 scale; MXFP4: 32 and one E8M0."""
    half = 2
    assert DTYPE_BYTES["q4_0"] * 8 == (half + 32 // 2) * 8 / 32 == 4.5
    assert DTYPE_BYTES["q8_0"] * 8 == (half + 32) * 8 / 32 == 8.5
    assert DTYPE_BYTES["q4_k_m"] * 8 == (2 * half + 12 + 128) * 8 / 256 == 4.5
    assert DTYPE_BYTES["q5_k_m"] * 8 == (2 * half + 12 + 32 + 128) * 8 / 256 == 5.5
    assert DTYPE_BYTES["q6_k"] * 8 == (128 + 64 + 16 + half) * 8 / 256 == 6.5625
    assert DTYPE_BYTES["fp4"] * 8 == (16 * 4 + 8) / 16 == 4.5
    assert DTYPE_BYTES["mxfp4"] * 8 == (32 * 4 + 8) / 32 == 4.25
    # the KV cache in llama.cpp's q8_0 / q4_0 blocks
    assert DTYPE_BYTES["q8_0"] == 34 / 32 and DTYPE_BYTES["q4_0"] == 18 / 32


def test_use_more_bits_layers() -> None:
    """llama.cpp's use_more_bits(i, n): i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2, counted by
    hand for 32 layers: 0-3 and 28-31 (8), then i = 6, 9, ..., 27 (8 more)."""
    by_hand = [i for i in range(32) if i < 4 or i >= 28 or (i - 4) % 3 == 2]
    assert len(by_hand) == 16 and more_bits_layers(32) == 16
    assert more_bits_layers(80) == len(
        [i for i in range(80) if i < 10 or i >= 70 or (i - 10) % 3 == 2]
    )


# The GGUF files' sizes as TheBloke's Llama-2-{7B,13B,70B}-GGUF model cards on Hugging Face list
# them (GB = 1e9 bytes; the files also hold the vocabulary and metadata, under 1 MB). The 7B
# figures are llama.cpp's too (llama-bench: 'llama 7B Q4_0 3.56 GiB', 'Q4_K - Medium 3.80 GiB',
# 'F16 12.55 GiB').
GGUF_FILES = {
    ("7b", "q4_0"): 3.83e9,
    ("7b", "q4_k_m"): 4.08e9,
    ("7b", "q5_k_m"): 4.78e9,
    ("7b", "q6_k"): 5.53e9,
    ("7b", "q8_0"): 7.16e9,
    ("13b", "q4_0"): 7.37e9,
    ("13b", "q4_k_m"): 7.87e9,
    ("13b", "q5_k_m"): 9.23e9,
    ("13b", "q6_k"): 10.68e9,
    ("13b", "q8_0"): 13.83e9,
    ("70b", "q4_0"): 38.87e9,
    ("70b", "q4_k_m"): 41.42e9,
    ("70b", "q5_k_m"): 48.75e9,
    ("70b", "q8_0"): 73.29e9,
}


@pytest.mark.parametrize(("size", "dtype"), sorted(GGUF_FILES))
def test_gguf_file_sizes_match_the_published_files(size: str, dtype: str) -> None:
    # within the model cards' rounding (two decimals) and llama.cpp's GQA rule for 70B's attn_v
    assert weight_bytes(llama2(size), dtype) == pytest.approx(GGUF_FILES[size, dtype], rel=2e-3)


def test_llama_2_7b_in_gib_as_llama_bench_prints_it() -> None:
    m = llama2("7b")
    gib = 1024**3
    assert round(weight_bytes(m, "fp16") / gib, 2) == 12.55
    assert round(weight_bytes(m, "q4_0") / gib, 2) == 3.56
    assert round(weight_bytes(m, "q4_k_m") / gib, 2) == 3.80


def test_fp4_keeps_embeddings_in_16_bits() -> None:
    m = llama2("7b")
    embed = 2 * 32000 * 4096  # embedding and LM head
    linear = 6_738_415_616 - embed - (2 * 32 + 1) * 4096  # less the norms
    norms = (2 * 32 + 1) * 4096
    assert weight_bytes(m, "fp4") == round(linear * 4.5 / 8 + (embed + norms) * 2)


def test_kv_cache_in_gguf_blocks() -> None:
    m = llama2("7b")
    per_elem = 2 * 32 * 32 * 128  # K and V x layers x KV heads x head dim
    assert kv_bytes_per_token(m, "q8_0") == per_elem * 34 / 32
    assert kv_bytes_per_token(m, "q4_0") == per_elem * 18 / 32


@pytest.mark.parametrize(
    ("name", "want"),
    [("F16", "fp16"), ("f16", "fp16"), ("Q4_K_M", "q4_k_m"), ("NVFP4", "fp4"), ("bf16", "bf16")],
)
def test_aliases(name: str, want: str) -> None:
    assert canonical_dtype(name) == want


def test_math_precision_per_gpu() -> None:
    cat = default_catalog()
    h100, b200, m2 = cat.gpu("h100-sxm"), cat.gpu("b200"), cat.gpu("apple-m2-ultra")
    # GGUF on CUDA: llama.cpp's MMQ kernels quantise activations to 8 bits, int8 tensor cores
    assert h100.compute_precision("q4_k_m") == "int8"
    # on Metal no int8 peak: dequantised to 16 bits
    assert m2.compute_precision("q4_0") in ("fp16", "bf16")
    # int4 (AWQ/GPTQ) is weight-only: 16-bit math
    assert h100.compute_precision("int4") == "bf16"
    # fp4 needs FP4 tensor cores (Blackwell); Hopper dequantises
    assert h100.compute_precision("fp4") == "bf16"
    assert b200.compute_precision("mxfp4") == ("fp4" if "fp4" in b200.peak_flops else "bf16")


def test_the_resolver_takes_aliases_and_refuses_unknown() -> None:
    from support import make_scenario

    cat = default_catalog()
    s = make_scenario(cat.model("llama-3.1-8b"), cat.gpu("rtx-4090"), gpus=1, weight_dtype="Q4_K_M")
    assert s.weight_dtype == "q4_k_m"
    with pytest.raises(InputError, match="q3_k"):
        make_scenario(cat.model("llama-3.1-8b"), cat.gpu("rtx-4090"), gpus=1, weight_dtype="q3_k")
