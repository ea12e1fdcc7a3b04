"""What a model is made of: parameters, bytes, FLOPs, KV cache — counted from its architecture.

Counting follows the article (``tokenomics-from-first-principles.md``): a matmul of (m x n) by
(n x k) costs 2mnk FLOPs; RMSNorm 4 FLOPs per element, RoPE 6 per element of q, softmax 5 per score.

Two FLOP counts are offered for prefill, and they differ only there:

``article``
    exactly the article's formula: every query attends to every key (the full S x S score matrix,
    as a naive attention does) and the LM head runs on every prompt token. 70B at 2,048 tokens:
    2.958e14 FLOPs.
``flash``
    what a serving engine actually runs: a causal flash-attention kernel computes only the
    S(S+1)/2 scores below the diagonal, and logits are produced only for the last prompt token.

Functions take plain ints or numpy arrays for token counts and broadcast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.physics.specs import DTYPE_BYTES, GGUF_TYPES, ModelSpec, gguf_bytes

FlopCount = Literal["article", "flash"]
FLOP_COUNTS: tuple[str, ...] = ("article", "flash")
ArrayLike = float | int | npt.NDArray[np.float64]

#: Activations are carried in 16 bits whatever the weight precision.
ACT_BYTES = 2.0
#: Precision of the parts a quantised checkpoint keeps in 16 bits (embeddings, LM head, norms).
UNQUANTISED_BYTES = 2.0
#: RMSNorms in each decoder layer, by family, where not the usual two (before attention, before
#: the MLP). Gemma 2 also norms the output of attention and of the MLP: four per layer.
NORMS_PER_LAYER: dict[str, int] = {"gemma2": 4}
#: Families with q/k norms: an RMSNorm over head_dim on the queries and one on the keys in every
#: layer (2 x head_dim weights a layer), shared by all heads. Qwen3 and Qwen3-MoE.
QK_NORM_FAMILIES: frozenset[str] = frozenset({"qwen3", "qwen3_moe"})
#: Families whose ``attention_bias`` is on q, k and v only (Qwen2); elsewhere (Llama, gpt-oss)
#: o_proj has one too.
QKV_BIAS_FAMILIES: frozenset[str] = frozenset({"qwen2", "qwen2_moe"})
#: Families with a learned attention sink per head in every layer (gpt-oss).
SINK_FAMILIES: frozenset[str] = frozenset({"gpt_oss"})
#: Families whose shared expert has a gate of its own (a hidden -> 1 projection): Qwen2-MoE.
SHARED_GATE_FAMILIES: frozenset[str] = frozenset({"qwen2_moe"})


@dataclass(frozen=True)
class ParamCounts:
    """Parameter counts by part. ``mlp`` counts all experts (and the dense layers' MLPs and the
    shared experts), ``routed`` the routed experts among them, ``mlp_active`` what one token
    uses."""

    attention: int  # q, k, v, o projections (MLA: its low-rank ones), biases, sinks
    mlp: int
    mlp_active: int
    norms: int  # RMSNorms: two per layer (four for Gemma 2), q/k norms, MLA's, the final one
    embedding: int
    lm_head: int  # 0 when tied to the embedding
    router: int  # MoE gate; 0 for a dense model
    routed: int = 0  # the routed experts' weights, all layers (part of ``mlp``)

    @property
    def linear(self) -> int:
        """Parameters in the layers' matmuls: what quantisation shrinks."""
        return self.attention + self.mlp + self.router

    @property
    def total(self) -> int:
        return self.attention + self.mlp + self.router + self.norms + self.embedding + self.lm_head

    @property
    def active(self) -> int:
        """Parameters one token touches (equal to ``total`` for a dense model)."""
        return self.total - self.mlp + self.mlp_active


def _attention_per_layer(model: ModelSpec) -> tuple[int, int]:
    """(projection weights and biases, norm weights) of one layer's attention."""
    h, heads = model.hidden_size, model.num_attention_heads
    if model.is_mla:
        r, rope = model.kv_lora_rank, model.qk_rope_head_dim
        nope = model.head_dim - rope
        if model.q_lora_rank:
            q = h * model.q_lora_rank + model.q_lora_rank * model.q_dim
        else:
            q = h * model.q_dim
        kv = h * (r + rope) + r * heads * (nope + model.v_head_dim)
        weights = q + kv + model.attn_out_dim * h
        return weights, model.q_lora_rank + r  # q_a_layernorm, kv_a_layernorm
    weights = h * model.q_dim + 2 * h * model.kv_dim + model.attn_out_dim * h
    if model.attention_bias:
        weights += model.q_dim + 2 * model.kv_dim
        if model.family not in QKV_BIAS_FAMILIES:
            weights += h  # o_proj's bias
    if model.family in SINK_FAMILIES:
        weights += heads
    norms = 2 * model.head_dim if model.family in QK_NORM_FAMILIES else 0
    return weights, norms


