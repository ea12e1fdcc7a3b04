"""One table of the realistic factors and one of the engine settings: every place a person meets
one — a command-line flag, a preset or profile key, a field of the app, ``calibrate --factors``,
an error message — is derived from its row here. Adding a factor is one row (and its use in the
physics).

A row names the field of :class:`~engine.physics.deployment.Efficiency` (or
:class:`~engine.physics.deployment.EngineSettings`) in SI units, and the *key* people use, in the
unit they think in: ``step_overhead_ms`` is the field ``step_overhead_s`` shown in milliseconds.
The key is the profile files' TOML key and, with dashes, the flag (``--step-overhead-ms``). Inside
the engine values are SI (the loose input's ``factors`` are keyed by field): a front-end converts
what it reads with :meth:`Knob.to_si`, and :meth:`Knob.check` speaks the shown unit again when it
refuses one. A preset's ``[efficiency]`` table is keyed by the field itself, in SI units, because a
saved preset must read back bit for bit (a value scaled by 1e3 and back is not always the same
double).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import InputError
from engine.physics.deployment import MAX_TOKENS, Efficiency, EngineSettings


@dataclass(frozen=True)
class Knob:
    """One realistic factor or engine setting."""

    field: str  # the Efficiency / EngineSettings field (SI units)
    key: str  # TOML key and (with dashes) the flag; in the shown unit
    unit: str  # the shown unit, in words ("ms", "of peak")
    scale: float  # shown value = field value x scale
    low: float  # accepted range, in the shown unit
    high: float
    label: str  # the app's field label (at most 11 characters)
    help: str  # one sentence: flag help, the app's tooltip
    integer: bool = False
    boolean: bool = False  # on or off (low and high unused)
    low_open: bool = False  # (low, high] rather than [low, high]
    # The fit (realistic factors only):
    short: str = ""  # the name ``calibrate --factors`` takes
    fit_scale: float = 0.0  # typical size in SI units (0: a fraction, fitted as a logit)
    hint: str = ""  # what data pins it down (said when the data does not)

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    def shown(self, si_value: float) -> float:
        """The field's value in the shown unit."""
        return float(si_value) * self.scale

    def accepted(self, si_units: bool = False, kind: bool = False) -> str:
        """What is accepted, in words; ``kind`` says what kind of number (for a value that is
        not one)."""
        if self.boolean:
            return "on or off (true or false)"
        scale = self.scale if si_units else 1.0
        low, high = self.low / scale, self.high / scale
        unit = self.si_unit if si_units else self.unit
        unit = f" ({unit})" if unit else ""
        if self.low_open:
            return f"in ({_num(low)}, {_num(high)}]{unit}"
        noun = ("a whole number " if self.integer else "a number ") if kind else ""
        return f"{noun}from {_num(low)} to {_num(high)}{unit}"

    @property
    def si_unit(self) -> str:
        """The field's own unit, in words."""
        return "s" if self.field.endswith("_s") else self.unit

    def to_si(self, shown: float) -> float:
        """A value in the shown unit (a flag, a field of the app) in the field's SI unit."""
        return shown if self.integer or self.boolean else float(shown) / self.scale

    def check(self, value: object, term: str | None = None, si_units: bool = False) -> float | int:
        """``value`` (in the field's SI unit) if it is accepted, else :class:`InputError` saying
        what is accepted, in the shown unit (``si_units``: in the field's own, for files that give
        it so); ``term`` names where the value came from (the flag, the preset key, the app's field
        label; default: the flag)."""
        term = term or self.flag
        accepted = self.accepted(si_units)
        if self.boolean:
            if not isinstance(value, bool):
                raise InputError(f"{term} must be {accepted}, got {value!r}", field=self.key)
            return value
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or (self.integer and not float(value).is_integer())
        ):
            kind = self.accepted(si_units, kind=True)
            raise InputError(f"{term} must be {kind}, got {value!r}", field=self.key)
        shown = self.shown(value)
        low_ok = shown > self.low if self.low_open else shown >= self.low
        if not (low_ok and shown <= self.high * (1 + 1e-12)):
            got = _num(float(value) if si_units else shown)
            raise InputError(f"{term} must be {accepted}, got {got}", field=self.key)
        return int(value) if self.integer else float(value)


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


_SETUPS = "needs runs on several setups (model, GPU, TP)"

