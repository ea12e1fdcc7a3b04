"""Frozen descriptions of a model and a GPU, as read from the catalog TOML files.

Units inside the engine are SI: bytes, seconds, FLOP/s, bytes/s. The TOML files use the units of
the datasheets (GiB, GB/s, TFLOP/s, microseconds) and are converted once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InputError

GIB = 1024**3

#: GGUF's quantised block types (ggml's block layouts): weights per block and bytes per block,
#: scales included. q4_0: an f16 scale and 32 4-bit weights (2 + 16 bytes); q8_0: an f16 scale
#: and 32 int8 (2 + 32); the k-quants group 256 weights in a super-block: q4_K an f16 scale and
#: min, 12 bytes of 6-bit sub-block scales and mins, 128 bytes of 4-bit weights (4 + 12 + 128);
#: q5_K the same with 32 bytes of fifth bits (4 + 12 + 32 + 128); q6_K 128 bytes of low 4 bits,
#: 64 of high 2 bits, 16 int8 sub-block scales and an f16 scale (128 + 64 + 16 + 2).
GGUF_BLOCKS: dict[str, tuple[int, int]] = {
    "q4_0": (32, 18),
    "q8_0": (32, 34),
    "q4_K": (256, 144),
    "q5_K": (256, 176),
    "q6_K": (256, 210),
}


def gguf_bytes(block: str) -> float:
    weights, size = GGUF_BLOCKS[block]
    return size / weights


#: A GGUF file type (llama.cpp's ftype) as the block type of each kind of tensor: (most matmuls,
#: attn_v and ffn_down where llama.cpp gives them more bits or None, the token embedding, the
#: output layer). Q4_K_M and Q5_K_M put attn_v and ffn_down of the first and last eighth of the
#: layers and of every third layer between in q6_K ("use_more_bits"); the output layer is q6_K
#: unless the type is q8_0 (llama.cpp's llama_tensor_get_type).
GGUF_TYPES: dict[str, tuple[str, str | None, str, str]] = {
    "q4_0": ("q4_0", None, "q4_0", "q6_K"),
    "q4_k_m": ("q4_K", "q6_K", "q4_K", "q6_K"),
    "q5_k_m": ("q5_K", "q6_K", "q5_K", "q6_K"),
    "q6_k": ("q6_K", None, "q6_K", "q6_K"),
    "q8_0": ("q8_0", None, "q8_0", "q8_0"),
}

#: Bytes per element of each precision the engine knows (a GGUF type: its main block type's).
#: fp4 is NVFP4: 16 4-bit (E2M1) weights share an FP8 (E4M3) scale: 4 + 8/16 = 4.5 bits;
#: mxfp4 (OCP MX, gpt-oss's checkpoints) 32 weights an 8-bit (E8M0) scale: 4.25 bits.
DTYPE_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 4.5 / 8,
    "mxfp4": 4.25 / 8,
    **{t: gguf_bytes(blocks[0]) for t, blocks in GGUF_TYPES.items()},
}
WEIGHT_DTYPES = (
    "fp32",
    "bf16",
    "fp16",
    "fp8",
    "int8",
    "int4",
    "fp4",
    "mxfp4",
    *GGUF_TYPES,
)
#: The KV cache: llama.cpp also stores it in q8_0 or q4_0 blocks (``--cache-type-k/-v``).
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8", "q8_0", "q4_0")
#: Other names of the same precisions (as llama.cpp, Hugging Face or NVIDIA write them).
DTYPE_ALIASES: dict[str, str] = {
    "f16": "fp16",
    "float16": "fp16",
    "f32": "fp32",
    "float32": "fp32",
    "bfloat16": "bf16",
    "nvfp4": "fp4",
    "q4_k": "q4_k_m",
    "q5_k": "q5_k_m",
}


def canonical_dtype(name: str) -> str:
    """A precision as the engine names it: 'F16' -> 'fp16', 'Q4_K_M' -> 'q4_k_m', 'NVFP4' ->
    'fp4'; an unknown name is returned lowercased (the caller refuses it with the list)."""
    low = name.strip().lower()
    return DTYPE_ALIASES.get(low, low)


#: Precisions a GPU can list a dense peak for.
PEAK_PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "fp4", "int8")


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer (Llama / Mistral / Qwen2 layout: GQA attention, SwiGLU MLP).

    Mixture-of-experts: ``num_experts`` routed expert MLPs of ``moe_intermediate_size`` each, of
    which ``experts_per_token`` run for every token, beside ``shared_expert_size`` of always-active
    shared expert width (DeepSeek: n_shared_experts x moe_intermediate_size; Qwen2-MoE:
    shared_expert_intermediate_size); the first ``dense_layers`` layers keep a dense MLP of
    ``intermediate_size`` (DeepSeek's first_k_dense_replace). ``router_bias``: the gate has a bias
    per expert (gpt-oss; DeepSeek's e_score_correction_bias); ``mlp_bias``: every expert's
    projections have biases (gpt-oss). A dense model has one expert, always active.

    Multi-head latent attention (DeepSeek-V2/V3), when ``kv_lora_rank`` > 0: queries through a
    ``q_lora_rank`` bottleneck, keys and values cached as one ``kv_lora_rank`` latent plus a
    ``qk_rope_head_dim`` rotary key per token and layer; ``head_dim`` is the query/key head width
    (nope + rope), ``v_head_dim`` the value head's.
    """

    id: str
    name: str
    hidden_size: int
    num_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tie_word_embeddings: bool
    max_context: int
    family: str = "llama"
    attention_bias: bool = False
    dtype: str = "bf16"
    num_experts: int = 1
    experts_per_token: int = 1
    moe_intermediate_size: int = 0
    shared_expert_size: int = 0
    dense_layers: int = 0
    router_bias: bool = False
    mlp_bias: bool = False
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    aliases: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        positive = (
            "hidden_size",
            "num_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "head_dim",
            "intermediate_size",
            "vocab_size",
            "max_context",
            "num_experts",
            "experts_per_token",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(
                    f"model {self.id!r}: {name} must be a positive integer, got {value!r}"
                )
        counts = (
            "moe_intermediate_size",
            "shared_expert_size",
            "dense_layers",
            "kv_lora_rank",
            "q_lora_rank",
            "qk_rope_head_dim",
            "v_head_dim",
        )
        for name in counts:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise InputError(
                    f"model {self.id!r}: {name} must be a whole number, 0 or more, got {value!r}"
                )
        if self.dense_layers > self.num_layers:
            raise InputError(
                f"model {self.id!r}: dense_layers ({self.dense_layers}) exceeds num_layers "
                f"({self.num_layers})"
            )
        if self.kv_lora_rank and not (
            0 < self.qk_rope_head_dim < self.head_dim and self.v_head_dim
        ):
            raise InputError(
                f"model {self.id!r}: latent attention (kv_lora_rank) needs qk_rope_head_dim "
                f"below head_dim ({self.head_dim}) and a v_head_dim"
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise InputError(
                f"model {self.id!r}: num_attention_heads ({self.num_attention_heads}) must be a "
                f"multiple of num_key_value_heads ({self.num_key_value_heads})"
            )
        if self.experts_per_token > self.num_experts:
            raise InputError(
                f"model {self.id!r}: experts_per_token ({self.experts_per_token}) exceeds "
                f"num_experts ({self.num_experts})"
            )
        if canonical_dtype(self.dtype) != self.dtype:
            object.__setattr__(self, "dtype", canonical_dtype(self.dtype))
        if self.dtype not in WEIGHT_DTYPES:
            raise InputError(
                f"model {self.id!r}: dtype {self.dtype!r} is not one of {', '.join(WEIGHT_DTYPES)}"
            )

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 1

    @property
    def expert_intermediate_size(self) -> int:
        """Width of one expert's MLP (the dense MLP width for a dense model)."""
        if self.is_moe and self.moe_intermediate_size:
            return self.moe_intermediate_size
        return self.intermediate_size

    @property
    def is_mla(self) -> bool:
        """Multi-head latent attention: a compressed KV cache (DeepSeek)."""
        return self.kv_lora_rank > 0

    @property
    def moe_layers(self) -> int:
        """Layers whose MLP is the routed experts (all but the dense ones)."""
        return self.num_layers - self.dense_layers if self.is_moe else 0

    @property
    def q_dim(self) -> int:
        return self.num_attention_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        """Width of one token's keys (and, but for MLA, values) in one layer: GQA's KV heads x
        head_dim; MLA's decompressed keys (all heads)."""
        return self.num_key_value_heads * self.head_dim

    @property
    def attn_out_dim(self) -> int:
        """Width of one token's attention output in one layer (o_proj's input)."""
        return self.num_attention_heads * (self.v_head_dim or self.head_dim)

    @property
    def qkv_width(self) -> int:
        """Elements of one token's q, k and v projections' outputs in one layer (MLA: the query
        bottleneck, the queries, the latent and rotary key, the decompressed keys and values)."""
        if not self.is_mla:
            return self.q_dim + 2 * self.kv_dim
        nope = self.head_dim - self.qk_rope_head_dim
        decompressed = self.num_attention_heads * (nope + self.v_head_dim)
        return self.q_lora_rank + self.q_dim + self.kv_cache_width + decompressed

    @property
    def mlp_active_width(self) -> int:
        """Intermediate width one token's MLP runs in a MoE layer (its experts and the shared
        one), or the dense MLP's."""
        if not self.is_moe:
            return self.intermediate_size
        return self.expert_intermediate_size * self.experts_per_token + self.shared_expert_size

    @property
    def kv_cache_width(self) -> int:
        """Elements one token caches per layer (all GPUs of a TP group together): K and V over the
        KV heads; for MLA the latent and the rotary key, shared by all heads."""
        if self.is_mla:
            return self.kv_lora_rank + self.qk_rope_head_dim
        return 2 * self.kv_dim


@dataclass(frozen=True)
class Interconnect:
    """The GPU-to-GPU link used by tensor-parallel collectives."""

    kind: str
    bandwidth: float  # bytes/s per direction per GPU
    latency: float  # seconds per hop of a ring collective
    max_gpus: int  # GPUs reachable over this link (one NVLink domain); beyond: the network


#: Used when tensor parallelism spans more GPUs than one link domain holds: one 400 Gb/s
#: InfiniBand NDR port per GPU (50 GB/s per direction) and ~5 us per hop.
NETWORK = Interconnect(kind="InfiniBand NDR 400G", bandwidth=50e9, latency=5e-6, max_gpus=1 << 30)


@dataclass(frozen=True)
class GPUSpec:
    id: str
    name: str
    memory_bytes: float
    memory_bandwidth: float  # bytes/s
    peak_flops: dict[str, float]  # dense FLOP/s per precision
    interconnect: Interconnect
    price_per_hour: float
    vendor: str = ""
    max_memory_fraction: float = 1.0
    aliases: tuple[str, ...] = ()
    source: str = ""
    notes: dict[str, str] = field(default_factory=dict)

    def __hash__(self) -> int:
        """By value, like the other frozen specs (the precision and note tables are dicts)."""
        return hash(
            (
                self.id,
                self.name,
                self.memory_bytes,
                self.memory_bandwidth,
                tuple(sorted(self.peak_flops.items())),
                self.interconnect,
                self.price_per_hour,
                self.vendor,
                self.max_memory_fraction,
                self.aliases,
                self.source,
                tuple(sorted(self.notes.items())),
            )
        )

    def __post_init__(self) -> None:
        for name in ("memory_bytes", "memory_bandwidth"):
            value = getattr(self, name)
            if not value > 0:
                raise InputError(f"gpu {self.id!r}: {name} must be positive, got {value!r}")
        if not self.peak_flops:
            raise InputError(f"gpu {self.id!r}: peak_tflops lists no precision")
        for precision, value in self.peak_flops.items():
            if precision not in PEAK_PRECISIONS:
                raise InputError(
                    f"gpu {self.id!r}: peak_tflops.{precision} is not one of "
                    f"{', '.join(PEAK_PRECISIONS)}"
                )
            if not value > 0:
                raise InputError(f"gpu {self.id!r}: peak_tflops.{precision} must be positive")
        if self.price_per_hour < 0:
            raise InputError(f"gpu {self.id!r}: price_per_hour must not be negative")
        if not 0 < self.max_memory_fraction <= 1:
            raise InputError(f"gpu {self.id!r}: max_memory_fraction must be in (0, 1]")

    @property
    def supported_precisions(self) -> tuple[str, ...]:
        return tuple(p for p in PEAK_PRECISIONS if p in self.peak_flops)

    def compute_precision(self, weight_dtype: str) -> str:
        """The precision the matmuls run in for weights stored as ``weight_dtype``.

        fp8, int8 and fp4 weights use the GPU's tensor cores of that precision where it has them
        (activations quantised too: W8A8, NVFP4 W4A4; mxfp4 runs on fp4 tensor cores); GGUF types
        run llama.cpp's quantised kernels, which quantise the activations to 8 bits and use the
        int8 tensor cores (MMQ) where the GPU has them. Otherwise, and always for int4, weights
        are dequantised and the math runs in 16 bits (weight-only quantisation, W4A16: Marlin,
        GGUF on Metal).
        """
        if weight_dtype in GGUF_TYPES:
            weight_dtype = "int8"
        elif weight_dtype == "mxfp4":
            weight_dtype = "fp4"
        if weight_dtype in self.peak_flops:
            return weight_dtype
        for fallback in ("bf16", "fp16", "fp32"):
            if fallback in self.peak_flops:
                return fallback
        return next(iter(self.peak_flops))  # pragma: no cover - peak_flops is never empty

    def peak(self, weight_dtype: str) -> float:
        return self.peak_flops[self.compute_precision(weight_dtype)]

    def machine_balance(self, weight_dtype: str = "bf16") -> float:
        """FLOPs per byte read at full speed: above this arithmetic intensity, compute binds."""
        return self.peak(weight_dtype) / self.memory_bandwidth