def _mlp(model: ModelSpec, width: int) -> int:
    """A gated MLP (SwiGLU; GeGLU in Gemma) of ``width``: gate, up and down, and their biases."""
    h = model.hidden_size
    return 3 * h * width + ((2 * width + h) if model.mlp_bias else 0)


@lru_cache(maxsize=256)
def param_counts(model: ModelSpec) -> ParamCounts:
    h, n = model.hidden_size, model.num_layers
    attn, attn_norms = _attention_per_layer(model)
    embedding = model.vocab_size * h
    layer_norms = NORMS_PER_LAYER.get(model.family, 2) * h + attn_norms
    if model.is_moe:
        moe, dense = model.moe_layers, model.num_layers - model.moe_layers
        expert = _mlp(model, model.expert_intermediate_size)
        shared = 3 * h * model.shared_expert_size
        routed = moe * model.num_experts * expert
        mlp = dense * _mlp(model, model.intermediate_size) + moe * shared + routed
        mlp_active = mlp - routed + moe * model.experts_per_token * expert
        gate = h * model.num_experts + (model.num_experts if model.router_bias else 0)
        if model.family in SHARED_GATE_FAMILIES and model.shared_expert_size:
            gate += h
        router = moe * gate
    else:
        mlp = mlp_active = n * _mlp(model, model.intermediate_size)
        routed = router = 0
    return ParamCounts(
        attention=n * attn,
        mlp=mlp,
        mlp_active=mlp_active,
        norms=n * layer_norms + h,
        embedding=embedding,
        lm_head=0 if model.tie_word_embeddings else embedding,
        router=router,
        routed=routed,
    )


def parameter_count(model: ModelSpec) -> int:
    return param_counts(model).total


def check_dtype(dtype: str, accepted: tuple[str, ...], what: str) -> None:
    if dtype not in accepted:
        raise InputError(f"unknown {what} {dtype!r} (accepted: {', '.join(accepted)})")


def more_bits_layers(n_layers: int) -> int:
    """Layers whose attn_v and ffn_down a Q4_K_M / Q5_K_M file stores in q6_K: llama.cpp's
    ``use_more_bits(i, n)``, i < n/8 or i >= 7n/8 or (i - n/8) % 3 == 2."""
    eighth = n_layers // 8
    return sum(
        1 for i in range(n_layers) if i < eighth or i >= 7 * n_layers // 8 or (i - eighth) % 3 == 2
    )


def linear_bytes(model: ModelSpec, dtype: str) -> float:
    """Bytes of the layers' matmuls in ``dtype``; for a GGUF type, tensor by tensor as llama.cpp
    writes them (attn_v and ffn_down of some layers in more bits)."""
    c = param_counts(model)
    if dtype not in GGUF_TYPES:
        return c.linear * DTYPE_BYTES[dtype]
    base, more, _, _ = GGUF_TYPES[dtype]
    if more is None:
        return c.linear * gguf_bytes(base)
    v = 0 if model.is_mla else model.hidden_size * model.kv_dim
    if v and model.attention_bias:
        v += model.kv_dim
    down = c.mlp // (3 * model.num_layers)  # a layer's ffn_down (all its experts), on average
    promoted = more_bits_layers(model.num_layers) * (v + down)
    return (c.linear - promoted) * gguf_bytes(base) + promoted * gguf_bytes(more)


def other_bytes(model: ModelSpec, dtype: str) -> tuple[float, float, float]:
    """(embedding, LM head, norms) bytes in ``dtype``'s checkpoint. A quantised checkpoint keeps
    them in 16 bits (AWQ, GPTQ, fp8, fp4); a GGUF file stores the embedding and the output layer
    in its types for them (a tied embedding is the output layer) and the norms in f32."""
    c = param_counts(model)
    if dtype in GGUF_TYPES:
        _, _, embed, out = GGUF_TYPES[dtype]
        embed_b = gguf_bytes(out if model.tie_word_embeddings else embed)
        return c.embedding * embed_b, c.lm_head * gguf_bytes(out), c.norms * 4.0
    b = _unquantised_bytes(dtype)
    return c.embedding * b, c.lm_head * b, c.norms * b


