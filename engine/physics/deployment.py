"""What is served, on what, and how: the input of every physics function.

A :class:`Deployment` is a model on a number of GPUs in a parallel layout, with its precisions, the
serving engine's settings (:class:`EngineSettings`), how far that engine falls short of the
roofline (:class:`Efficiency`), the modelling mode and the price of a GPU-hour. It holds no
workload: the static batch, and later the serving loads, are evaluated *on* a deployment
(:mod:`engine.scenario` pairs one with a workload). Everything is resolved: no field means "use the
default"; building one from loose user input is :func:`engine.scenario.resolve`'s job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from engine.errors import InputError
from engine.physics.arch import FlopCount
from engine.physics.specs import GPUSpec, ModelSpec

Mode = Literal["realistic", "ideal"]
MODES: tuple[str, ...] = ("realistic", "ideal")

#: Fields of :class:`Efficiency` that are fractions of a peak, in (0, 1].
FRACTION_FIELDS = ("compute", "memory", "attention", "attention_floor")
#: Fields of :class:`Efficiency` that are times, in seconds, in [0, 10).
TIME_FIELDS = (
    "attention_token_s",
    "step_overhead_s",
    "seq_overhead_s",
    "collective_latency_s",
    "eager_layer_s",
    "layer_overhead_s",
    "stage_hop_s",
    "request_overhead_s",
)


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
    CUDA graphs (``EngineSettings.graph_max_context`` and ``graph_max_tokens``), whose kernels
    are launched one by one. ``layer_overhead_s`` is a time per layer in every step, graphs or
    not (small kernels' launch and tail: llama.cpp's, fitted), and ``stage_hop_s`` a time per
    pipeline-stage boundary a step crosses beyond the link's own latency and bytes (the copy's
    synchronisation). Serving adds two: ``request_overhead_s`` before a request's first
    token (the HTTP front end, tokenisation, admission), and ``lockstep``, how far closed-loop
    requests of fixed lengths stay in the cohorts they started in (0: arrivals spread evenly; 1:
    each cohort is prefilled as a staircase, every round), which sets their time to first token.
    The ideal model is ``Efficiency()``: the roofline itself.

    What each factor is called where people meet it (flags, preset and profile keys, the app's
    fields, the fit) is :data:`engine.scenario.factors.FACTORS`.
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
    layer_overhead_s: float = 0.0
    stage_hop_s: float = 0.0
    request_overhead_s: float = 0.0
    lockstep: float = 0.0

    def __post_init__(self) -> None:
        for name in FRACTION_FIELDS:
            value = getattr(self, name)
            if not (_real(value) and 0 < value <= 1):
                raise InputError(f"{name} efficiency must be in (0, 1], got {value!r}")
        if not (_real(self.lockstep) and 0 <= self.lockstep <= 1):
            raise InputError(f"lockstep must be in [0, 1], got {self.lockstep!r}")
        if not (_real(self.attention_items) and 0 <= self.attention_items < 1e7):
            raise InputError(f"attention_items must be 0 or more, got {self.attention_items!r}")
        for name in TIME_FIELDS:
            value = getattr(self, name)
            if not (_real(value) and 0 <= value < 10):
                raise InputError(f"{name} must be between 0 and 10 seconds, got {value!r}")


def _real(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


IDEAL = Efficiency()

#: Hard limit on token counts in the engine settings (and the workloads).
MAX_TOKENS = 10_000_000


@dataclass(frozen=True)
class EngineSettings:
    """Settings of the serving engine that shape memory and scheduling (vLLM V0's defaults, the
    engine the article measured). Every one is a flag and a preset key
    (:data:`engine.scenario.factors.SETTINGS`)."""

    memory_utilization: float = 0.9  # vLLM --gpu-memory-utilization
    max_num_seqs: int = 256  # vLLM --max-num-seqs: the scheduler's cap on running sequences
    max_batched_tokens: int = 8192  # tokens per forward step (prefill chunk); sizes the workspace
    block_size: int = 16  # paged KV cache block, in tokens
    runtime_reserve_gib: float = 1.0  # CUDA context, cuBLAS/NCCL workspaces, CUDA graphs
    graph_max_context: int = 8192  # vLLM --max-seq-len-to-capture: longer decode steps run eagerly
    graph_max_tokens: int = MAX_TOKENS  # tokens per step CUDA graphs cover (vLLM V1: 512)
    chunked_prefill: bool = False  # prompts in chunks sharing steps with decode (else their own)
    kv_reserve: float = 0.5  # share of a request's output whose KV is reserved when it is admitted
    kv_of_free: bool = False  # memory_utilization is of what the weights leave (TensorRT-LLM)

    def __post_init__(self) -> None:
        if not (_real(self.memory_utilization) and 0 < self.memory_utilization <= 1):
            raise InputError(
                f"memory utilisation must be in (0, 1], got {self.memory_utilization!r}"
            )
        names = ("max_num_seqs", "max_batched_tokens", "block_size", "graph_max_context")
        for name in (*names, "graph_max_tokens"):
            value = getattr(self, name)
            if (
                not isinstance(value, int)
                or isinstance(value, bool)
                or not 1 <= value <= MAX_TOKENS
            ):
                raise InputError(f"{name} must be an integer from 1 to {MAX_TOKENS}, got {value!r}")
        if not (_real(self.runtime_reserve_gib) and 0 <= self.runtime_reserve_gib < 1e4):
            raise InputError(
                f"runtime reserve must be 0 or more GiB, got {self.runtime_reserve_gib!r}"
            )
        for flag in ("chunked_prefill", "kv_of_free"):
            if not isinstance(getattr(self, flag), bool):
                raise InputError(f"{flag} must be true or false, got {getattr(self, flag)!r}")
        if not (_real(self.kv_reserve) and 0 <= self.kv_reserve <= 1):
            raise InputError(f"kv_reserve must be in [0, 1], got {self.kv_reserve!r}")


@dataclass(frozen=True, kw_only=True)
class Deployment:
    """A model served on ``gpus`` GPUs: each replica is ``pp`` pipeline stages (consecutive
    layers) of a tensor-parallel group of ``tp`` GPUs; GPUs = TP x PP x replicas (the copies beyond
    the first are data parallelism). ``ep`` > 1 spreads a mixture of experts' routed experts over
    ``ep`` groups of the TP group's GPUs (expert parallelism: each GPU holds whole experts, tokens
    go to them by all-to-all) instead of slicing every expert over the group. Resolved and checked
    (see :func:`engine.scenario.resolve`).
    """

    model: ModelSpec
    gpu: GPUSpec
    gpus: int
    tp: int
    pp: int = 1
    ep: int = 1
    mode: Mode = "realistic"
    efficiency: Efficiency = IDEAL
    flop_count: FlopCount = "flash"
    weight_dtype: str = "bf16"
    kv_dtype: str = "bf16"
    price_per_gpu_hour: float = 0.0
    gamma: float = 0.3
    engine: EngineSettings = field(default_factory=EngineSettings)

    @property
    def replicas(self) -> int:
        """Independent copies of the model: GPUs beyond one TP group serve as data parallelism."""
        return self.gpus // (self.tp * self.pp)

    @property
    def gpus_per_replica(self) -> int:
        return self.tp * self.pp

    @property
    def price_per_second(self) -> float:
        """Dollars per second for all GPUs of the deployment."""
        return self.price_per_gpu_hour * self.gpus / 3600.0
