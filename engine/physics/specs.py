"""Frozen descriptions of a model and a GPU, as read from the catalog TOML files.

Units inside the engine are SI: bytes, seconds, FLOP/s, bytes/s. The TOML files use the units of
the datasheets (GiB, GB/s, TFLOP/s, microseconds) and are converted once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import InputError

GIB = 1024**3

#: Bytes per element of each precision the engine knows.
DTYPE_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}
WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4")
KV_DTYPES = ("fp32", "bf16", "fp16", "fp8")
#: Precisions a GPU can list a dense peak for.
PEAK_PRECISIONS = ("fp32", "bf16", "fp16", "fp8", "int8")


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer (Llama / Mistral / Qwen2 layout: GQA attention, SwiGLU MLP).

    Mixture-of-experts: ``num_experts`` expert MLPs of ``moe_intermediate_size`` each, of which
    ``experts_per_token`` run for every token. A dense model has one expert, always active.
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
    def q_dim(self) -> int:
        return self.num_attention_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.num_key_value_heads * self.head_dim


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

        fp8 and int8 weights use the GPU's fp8/int8 tensor cores where it has them (W8A8);
        otherwise, and always for int4, weights are dequantised and the math runs in 16 bits
        (weight-only quantisation, as Marlin or GGUF kernels do).
        """
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