def _unquantised_bytes(dtype: str) -> float:
    return max(DTYPE_BYTES[dtype], UNQUANTISED_BYTES)


def weight_bytes(model: ModelSpec, dtype: str | None = None) -> int:
    """Bytes of the whole checkpoint. Quantisation applies to the layers' matmuls; the rest is
    kept as :func:`other_bytes` says (16 bits, or a GGUF file's own types)."""
    dtype = dtype or model.dtype
    return round(linear_bytes(model, dtype) + sum(other_bytes(model, dtype)))


def kv_heads_per_gpu(model: ModelSpec, tp: int) -> int:
    """KV heads each GPU holds: split across the group, replicated once TP exceeds them."""
    return max(1, model.num_key_value_heads // tp)


def stage_layers(model: ModelSpec, pp: int = 1) -> int:
    """Layers of the largest pipeline stage: ``pp`` stages split the layers as evenly as they
    can (vLLM's and llama.cpp's default), so the largest holds ceil(layers / pp)."""
    return -(-model.num_layers // pp)


def kv_bytes_per_token(model: ModelSpec, kv_dtype: str = "bf16", tp: int = 1, pp: int = 1) -> float:
    """KV cache bytes one token takes on each GPU: K and V of every layer over the KV heads
    (split across a TP group, replicated once TP exceeds them); for MLA the latent and the rotary
    key, which every GPU of the group holds whole. With pipeline stages, the largest stage's
    layers."""
    layers = stage_layers(model, pp)
    if model.is_mla:
        return layers * model.kv_cache_width * DTYPE_BYTES[kv_dtype]
    heads = model.num_key_value_heads if tp == 1 else kv_heads_per_gpu(model, tp)
    return 2 * layers * heads * model.head_dim * DTYPE_BYTES[kv_dtype]


def check_tp(model: ModelSpec, tp: int) -> None:
    """Tensor parallelism splits attention heads: TP must divide them, and KV heads must either
    split evenly or be replicated whole (vLLM's rule)."""
    if tp < 1:
        raise InputError(f"tensor-parallel degree must be at least 1, got {tp}")
    nh, nkv = model.num_attention_heads, model.num_key_value_heads
    if nh % tp:
        accepted = [d for d in range(1, nh + 1) if nh % d == 0 and (nkv % d == 0 or d % nkv == 0)]
        raise InputError(
            f"TP {tp} does not divide the {nh} attention heads of {model.id} "
            f"(accepted: {', '.join(map(str, accepted))})"
        )
    if nkv % tp and tp % nkv:
        raise InputError(
            f"TP {tp} neither divides nor is a multiple of the {nkv} KV heads of {model.id}"
        )


def _replicated_linear(model: ModelSpec, tp: int) -> tuple[float, float]:
    """(weights each GPU of a TP group holds whole, their count in the model) among the layers'
    matmuls: GQA's K/V projections replicated with their heads once TP exceeds the KV heads;
    MLA's down-projections (q_a, kv_a), which vLLM does not split."""
    n, h = model.num_layers, model.hidden_size
    if model.is_mla:
        whole = n * h * (model.q_lora_rank + model.kv_cache_width)
        return whole, whole
    per_head = 2 * h * model.head_dim + (2 * model.head_dim if model.attention_bias else 0)
    return n * per_head * kv_heads_per_gpu(model, tp), n * per_head * model.num_key_value_heads


def check_ep(model: ModelSpec, tp: int, ep: int, gpus_per_stage: int | None = None) -> None:
    """Expert parallelism spreads the routed experts, whole, over ``ep`` GPUs: the GPUs of
    ep / tp tensor-parallel groups (replicas), whose attention then serves its own sequences
    (data-parallel attention, DeepSeek's and SGLang's layout). It needs a mixture of experts,
    EP a multiple of TP that the GPUs of a stage hold, and the experts dividing evenly."""
    if ep == 1:
        return
    if not model.is_moe:
        raise InputError(f"EP {ep}: {model.id} is not a mixture of experts (EP must be 1)")
    if ep % tp:
        raise InputError(
            f"EP {ep} must be a multiple of TP {tp} (experts are spread over whole "
            "tensor-parallel groups)"
        )
    if gpus_per_stage is not None and gpus_per_stage % ep:
        raise InputError(
            f"EP {ep} must divide the {gpus_per_stage} GPUs of a pipeline stage (GPUs / PP)"
        )
    if model.num_experts % ep:
        raise InputError(f"EP {ep} does not divide the {model.num_experts} experts of {model.id}")


def weights_per_gpu_bytes(
    model: ModelSpec, tp: int, dtype: str | None = None, pp: int = 1, ep: int = 1
) -> float:
    """Weight bytes on each GPU of a TP group: matmuls, embedding and LM head are split (but the
    replicated projections of :func:`_replicated_linear`); norms replicated. With ``pp`` stages,
    the largest stage's layers and the larger of the embedding (first stage) and the LM head
    (last stage). With ``ep``, each GPU holds 1/ep of the routed experts, whole."""
    dtype = dtype or model.dtype
    c = param_counts(model)
    wb = linear_bytes(model, dtype) / c.linear  # per weight of the matmuls (a GGUF mix: its mean)
    whole_per_gpu, whole = _replicated_linear(model, tp)
    routed = c.routed if ep > 1 else 0
    linear = (c.linear - whole - routed) / tp + whole_per_gpu + routed / ep
    embed, head, norms = other_bytes(model, dtype)
    if pp == 1:
        return linear * wb + (embed + head) / tp + norms
    share = stage_layers(model, pp) / model.num_layers
    ends = max(embed, head) if head else embed  # a tied head is the first stage's table again
    return linear * wb * share + ends / tp + norms * share


# ----------------------------------------------------------------------------------- FLOPs


def linear_flops_per_token(model: ModelSpec) -> float:
    """Matmul FLOPs of one token through every layer (q, k, v, o and the active experts' MLP)."""
    c = param_counts(model)
    return 2.0 * (c.attention + c.mlp_active + c.router)


def _per_token_elementwise(model: ModelSpec) -> float:
    """The article's elementwise terms per token per layer: one RMSNorm (4h) and RoPE (6 q_dim)."""
    return 4.0 * model.hidden_size + 6.0 * model.q_dim


def attention_flops_per_pair(model: ModelSpec, absorbed: bool = False) -> float:
    """FLOPs for one (query, key) pair in one layer: QK^T and AV (2 x the key width and 2 x the
    value width per head) + softmax (5 per head).

    MLA prefills as multi-head attention over decompressed keys (nope + rope) and values; it
    decodes with the up-projections absorbed into the query and the output (``absorbed``, as
    vLLM and SGLang do), attending over the cached latent itself: keys of kv_lora_rank + rope
    and values of kv_lora_rank per head — more FLOPs per pair, far fewer bytes."""
    heads = model.num_attention_heads
    if model.is_mla and absorbed:
        r = model.kv_lora_rank
        return heads * (2.0 * (r + model.qk_rope_head_dim) + 2.0 * r + 5.0)
    return heads * (2.0 * model.head_dim + 2.0 * (model.v_head_dim or model.head_dim) + 5.0)


def lm_head_flops(model: ModelSpec) -> float:
    return 2.0 * model.hidden_size * model.vocab_size


def prefill_flops(model: ModelSpec, tokens: ArrayLike, count: FlopCount = "article") -> ArrayLike:
    """FLOPs to prefill one sequence of ``tokens`` prompt tokens (all GPUs together)."""
    s = np.asarray(tokens, dtype=np.float64)
    per_layer_linear = s * (linear_flops_per_token(model) / model.num_layers)
    per_layer_elem = s * _per_token_elementwise(model)
    if count == "article":
        pairs = s * s
        logits_tokens = s
    elif count == "flash":
        pairs = s * (s + 1) / 2
        logits_tokens = np.minimum(s, 1.0)
    else:
        raise InputError(f"unknown FLOP count {count!r} (accepted: {', '.join(FLOP_COUNTS)})")
    per_layer_attn = pairs * attention_flops_per_pair(model)
    total = model.num_layers * (per_layer_linear + per_layer_elem + per_layer_attn)
    total = total + logits_tokens * lm_head_flops(model)
    return total if np.ndim(total) else float(total)


def decode_flops_coefficients(model: ModelSpec) -> tuple[float, float]:
    """Decode FLOPs for one sequence's step as ``a + b * L``, where L is the number of positions
    the new token attends to (its own included)."""
    n = model.num_layers
    a = linear_flops_per_token(model) + n * _per_token_elementwise(model) + lm_head_flops(model)
    b = n * attention_flops_per_pair(model, absorbed=True)
    return a, b


# ----------------------------------------------------------------------------------- bytes


def activation_bytes_per_token(model: ModelSpec, tp: int) -> float:
    """HBM traffic of one token's activations through all layers on one GPU.

    Every tensor between kernels is written once and read once: the normed input and residual
    stream (6 x hidden, replicated on every GPU), q/k/v and the attention output (split), and the
    MLP's gate/up, activated and down tensors (split). Small next to weights except at large batch.
    """
    h = model.hidden_size
    split = model.qkv_width + model.attn_out_dim + 3 * model.mlp_active_width
    elems = 6 * h + split / tp
    return 2.0 * elems * ACT_BYTES * model.num_layers


def experts_touched(model: ModelSpec, tokens: ArrayLike) -> ArrayLike:
    """Expected distinct routed experts a step over ``tokens`` tokens runs in one MoE layer, with
    uniform routing: each token picks k of E, so an expert is missed by all B tokens with
    probability (1 - k/E)^B: E x (1 - (1 - k/E)^B). k at B = 1, towards E as B grows."""
    e, k = model.num_experts, model.experts_per_token
    b = np.asarray(tokens, dtype=np.float64)
    out = e * (1.0 - (1.0 - k / e) ** b)
    return out if np.ndim(out) else float(out)


def busiest_gpu_experts(model: ModelSpec, tokens: ArrayLike, ep: int) -> ArrayLike:
    """Expected routed experts the busiest of ``ep`` GPUs runs in one MoE layer of a step over
    ``tokens`` tokens, each GPU holding E/ep of them whole: the step waits for the GPU that reads
    the most. Each expert is touched with probability p = 1 - (1 - k/E)^B (as in
    :func:`experts_touched`), independently: a GPU's count is Binomial(E/ep, p), and the expected
    largest of ep of them is sum over x >= 1 of 1 - F(x - 1)^ep. k/ep (a mean share) at B = 1 when
    the k experts land on different GPUs, E/ep once every expert is touched."""
    n = model.num_experts // ep
    b = np.asarray(tokens, dtype=np.float64)
    p = 1.0 - (1.0 - model.experts_per_token / model.num_experts) ** b
    x = np.arange(n + 1, dtype=np.float64).reshape((-1,) + (1,) * b.ndim)
    log_comb = np.array(
        [math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in range(n + 1)]
    ).reshape(x.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        pmf = np.exp(log_comb + x * np.log(p) + (n - x) * np.log1p(-p))
    pmf = np.nan_to_num(pmf, nan=0.0)
    pmf = np.where(p >= 1.0, (x == n).astype(np.float64), pmf)
    cdf = np.clip(np.cumsum(pmf, axis=0), 0.0, 1.0)
    out = np.sum(1.0 - cdf[:-1] ** ep, axis=0)
    return out if np.ndim(out) else float(out)


def decode_weight_read_bytes(
    model: ModelSpec, tp: int, dtype: str | None, batch: ArrayLike, pp: int = 1, ep: int = 1
) -> ArrayLike:
    """Weight bytes one decode step reads on each GPU: every matmul weight once, the LM head, the
    norms; not the input embedding table (a lookup of a few rows) unless it is tied to the head.
    With ``pp`` stages: one stage's share of the layers (the mean stage), and the LM head.

    For a mixture of experts only the experts some token in the batch is routed to are read:
    :func:`experts_touched` of them on average with uniform routing. With expert parallelism the
    step's tokens are those of all ep / tp groups (``batch`` each), and the step waits for the GPU
    that reads the most of its own experts (:func:`busiest_gpu_experts`).
    """
    dtype = dtype or model.dtype
    c = param_counts(model)
    per_gpu = weights_per_gpu_bytes(model, tp, dtype, ep=ep)
    table = 0.0 if model.tie_word_embeddings else other_bytes(model, dtype)[0] / tp
    read = per_gpu - table
    read /= pp  # the mean stage's (the LM head is the last stage's: a pp-th of it on average)
    if not model.is_moe:
        return np.full(np.shape(batch), read) if np.ndim(batch) else read
    per_weight = linear_bytes(model, dtype) / c.linear
    if ep > 1:  # the busiest GPU's experts, for the tokens of all ep / tp groups
        tokens = np.asarray(batch, dtype=np.float64) * (ep // tp)
        busiest = np.asarray(busiest_gpu_experts(model, tokens, ep))
        touched_share = busiest / (model.num_experts // ep)
        unread = c.routed / ep * (1.0 - touched_share) * per_weight / pp
    else:
        touched = np.asarray(experts_touched(model, batch))
        unread = c.routed * (1.0 - touched / model.num_experts) * per_weight / tp / pp
    out = read - unread
    return out if np.ndim(out) else float(out)
