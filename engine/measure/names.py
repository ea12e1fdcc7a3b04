"""What a results file calls its model, as a catalog id and a weight precision."""

from __future__ import annotations

import re


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _name_variants(name: str) -> list[str]:
    """A recorded name and what it likely means: 'meta-llama/Llama-3.1-8B-Instruct' ->
    'Llama-3.1-8B-Instruct'; 'Meta-Llama-3.1-8B.gguf' -> 'Llama-3.1-8B'; Ollama's
    'llama3.1:8b-instruct-q4_K_M' as it is (its tag follows the colon)."""
    base = name.strip().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = re.sub(r"\.(gguf|bin|safetensors)$", "", base, flags=re.IGNORECASE)
    out = [name, base]
    stripped = re.sub(r"^(meta|hf|models?)[-_ ]+", "", base, flags=re.IGNORECASE)
    out.append(stripped)
    return out


def resolve_model_name(name: str, ids: list[str]) -> str | None:
    """Match a recorded model name to a catalog id: 'llama-3.3-70bb', 'Llama 3.1 8B',
    'meta-llama/Llama-3.1-8B-Instruct', Ollama's 'llama3.1:8b-instruct-q4_K_M', a GGUF file name
    'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf'. The longest id the name starts with wins."""
    for variant in _name_variants(name):
        target = _norm(variant)
        best = [i for i in ids if target.startswith(_norm(i))]
        if best:
            return max(best, key=len)
    return None


#: Quantisation tags in model names and GGUF types, as the engine's weight precisions. GGUF
#: types keep their own (block layouts and bits in engine.physics.specs); a _S or plain k-quant
#: is read as its _M mix (within a few percent of its bytes); GGUF types the engine does not
#: model (q2_K, q3_K, q4_1, q5_0, i-quants) have no precision.
_QUANT_TAGS: list[tuple[str, str | None]] = [
    (r"q4_0", "q4_0"),
    (r"q4_k(_[ms])?", "q4_k_m"),
    (r"q5_k(_[ms])?", "q5_k_m"),
    (r"q6_k", "q6_k"),
    (r"q8_0", "q8_0"),
    (r"nvfp4|fp4", "fp4"),
    (r"mxfp4", "mxfp4"),
    (r"awq|gptq|int4|w4a16|nf4|4bit", "int4"),
    (r"int8|w8a8|w8a16|8bit", "int8"),
    (r"fp8|f8|fp8_\w+", "fp8"),
    (r"bf16|bfloat16", "bf16"),
    (r"f16|fp16|float16", "fp16"),
    (r"f32|fp32|float32", "fp32"),
    (r"i?q[1-8](_\w*)?|tq\d_\d", None),  # 1.5 to 8 bits per weight: no engine precision
]


def quantization_from_name(name: str) -> tuple[str | None, str | None]:
    """(engine weight precision, the tag found) from a name: 'llama3.1:8b-instruct-q4_K_M' ->
    ('q4_k_m', 'q4_K_M'); a tag the engine has no precision for ('Q3_K_L') -> (None, 'Q3_K_L');
    no tag -> (None, None)."""
    for token in re.split(r"[^A-Za-z0-9_]+", name):
        low = token.lower()
        for pattern, dtype in _QUANT_TAGS:
            if re.fullmatch(pattern, low):
                return dtype, token
    return None, None