#: The realistic factors, in the order of :class:`Efficiency`'s fields.
FACTORS: tuple[Knob, ...] = (
    Knob(
        "compute",
        "compute_efficiency",
        "of peak",
        1.0,
        0.0,
        1.0,
        "compute",
        "fraction of the dense peak FLOP/s the matmuls reach",
        low_open=True,
        short="compute",
        hint="needs prefill-heavy runs (long prompts, large batches)",
    ),
    Knob(
        "memory",
        "memory_efficiency",
        "of peak",
        1.0,
        0.0,
        1.0,
        "memory",
        "fraction of the peak bandwidth weights and activations stream at",
        low_open=True,
        short="memory",
        hint=_SETUPS,
    ),
    Knob(
        "attention",
        "attention_efficiency",
        "of peak",
        1.0,
        0.0,
        1.0,
        "attention",
        "fraction of the peak bandwidth decode attention reads the KV cache at",
        low_open=True,
        short="attention",
        hint="needs long contexts at several batch sizes",
    ),
    Knob(
        "attention_token_s",
        "attention_token_ns",
        "ns per context token and layer",
        1e9,
        0.0,
        1e6,
        "attn ns",
        "decode attention time per context token per layer beyond its KV bytes, ns",
        short="attention_token",
        fit_scale=1e-9,
        hint="needs long contexts on models with different KV bytes per layer",
    ),
    Knob(
        "attention_items",
        "attention_items",
        "sequences for full attention speed",
        1.0,
        0.0,
        1e6,
        "attn seqs",
        "sequences in flight at which decode attention reaches full speed (0: always)",
        short="attention_items",
        fit_scale=10.0,
        hint="needs several batch sizes at long context",
    ),
    Knob(
        "attention_floor",
        "attention_floor",
        "of full attention speed",
        1.0,
        0.0,
        1.0,
        "attn floor",
        "the least share of full speed decode attention runs at, with one sequence",
        low_open=True,
        short="attention_floor",
        hint="needs batch-1 runs at long context",
    ),
    Knob(
        "step_overhead_s",
        "step_overhead_ms",
        "ms",
        1e3,
        0.0,
        1000.0,
        "step ms",
        "fixed time per forward step (scheduling, input preparation, launches), ms",
        short="step_overhead",
        fit_scale=1e-3,
        hint=_SETUPS,
    ),
    Knob(
        "seq_overhead_s",
        "seq_overhead_us",
        "us",
        1e6,
        0.0,
        1e5,
        "seq us",
        "CPU time per running sequence per step (sampling, output processing), us",
        short="seq_overhead",
        fit_scale=1e-4,
        hint="needs large batches of short requests",
    ),
    Knob(
        "collective_latency_s",
        "collective_latency_us",
        "us",
        1e6,
        0.0,
        1e5,
        "coll. us",
        "software latency per all-reduce beyond the link's hop latency, us",
        short="collective_latency",
        fit_scale=1e-5,
        hint=_SETUPS,
    ),
    Knob(
        "eager_layer_s",
        "eager_layer_us",
        "us per layer past the CUDA-graph context",
        1e6,
        0.0,
        1e5,
        "eager us",
        "time per layer of a decode step beyond the CUDA-graph context, us",
        short="eager_layer",
        fit_scale=1e-5,
        hint="needs decodes both below and beyond the CUDA-graph context",
    ),
    Knob(
        "layer_overhead_s",
        "layer_overhead_us",
        "us per layer per step",
        1e6,
        0.0,
        1e5,
        "layer us",
        "time per layer in every forward step beyond the roofline (kernel launches), us",
        short="layer_overhead",
        fit_scale=1e-5,
        hint="needs single-stream decodes of models with different layer counts",
    ),
    Knob(
        "stage_hop_s",
        "stage_hop_us",
        "us per pipeline-stage boundary",
        1e6,
        0.0,
        1e6,
        "hop us",
        "time per pipeline-stage boundary a step crosses, beyond the link's latency, us",
        short="stage_hop",
        fit_scale=1e-3,
        hint="needs runs split over pipeline stages (--pp)",
    ),
    Knob(
        "request_overhead_s",
        "request_overhead_ms",
        "ms",
        1e3,
        0.0,
        10_000.0,
        "request ms",
        "time before a request's first token beyond its prefill (HTTP, tokenisation), ms",
        short="request_overhead",
        fit_scale=1e-2,
        hint="needs measured times to first token (serving runs)",
    ),
    Knob(
        "lockstep",
        "lockstep",
        "of the cohort bound",
        1.0,
        0.0,
        1.0,
        "lockstep",
        "how far closed-loop requests of fixed lengths stay in cohorts (0: spread out)",
        short="lockstep",
        hint="needs times to first token of closed-loop runs at several concurrencies",
    ),
)

