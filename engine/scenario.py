"""A what-if scenario: model, hardware, workload and the modelling choices, in one frozen value.

:class:`Scenario` is immutable; derive variants with :func:`dataclasses.replace`. Everything a
result depends on is in it, resolved (no "use the default" left open), so that it can be shown,
saved and compared. :func:`make_scenario` builds one from loose user input and refuses bad input
with an :class:`InputError` that says what is accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from engine.arch import FLOP_COUNTS, FlopCount, check_dtype, check_tp
from engine.errors import InputError
from engine.specs import KV_DTYPES, WEIGHT_DTYPES, GPUSpec, ModelSpec

Mode = Literal["realistic", "ideal"]
MODES: tuple[str, ...] = ("realistic", "ideal")

DEFAULT_BATCHES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
#: Hard limits that keep the arithmetic meaningful; beyond them the input is refused.
MAX_TOKENS = 10_000_000
MAX_BATCH = 1_000_000
MAX_GPUS = 4096


@dataclass(frozen=True)
class Efficiency:
    """How far a real serving engine falls short of the roofline.

    ``compute`` scales the dense peak FLOP/s (matmuls); ``memory`` the bandwidth at which weights
    and activations stream. Decode attention is a kernel of its own: per context position of every
    sequence it reads the KV cache at ``attention`` x the bandwidth and spends
    ``attention_token_s`` in every layer beyond that (looking the paged blocks up, the softmax);
    it runs at that full speed only with ``attention_items`` sequences in flight, proportionally
    slower with fewer, but never slower than ``attention_floor`` of it (split-KV kernels spread
    even one sequence over the GPU; 0 items means always at full speed). The overheads are added
    to every forward step: a fixed part (kernel launches, scheduling), a part per running sequence
    (sampling, output processing on the CPU), a latency per all-reduce on top of the link's own hop
    latency, and ``eager_layer_s`` per layer in decode steps longer than the engine captures in
    CUDA graphs (``Serving.graph_max_context``), whose kernels are launched one by one. The ideal
    model is ``Efficiency()``: the roofline itself.
    """

    compute: float = 1.0
    memory: float = 1.0
    attention: float = 1.0
    attention_token_s: float = 0.0
    attention_items: float = 0.0
    attention_floor: float = 1.0
    step_overhead_s: float = 0.0
    seq_overhead_s: float = 0.0
    collective_latency_s: float = 0.0
    eager_layer_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("compute", "memory", "attention", "attention_floor"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 < value <= 1):
                raise InputError(f"{name} efficiency must be in (0, 1], got {value!r}")
        if not (isinstance(self.attention_items, int | float) and 0 <= self.attention_items < 1e7):
            raise InputError(f"attention_items must be 0 or more, got {self.attention_items!r}")
        for name in (
            "attention_token_s",
            "step_overhead_s",
            "seq_overhead_s",
            "collective_latency_s",
            "eager_layer_s",
        ):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < 10 and math.isfinite(value)):
                raise InputError(f"{name} must be between 0 and 10 seconds, got {value!r}")


IDEAL = Efficiency()


@dataclass(frozen=True)
class Serving:
    """Settings of the serving engine (vLLM's defaults) that shape memory and scheduling."""

    memory_utilization: float = 0.9  # vLLM --gpu-memory-utilization
    max_num_seqs: int = 256  # vLLM --max-num-seqs: the scheduler's cap on running sequences
    max_batched_tokens: int = 8192  # tokens per forward step (prefill chunk); sizes the workspace
    block_size: int = 16  # paged KV cache block, in tokens
    runtime_reserve_gib: float = 1.0  # CUDA context, cuBLAS/NCCL workspaces, CUDA graphs
    graph_max_context: int = 8192  # vLLM --max-seq-len-to-capture: longer decode steps run eagerly

    def __post_init__(self) -> None:
        if not (
            isinstance(self.memory_utilization, int | float) and 0 < self.memory_utilization <= 1
        ):
            raise InputError(
                f"memory utilisation must be in (0, 1], got {self.memory_utilization!r}"
            )
        for name in ("max_num_seqs", "max_batched_tokens", "block_size", "graph_max_context"):
            value = getattr(self, name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 1 <= value <= MAX_TOKENS
            ):
                raise InputError(f"{name} must be an integer from 1 to {MAX_TOKENS}, got {value!r}")
        if not (0 <= self.runtime_reserve_gib < 1e4):
            raise InputError(
                f"runtime reserve must be 0 or more GiB, got {self.runtime_reserve_gib!r}"
            )


@dataclass(frozen=True)
class Scenario:
    model: ModelSpec
    gpu: GPUSpec
    gpus: int
    tp: int
    input_tokens: int
    output_tokens: int
    batch_sizes: tuple[int, ...] = DEFAULT_BATCHES
    mode: Mode = "realistic"
    efficiency: Efficiency = IDEAL
    flop_count: FlopCount = "flash"
    weight_dtype: str = "bf16"
    kv_dtype: str = "bf16"
    price_per_gpu_hour: float = 0.0
    gamma: float = 0.3
    serving: Serving = field(default_factory=Serving)

    @property
    def replicas(self) -> int:
        """Independent copies of the model: GPUs beyond one TP group serve as data parallelism."""
        return self.gpus // self.tp

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def price_per_second(self) -> float:
        """Dollars per second for all GPUs of the scenario."""
        return self.price_per_gpu_hour * self.gpus / 3600.0


def batch_ladder(top: int) -> tuple[int, ...]:
    """Powers of two below ``top``, then ``top``: what a maximum batch size stands for."""
    out, b = [], 1
    while b < top:
        out.append(b)
        b *= 2
    return (*out, top)


def parse_batch_sizes(text: str) -> tuple[int, ...]:
    """'1,2,8' as a list, or a maximum '512' ('max:512' too) as :func:`batch_ladder`.
    Refused with an :class:`InputError` that says what is accepted."""
    text = text.strip()
    try:
        if "," in text:
            values = [int(part) for part in text.split(",") if part.strip()]
        else:
            values = list(batch_ladder(int(text.removeprefix("max:"))))
    except ValueError:
        raise InputError(
            f"invalid batch sizes {text!r}: give whole numbers like 1,2,4,8 or a maximum like 512"
        ) from None
    if not values or min(values) < 1 or max(values) > MAX_BATCH:
        raise InputError(f"batch sizes must be from 1 to {MAX_BATCH:,}, got {text!r}")
    if len(values) > 64:
        raise InputError("at most 64 batch sizes")
    return tuple(sorted(set(values)))


def format_batch_sizes(batches: tuple[int, ...]) -> str:
    """The shortest text :func:`parse_batch_sizes` reads back as ``batches``."""
    if batch_ladder(batches[-1]) == batches:
        return str(batches[-1])
    return ",".join(map(str, batches))


def _int(value: object, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{what} must be from {low} to {high}, got {value}")
    return value


def _number(value: object, what: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{what} must be a number from {low:g} to {high:g}, got {value!r}")
    if not low <= value <= high:
        raise InputError(f"{what} must be from {low:g} to {high:g}, got {value:g}")
    return float(value)


def make_scenario(
    model: ModelSpec,
    gpu: GPUSpec,
    *,
    gpus: int = 1,
    tp: int | None = None,
    input_tokens: int = 2035,
    output_tokens: int = 300,
    batch_sizes: tuple[int, ...] | list[int] = DEFAULT_BATCHES,
    mode: str = "realistic",
    efficiency: Efficiency | None = None,
    flop_count: str | None = None,
    weight_dtype: str | None = None,
    kv_dtype: str = "bf16",
    price_per_gpu_hour: float | None = None,
    gamma: float = 0.3,
    serving: Serving | None = None,
) -> Scenario:
    """Check loose input and resolve every default. ``None`` means: the mode's or the catalog's."""
    gpus = _int(gpus, "number of GPUs", 1, MAX_GPUS)
    tp = gpus if tp is None else _int(tp, "tensor-parallel degree", 1, MAX_GPUS)
    if gpus % tp:
        raise InputError(
            f"{gpus} GPUs cannot be split into tensor-parallel groups of {tp} "
            f"(GPUs must be a multiple of TP; the groups beyond the first are replicas)"
        )
    check_tp(model, tp)
    input_tokens = _int(input_tokens, "input tokens", 1, MAX_TOKENS)
    output_tokens = _int(output_tokens, "output tokens", 1, MAX_TOKENS)
    if input_tokens + output_tokens > model.max_context:
        raise InputError(
            f"input + output tokens ({input_tokens + output_tokens:,}) exceed the "
            f"{model.max_context:,}-token context of {model.id}"
        )
    if not isinstance(batch_sizes, tuple | list) or not batch_sizes:
        raise InputError("batch sizes must be a non-empty list of whole numbers, e.g. 1,2,4,8")
    batches = tuple(sorted({_int(b, "batch size", 1, MAX_BATCH) for b in batch_sizes}))
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (accepted: {', '.join(MODES)})")
    if efficiency is None:
        from engine.profiles import default_efficiency

        efficiency = IDEAL if mode == "ideal" else default_efficiency()
    if flop_count is None:
        flop_count = "article" if mode == "ideal" else "flash"
    if flop_count not in FLOP_COUNTS:
        raise InputError(f"unknown FLOP count {flop_count!r} (accepted: {', '.join(FLOP_COUNTS)})")
    weight_dtype = weight_dtype or model.dtype
    check_dtype(weight_dtype, WEIGHT_DTYPES, "weight precision")
    check_dtype(kv_dtype, KV_DTYPES, "KV-cache precision")
    price = gpu.price_per_hour if price_per_gpu_hour is None else price_per_gpu_hour
    price = _number(price, "price per GPU-hour", 0.0, 1e6)
    gamma = _number(gamma, "gamma (input/output cost ratio)", 0.0, 1e3)
    return Scenario(
        model=model,
        gpu=gpu,
        gpus=gpus,
        tp=tp,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        batch_sizes=batches,
        mode=mode,  # type: ignore[arg-type]
        efficiency=efficiency,
        flop_count=flop_count,  # type: ignore[arg-type]
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        price_per_gpu_hour=price,
        gamma=gamma,
        serving=serving or Serving(),
    )


def with_mode(scenario: Scenario, mode: str) -> Scenario:
    """The same scenario under the other mode, with that mode's efficiency and FLOP count."""
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (accepted: {', '.join(MODES)})")
    from engine.profiles import default_efficiency

    return replace(
        scenario,
        mode=mode,  # type: ignore[arg-type]
        efficiency=IDEAL if mode == "ideal" else default_efficiency(),
        flop_count="article" if mode == "ideal" else "flash",
    )
