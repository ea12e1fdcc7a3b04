"""SLO planning: over the layouts of a model on a GPU, the most users each serves within latency
bounds, and what a token costs there.

A *layout* is a GPU count, a tensor-parallel degree dividing it (the groups beyond the first are
data-parallel replicas) and a weight precision. The *load* is a closed loop of C users
(:class:`~engine.scenario.workload.Concurrency`, :func:`engine.physics.serving.closed_loop`).
For every layout, :func:`plan` finds the largest C such that every concurrency from 1 to C meets
every bound (:class:`Slo`), searching every whole number up to the layout's wall (the KV cache,
the scheduler's sequences or the token budget: past it more users only queue, the throughput no
longer grows). It names what stops the load there (the bound missed at C + 1, or the wall) and
prices a token at that load. Layouts whose weights or one sequence do not fit are skipped; those
that miss a bound even with one user "cannot meet" it, with the miss.

Every candidate is built by the one resolver from the same loose input, so every other input
(engine, price, factors, settings, mode) applies to all of them; the input's own layout, weight
precision and load are what is searched, and are ignored.

**The statistics.** The physics gives the time to first token as a mean, a median and a p99, the
inter-token latency as a mean and a p99, and a request's time per output token (TPOT) as a mean.
A bound applies to the statistic its percentile names, where it exists:

- TTFT: mean, p50 or p99, each its own figure;
- ITL: mean or p99; p50 bounds the mean (no median is modelled; the mean is at least the median
  while fewer than half of the steps carry a prompt, as a stall only lengthens a step);
- TPOT: the mean, for every percentile: a request's TPOT averages its n - 1 steps, so requests of
  fixed lengths differ little in it;
- E2E: TTFT at the percentile + (n - 1) TPOT (the request that waits longest for its first token
  is the slowest; the mean is exactly the engine's mean E2E).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.physics.memory import memory_plan, valid_tp_degrees
from engine.physics.serving import ConcurrencyRun, closed_loop
from engine.physics.specs import DTYPE_BYTES, WEIGHT_DTYPES, GPUSpec, ModelSpec
from engine.scenario.axes import MAX_CONCURRENCY
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import CLI_TERMS, MAX_GPUS, Lookup, Terms, resolve
from engine.scenario.scenario import Scenario
from engine.scenario.workload import AXIS_FIELDS, Concurrency

Array = npt.NDArray[np.float64]

METRICS = ("ttft", "itl", "tpot", "e2e")
PERCENTILES = ("p99", "p50", "mean")
DEFAULT_PERCENTILE = "p99"  # MLPerf's server SLOs are p99s
MAX_LIST = 64  # GPU counts or TP degrees in one plan
MAX_LAYOUTS = 512
DENSE = 4096  # up to this many users every whole number is evaluated in one call
COARSE = 1024  # beyond: a geometric grid first, then every whole number of the bracket
#: Skip reasons: the weights (and the workspace) exceed the memory; no room for one sequence.
SKIP_REASONS = ("weights", "kv")


@dataclass(frozen=True)
class Slo:
    """A latency bound: ``metric`` (ttft, itl, tpot, e2e) at ``percentile`` at most ``bound_s``."""

    metric: str
    bound_s: float
    percentile: str = DEFAULT_PERCENTILE

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"SLO metric {self.metric!r} is not one of {', '.join(METRICS)}")
        if self.percentile not in PERCENTILES:
            raise InputError(
                f"SLO percentile {self.percentile!r} is not one of {', '.join(PERCENTILES)}"
            )
        bound = self.bound_s
        if isinstance(bound, bool) or not isinstance(bound, int | float) or not bound > 0:
            raise InputError(f"{self.metric} SLO must be a positive number, got {bound!r}")
        if not math.isfinite(bound):
            raise InputError(f"{self.metric} SLO must be a finite number, got {bound!r}")

    @property
    def statistic(self) -> str:
        """The statistic the bound applies to (the module docstring's table)."""
        if self.metric == "tpot" or (self.metric == "itl" and self.percentile == "p50"):
            return "mean"
        return self.percentile

    @property
    def label(self) -> str:
        """``"itl p99"``, ``"tpot mean"``: the metric and its statistic."""
        return f"{self.metric} {self.statistic}"

    @property
    def attribute(self) -> str:
        """The field of a run (or a :class:`Point`) that holds the figure; for an E2E percentile,
        that of the TTFT it adds (n - 1) TPOT to."""
        if self.metric == "tpot":
            return "tpot_s"
        if self.metric == "itl":
            return "itl_s" if self.statistic == "mean" else "itl_p99_s"
        if self.metric == "e2e" and self.statistic == "mean":
            return "e2e_s"
        return {"mean": "ttft_s", "p50": "ttft_p50_s", "p99": "ttft_p99_s"}[self.statistic]

    def values(self, run: ConcurrencyRun, output_tokens: int) -> Array:
        """The bounded figure at every point of ``run``, in seconds."""
        out: Array = getattr(run, self.attribute)
        if self.metric == "e2e" and self.statistic != "mean":
            out = out + max(output_tokens - 1, 0) * run.tpot_s
        return out

    def value(self, point: Point, output_tokens: int) -> float:
        """The bounded figure at one point, in seconds."""
        out = float(getattr(point, self.attribute))
        if self.metric == "e2e" and self.statistic != "mean":
            out += max(output_tokens - 1, 0) * point.tpot_s
        return out


@dataclass(frozen=True)
class Layout:
    gpus: int
    tp: int
    weight_dtype: str

    @property
    def replicas(self) -> int:
        return self.gpus // self.tp


@dataclass(frozen=True)
class Point:
    """The figures of one layout at one concurrency (system-wide unless said)."""

    concurrency: int
    running_batch: float  # per replica
    binding_wall: str  # the engine's own: none, compute, or the wall it has reached
    ttft_s: float
    ttft_p50_s: float
    ttft_p99_s: float
    itl_s: float
    itl_p99_s: float
    tpot_s: float
    e2e_s: float
    output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    per_user_tokens_per_s: float
    requests_per_s: float
    cost_per_1m_input_usd: float
    cost_per_1m_output_usd: float

    @classmethod
    def of(cls, run: ConcurrencyRun, i: int) -> Point:
        def f(a: Array) -> float:
            return float(a[i])

        return cls(
            concurrency=round(float(run.load[i])),
            running_batch=f(run.running_batch),
            binding_wall=str(run.binding_wall[i]),
            ttft_s=f(run.ttft_s),
            ttft_p50_s=f(run.ttft_p50_s),
            ttft_p99_s=f(run.ttft_p99_s),
            itl_s=f(run.itl_s),
            itl_p99_s=f(run.itl_p99_s),
            tpot_s=f(run.tpot_s),
            e2e_s=f(run.e2e_s),
            output_tokens_per_s=f(run.output_tokens_per_s),
            output_tokens_per_s_per_gpu=f(run.output_tokens_per_s_per_gpu),
            per_user_tokens_per_s=f(run.per_user_tokens_per_s),
            requests_per_s=f(run.requests_per_s),
            cost_per_1m_input_usd=f(run.cost_per_1m_input_usd),
            cost_per_1m_output_usd=f(run.cost_per_1m_output_usd),
        )


@dataclass(frozen=True)
class Feasible:
    """A layout that meets every bound from one user up to ``max_concurrency`` users."""

    layout: Layout
    scenario: Scenario  # at ``max_concurrency``
    max_concurrency: int
    binding: str  # the bound missed at one user more ("itl p99"), the wall ("kv", ...) or
    # "search cap" (MAX_CONCURRENCY users, the most searched)
    wall_concurrency: float  # the users at which the running batch reaches its wall
    point: Point  # at ``max_concurrency``


@dataclass(frozen=True)
class Miss:
    slo: Slo
    value_s: float  # the figure with one user

    @property
    def over_s(self) -> float:
        return self.value_s - self.slo.bound_s


@dataclass(frozen=True)
class CannotMeet:
    """A layout that fits but misses a bound even with one user."""

    layout: Layout
    scenario: Scenario
    misses: tuple[Miss, ...]  # the bounds it misses at concurrency 1, worst first
    point: Point  # at concurrency 1


@dataclass(frozen=True)
class Skipped:
    """A layout that does not hold the model and one whole sequence."""

    layout: Layout
    reason: str  # weights: the weights and workspace exceed the memory; kv: no room for a sequence
    need_per_gpu_bytes: float  # weights + workspace + one sequence's KV cache
    usable_per_gpu_bytes: float


@dataclass(frozen=True)
class Space:
    """What is searched."""

    gpu_counts: tuple[int, ...]
    tp_degrees: tuple[int, ...]  # the model's valid degrees (or those asked for)
    weight_dtypes: tuple[str, ...]

    def layouts(self) -> tuple[Layout, ...]:
        return tuple(
            Layout(g, t, w)
            for g in self.gpu_counts
            for t in self.tp_degrees
            if g % t == 0
            for w in self.weight_dtypes
        )


@dataclass(frozen=True)
class Plan:
    base: Scenario  # the shared inputs (model, GPU, request shape, engine, price, factors)
    slos: tuple[Slo, ...]
    percentile: str
    space: Space
    feasible: tuple[Feasible, ...]  # by $ per 1M output tokens, cheapest first
    cannot_meet: tuple[CannotMeet, ...]  # nearest to meeting first
    skipped: tuple[Skipped, ...]

    @property
    def cheapest(self) -> Feasible | None:
        return self.feasible[0] if self.feasible else None

    @property
    def searched(self) -> int:
        """Layouts searched: those that meet the SLO, cannot, or were skipped."""
        return len(self.feasible) + len(self.cannot_meet) + len(self.skipped)


# ------------------------------------------------------------------------------ the space


def default_gpu_counts(gpu: GPUSpec) -> tuple[int, ...]:
    """1, 2, 4, ... up to the GPUs one interconnect domain reaches (8 on an NVLink board)."""
    top = max(1, min(gpu.interconnect.max_gpus, MAX_GPUS))
    out, g = [], 1
    while g <= top:
        out.append(g)
        g *= 2
    return tuple(out)


def default_weight_dtypes(model: ModelSpec, gpu: GPUSpec) -> tuple[str, ...]:
    """The model's own precision, 8 bits where the GPU has 8-bit tensor cores (fp8, else int8:
    the same bytes and, on a GPU with both, the same peak) and 4-bit weights (weight-only, any
    GPU); never more bytes than the model's own."""
    eight = next((p for p in ("fp8", "int8") if p in gpu.peak_flops), None)
    wanted = (model.dtype, *((eight,) if eight else ()), "int4")
    own = DTYPE_BYTES[model.dtype]
    return tuple(dict.fromkeys(w for w in wanted if DTYPE_BYTES[w] <= own))


def _counts(values: Sequence[int], key: str, terms: Terms) -> tuple[int, ...]:
    if not values:
        raise InputError(f"{terms(key)}: give at least one value", field=key)
    bad = next((v for v in values if isinstance(v, bool) or not isinstance(v, int)), None)
    if bad is not None:
        raise InputError(f"{terms(key)} must be whole numbers, got {bad!r}", field=key)
    out = tuple(sorted(set(values)))
    if not 1 <= out[0] <= out[-1] <= MAX_GPUS:
        v = out[0] if out[0] < 1 else out[-1]
        raise InputError(f"{terms(key)} must be from 1 to {MAX_GPUS:,}, got {v:,}", field=key)
    if len(out) > MAX_LIST:
        raise InputError(f"{terms(key)}: at most {MAX_LIST} values, got {len(out)}", field=key)
    return out


def search_space(
    model: ModelSpec,
    gpu: GPUSpec,
    gpu_counts: Sequence[int] | None = None,
    tp_degrees: Sequence[int] | None = None,
    weight_dtypes: Sequence[str] | None = None,
    terms: Terms = CLI_TERMS,
) -> Space:
    """The GPU counts, TP degrees and weight precisions to search (None: the defaults), checked."""
    counts = default_gpu_counts(gpu) if gpu_counts is None else _counts(gpu_counts, "gpus", terms)
    valid = valid_tp_degrees(model)
    if tp_degrees is None:
        tps = tuple(t for t in valid if t <= counts[-1])
    else:
        tps = _counts(tp_degrees, "tp", terms)
        bad = next((t for t in tps if t not in valid), None)
        if bad is not None:
            raise InputError(
                f"{terms('tp')} {bad} does not split the {model.num_attention_heads} query and "
                f"{model.num_key_value_heads} KV heads of {model.id} (accepted: "
                f"{', '.join(map(str, valid))})",
                field="tp",
            )
    if weight_dtypes is None:
        dtypes = default_weight_dtypes(model, gpu)
    else:
        dtypes = tuple(dict.fromkeys(weight_dtypes))
        bad_dtype = next((w for w in dtypes if w not in WEIGHT_DTYPES), None)
        if bad_dtype is not None or not dtypes:
            raise InputError(
                f"{terms('weight_dtype')} is {bad_dtype!r}, not one of the accepted: "
                f"{', '.join(WEIGHT_DTYPES)}",
                field="weight_dtype",
            )
    space = Space(counts, tps, dtypes)
    n = len(space.layouts())
    if n == 0:
        raise InputError(
            f"no layout: no TP degree of {', '.join(map(str, tps))} divides a GPU count of "
            f"{', '.join(map(str, counts))} ({terms('tp')}, {terms('gpus')})",
            field="tp",
        )
    if n > MAX_LAYOUTS:
        raise InputError(
            f"{n:,} layouts to search, at most {MAX_LAYOUTS}: give fewer {terms('gpus')}, "
            f"{terms('tp')} or one {terms('weight_dtype')}",
            field="gpus",
        )
    return space


# ------------------------------------------------------------------------------ the search


def _passes(run: ConcurrencyRun, slos: Sequence[Slo], n: int) -> npt.NDArray[np.bool_]:
    ok = np.ones(np.shape(run.load), dtype=bool)
    for slo in slos:
        ok &= slo.values(run, n) <= slo.bound_s
    return ok


def _worst(run: ConcurrencyRun, i: int, slos: Sequence[Slo], n: int) -> list[Miss]:
    """The bounds missed at point ``i``, the furthest over (relative to its bound) first."""
    misses = [Miss(s, float(s.values(run, n)[i])) for s in slos]
    missed = [m for m in misses if not m.value_s <= m.slo.bound_s]
    return sorted(missed, key=lambda m: -(m.value_s / m.slo.bound_s))


def _grid(top: int) -> Array:
    """Whole numbers of users from 1 to ``top`` (all of them, or a geometric grid beyond
    :data:`DENSE`), then ``top + 1``: one past the wall, to name it."""
    if top <= DENSE:
        return np.arange(1.0, top + 2.0)
    coarse = np.unique(np.round(np.geomspace(1.0, top, COARSE)))
    return np.append(coarse, top + 1.0)


def max_concurrency(
    s: Scenario, slos: Sequence[Slo], top: int
) -> tuple[int, str, ConcurrencyRun, int]:
    """The largest C <= ``top`` such that 1 .. C all meet ``slos`` (1 must), what stops it, and
    the run and index holding C's figures."""
    S, n = s.input_tokens, s.output_tokens
    grid = _grid(top)
    run = closed_loop(s, S, n, grid)
    ok = _passes(run, slos, n)[:-1]
    fails = np.flatnonzero(~ok)
    if fails.size == 0:
        binding = "search cap" if top >= MAX_CONCURRENCY else str(run.binding_wall[-1])
        return top, binding, run, len(grid) - 2
    i = int(fails[0])
    if i == 0:
        raise ValueError("concurrency 1 misses the SLO")  # the caller checks it first
    if grid[i] - grid[i - 1] > 1:  # refine: every whole number of the bracket
        grid = np.arange(grid[i - 1], grid[i] + 1.0)
        run = closed_loop(s, S, n, grid)
        i = int(np.flatnonzero(~_passes(run, slos, n))[0])
    return int(grid[i - 1]), _worst(run, i, slos, n)[0].slo.label, run, i - 1


def _order(space: Space, layout: Layout) -> tuple[int, int, int]:
    return layout.gpus, layout.tp, space.weight_dtypes.index(layout.weight_dtype)


def plan(
    inp: ScenarioInput,
    catalog: Lookup,
    default_profile: Efficiency,
    slos: Sequence[Slo],
    *,
    gpu_counts: Sequence[int] | None = None,
    tp_degrees: Sequence[int] | None = None,
    weight_dtypes: Sequence[str] | None = None,
    percentile: str = DEFAULT_PERCENTILE,
    terms: Terms = CLI_TERMS,
) -> Plan:
    """Every layout of the search space under a closed loop within ``slos`` (module docstring).
    ``inp``'s layout, weight precision and load are ignored: they are searched."""
    if not slos:
        raise InputError("give at least one SLO (a bound on ttft, itl, tpot or e2e)")
    shared = replace(
        inp,
        load=Concurrency.KIND,
        gpus=1,
        tp=1,
        weight_dtype=None,
        **dict.fromkeys(AXIS_FIELDS),  # type: ignore[arg-type]
    )
    base = resolve(shared, catalog, default_profile, terms)
    n = base.output_tokens
    timed = next((s for s in slos if s.metric in ("itl", "tpot")), None)
    if timed is not None and n < 2:
        raise InputError(
            f"an {timed.metric.upper()} SLO needs {terms('output_tokens')} of at least 2 (one "
            f"output token has no time between tokens), got {n}",
            field="output_tokens",
        )
    space = search_space(base.model, base.gpu, gpu_counts, tp_degrees, weight_dtypes, terms)
    feasible: list[Feasible] = []
    cannot: list[CannotMeet] = []
    skipped: list[Skipped] = []
    for layout in space.layouts():
        one = replace(
            shared,
            gpus=layout.gpus,
            tp=layout.tp,
            weight_dtype=layout.weight_dtype,
            concurrency=(1,),
        )
        s = resolve(one, catalog, default_profile, terms)
        mem = memory_plan(s, s.context_tokens)
        if mem.max_seqs_per_replica < 1:
            need = mem.weights_bytes + mem.reserve_bytes + mem.kv_per_sequence_bytes
            reason = "kv" if mem.fits_weights else "weights"
            skipped.append(Skipped(layout, reason, need, mem.usable_bytes))
            continue
        first = closed_loop(s, s.input_tokens, n, np.ones(1))
        misses = _worst(first, 0, slos, n)
        if misses:
            cannot.append(CannotMeet(layout, s, tuple(misses), Point.of(first, 0)))
            continue
        top = max(1, min(math.floor(first.wall * (1 + 1e-12)), MAX_CONCURRENCY))
        best, binding, run, i = max_concurrency(s, slos, top)
        s = replace(s, workload=Concurrency(s.input_tokens, n, (best,)))
        feasible.append(Feasible(layout, s, best, binding, float(first.wall), Point.of(run, i)))
    feasible.sort(key=lambda f: (f.point.cost_per_1m_output_usd, *_order(space, f.layout)))
    cannot.sort(
        key=lambda c: (c.misses[0].value_s / c.misses[0].slo.bound_s, *_order(space, c.layout))
    )
    return Plan(
        base=base,
        slos=tuple(slos),
        percentile=percentile,
        space=space,
        feasible=tuple(feasible),
        cannot_meet=tuple(cannot),
        skipped=tuple(skipped),
    )