#: Which undetermined factor a fit holds first (short names): weight streaming has a good prior
#: (STREAM-like copies reach ~90% of the datasheet bandwidth), and so has the KV stream of
#: attention at full parallelism (the same copy); the attention ramp, the eager-mode launches and
#: the per-sequence overhead are refinements; the fixed step overhead and compute are held last.
HOLD_ORDER: tuple[str, ...] = (
    "memory",
    "attention",
    "attention_floor",
    "attention_items",
    "attention_token",
    "eager_layer",
    "stage_hop",
    "layer_overhead",
    "seq_overhead",
    "lockstep",
    "request_overhead",
    "collective_latency",
    "step_overhead",
    "compute",
)

#: The engine settings, in the order of :class:`EngineSettings`' fields.
SETTINGS: tuple[Knob, ...] = (
    Knob(
        "memory_utilization",
        "memory_utilization",
        "of GPU memory",
        1.0,
        0.0,
        1.0,
        "mem util",
        "fraction of GPU memory the server may use (vLLM --gpu-memory-utilization)",
        low_open=True,
    ),
    Knob(
        "max_num_seqs",
        "max_num_seqs",
        "sequences",
        1.0,
        1,
        MAX_TOKENS,
        "max seqs",
        "scheduler cap on running sequences (vLLM --max-num-seqs)",
        integer=True,
    ),
    Knob(
        "max_batched_tokens",
        "max_batched_tokens",
        "tokens",
        1.0,
        1,
        MAX_TOKENS,
        "step tokens",
        "tokens per forward step: the prefill chunk, which sizes the workspace",
        integer=True,
    ),
    Knob(
        "block_size",
        "block_size",
        "tokens",
        1.0,
        1,
        MAX_TOKENS,
        "block",
        "paged KV-cache block: sequences are allotted whole blocks",
        integer=True,
    ),
    Knob(
        "runtime_reserve_gib",
        "runtime_reserve_gib",
        "GiB",
        1.0,
        0.0,
        9999.0,
        "reserve GiB",
        "memory kept for the runtime (CUDA context, library workspaces, CUDA graphs), GiB",
    ),
    Knob(
        "graph_max_context",
        "graph_max_context",
        "tokens",
        1.0,
        1,
        MAX_TOKENS,
        "graph ctx",
        "longest context decoded in CUDA graphs (vLLM --max-seq-len-to-capture)",
        integer=True,
    ),
    Knob(
        "graph_max_tokens",
        "graph_max_tokens",
        "tokens",
        1.0,
        1,
        MAX_TOKENS,
        "graph tok",
        "most tokens in a step that CUDA graphs cover (vLLM V1: 512); larger steps run eagerly",
        integer=True,
    ),
    Knob(
        "chunked_prefill",
        "chunked_prefill",
        "",
        1.0,
        0,
        1,
        "chunked",
        "prompts prefilled in chunks that share steps with decode (off: steps of their own)",
        boolean=True,
    ),
    Knob(
        "kv_reserve",
        "kv_reserve",
        "of the output",
        1.0,
        0.0,
        1.0,
        "kv reserve",
        "share of a request's output whose KV cache is reserved when it is admitted",
    ),
    Knob(
        "kv_of_free",
        "kv_of_free",
        "",
        1.0,
        0,
        1,
        "kv of free",
        "the memory utilisation is a share of the memory the weights and workspace leave, as "
        "TensorRT-LLM's kv_cache_free_gpu_mem_fraction (off: of the whole GPU, as vLLM's)",
        boolean=True,
    ),
)

FACTOR_BY_KEY = {k.key: k for k in FACTORS}
FACTOR_BY_FIELD = {k.field: k for k in FACTORS}
FACTOR_BY_SHORT = {k.short: k for k in FACTORS}
SETTING_BY_KEY = {k.key: k for k in SETTINGS}


def _check_tables() -> None:
    """The tables cover the dataclasses exactly (a new field without a row fails at import)."""
    from dataclasses import fields

    assert [k.field for k in FACTORS] == [f.name for f in fields(Efficiency)]
    assert [k.field for k in SETTINGS] == [f.name for f in fields(EngineSettings)]
    assert sorted(HOLD_ORDER) == sorted(k.short for k in FACTORS)


_check_tables()


SETTING_BY_FIELD = {k.field: k for k in SETTINGS}
