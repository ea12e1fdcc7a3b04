"""Measured benchmark results, read into one shape for comparison and calibration.

A :class:`Measurement` is one file: what was run (model name as recorded, hardware if recorded),
what kind of measurement it is, and its points. A :class:`Point` is one measured run and keeps
what was measured, in SI units:

``static-batch``
    B requests arrive together and run to the end (the tokenomics seed's JSON: whole requests,
    output tokens/s of the batch; llama-bench: one sequence, a ``pp`` test is a prefill of
    ``n_prompt`` tokens, a ``tg`` test ``n_gen`` decode steps, after ``n_depth`` tokens of context).
``serving``
    requests arrive continuously at a fixed concurrency or request rate (NIM's CSV,
    ``vllm bench serve``): TTFT, inter-token latency, output throughput.
``single-request``
    one request on its own (an Ollama response): prefill and decode speed.

The importers (one module per format in :mod:`engine.measure.formats`, detected from the content
by :mod:`engine.measure.detect`) refuse a file they cannot read with an :class:`InputError` that
names the file and what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.errors import InputError
from engine.physics.deployment import MAX_TOKENS
from engine.scenario.axes import MAX_BATCH, MAX_REQUESTS

Kind = Literal["static-batch", "serving", "single-request"]
KINDS: tuple[str, ...] = ("static-batch", "serving", "single-request")
Phase = Literal["prefill+decode", "prefill", "decode"]

#: What each measured quantity means, in the order a point lists them. Which of them the engine
#: predicts, for which kind of measurement, is :data:`engine.measure.predict.PREDICTORS`.
METRICS: dict[str, str] = {
    "total_tokens_per_s": "output tokens of the whole batch / its wall time",
    "prefill_tokens_per_s": "prompt tokens / prefill time",
    "decode_tokens_per_s": "generated tokens / decode time, per sequence (1 / time per token)",
    "tokens_per_s": "(prompt + generated tokens) / wall time (llama-bench prompt+gen tests)",
    "per_request_tokens_per_s": "mean over requests of output tokens / own latency",
    "ttft_s": "mean time to first token, seconds",
    "tpot_s": "mean time per output token after the first, seconds",
    "itl_s": "mean inter-token latency, seconds",
    "output_tokens_per_s": "serving: output tokens/s of the whole system",
    "requests_per_s": "serving: requests completed per second",
    "total_token_throughput": "serving: (input + output) tokens/s of the whole system",
    "single_stream_tokens_per_s": "one request's decode speed (1 / time per output token)",
}


@dataclass(frozen=True)
class TableRow:
    """What a row of a table of measurements (one number a row) says about its own setup."""

    table: str  # the source's title: rows are grouped by it
    source: str
    engine: str
    engine_version: str
    model: str
    precision: str
    gpu: str
    num_gpus: int | None
    tp: int | None
    pp: int | None
    load: str  # as the table words it
    metric: str  # the table's name of the quantity
    notes: str
    lengths_stated: bool = True


@dataclass(frozen=True)
class Point:
    """One measured run. Token counts are per request (means where the file averages them);
    the measured quantities a kind does not record are ``None``.

    ``context_tokens`` were already in the KV cache before the measured phase (llama-bench's
    ``n_depth``); a ``decode`` point's decode starts after ``context_tokens + input_tokens``.
    """

    batch: int  # requests run together (a static batch; 1 for one request; serving: concurrency)
    input_tokens: float
    output_tokens: float
    elapsed_s: float | None = None  # wall time of the whole batch
    total_tokens_per_s: float | None = None  # output tokens of the batch / elapsed
    per_request_tokens_per_s: float | None = None
    phase: Phase = "prefill+decode"
    context_tokens: float = 0.0
    prefill_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None  # per sequence
    tokens_per_s: float | None = None  # (prompt + generated) / elapsed: llama-bench pg tests
    ttft_s: float | None = None  # serving: mean time to first token
    tpot_s: float | None = None  # serving: mean time per output token after the first
    itl_s: float | None = None  # serving: mean inter-token latency
    concurrency: int | None = None  # serving: requests in flight (closed loop)
    request_rate: float | None = None  # serving: requests/s offered (inf: all at once)
    num_requests: int | None = None  # serving: requests in the run (a rate's length)
    offline: bool = False  # serving: every request queued at t = 0, the engine's own batch
    output_tokens_per_s: float | None = None  # serving: whole system
    requests_per_s: float | None = None
    total_token_throughput: float | None = None  # serving: (input + output) tokens/s
    single_stream_tokens_per_s: float | None = None
    line: int | None = None  # the line of the file it was read from (a table of rows)
    row: TableRow | None = None  # a table's row: its own model, GPU, layout, engine

    def measured(self) -> dict[str, float]:
        """Every quantity this point measured, in the order of :data:`METRICS`."""
        return {n: v for n in METRICS if (v := getattr(self, n)) is not None}

    @property
    def label(self) -> str:
        """A short description for tables: 'pp512', 'tg128 @ d4096', 'B=8 2035/300'."""
        depth = f" @ d{self.context_tokens:.0f}" if self.context_tokens else ""
        if self.phase == "prefill":
            return f"pp{self.input_tokens:.0f}{depth}"
        if self.phase == "decode" and not self.input_tokens:
            return f"tg{self.output_tokens:.0f}{depth}"
        return f"B={self.batch} {self.input_tokens:.0f}/{self.output_tokens:.0f}{depth}"


#: Lengths of a request, in tokens: 0 or more (llama-bench's tg test has no prompt), at most the
#: engine's limit.
_LENGTHS = ("input_tokens", "output_tokens", "context_tokens")
#: Durations, in seconds: 0 or more (one output token has no time per token after the first).
_TIMES = ("elapsed_s", "ttft_s", "tpot_s", "itl_s")
#: Speeds: more than 0 (a request rate may be inf: all at once).
_SPEEDS = (*(m for m in METRICS if m not in _TIMES), "request_rate")
#: Counts of requests: whole, 1 or more.
_COUNTS = {"batch": MAX_BATCH, "concurrency": MAX_BATCH, "num_requests": MAX_REQUESTS}


def _point_problem(p: Point) -> str | None:
    """What makes a point impossible (a negative length or time, a speed of 0, a batch of a
    billion), or None."""
    for name, most in _COUNTS.items():
        value = getattr(p, name)
        if value is not None and not (isinstance(value, int) and 1 <= value <= most):
            return f"{name} is {value!r}; a whole number from 1 to {most:,}"
    for name in _LENGTHS:
        value = getattr(p, name)
        if not (math.isfinite(value) and 0 <= value <= MAX_TOKENS):
            return f"{name} is {value!r}; tokens from 0 to {MAX_TOKENS:,}"
    stated = p.row is None or p.row.lengths_stated  # a table's row may leave them out (0)
    # a prefill times a prompt, anything else generates; a prompt may be 0 (served from a cache)
    short = p.input_tokens < 1 if p.phase == "prefill" else p.output_tokens < 1
    if stated and short:
        return f"a {p.phase} run of {p.input_tokens:g} in / {p.output_tokens:g} out tokens"
    for name in _TIMES:
        value = getattr(p, name)
        if value is not None and not (math.isfinite(value) and value >= 0):
            return f"{name} is {value!r}; a time of 0 s or more"
    for name in _SPEEDS:
        value = getattr(p, name)
        if value is not None and (not value > 0 or (value == math.inf and name != "request_rate")):
            return f"{name} is {value!r}; a speed above 0"
    return None


@dataclass(frozen=True)
class Measurement:
    """One results file, read: every point is checked (:func:`_point_problem`), so that no
    impossible measurement is compared or fitted."""

    path: str
    format: str  # a key of FORMATS
    model_name: str  # as the file records it ('' when it does not)
    points: tuple[Point, ...]
    gpu_name: str | None = None  # as recorded, when recorded
    gpus: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # metadata the file carries
    kind: Kind = "static-batch"
    tp: int | None = None
    pp: int | None = None  # pipeline stages (llama.cpp's layer split over several GPUs)
    weight_dtype: str | None = None  # an engine precision, when the file says (a quantised tag)
    kv_dtype: str | None = None
    engine: str | None = None  # the engine profile the file's server is (None: the caller's)
    step_tokens: int | None = None  # tokens per forward step the runner used (llama.cpp n_ubatch)
    remarks: tuple[str, ...] = ()  # what a reader of the comparison should know about this file

    def __post_init__(self) -> None:
        for p in self.points:
            problem = _point_problem(p)
            if problem is not None:
                where = f"line {p.line}" if p.line else f"the run {p.label}"
                raise InputError(f"{self.path}: {where}: {problem}")
