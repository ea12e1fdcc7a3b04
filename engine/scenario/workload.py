"""Workloads: the load a deployment is evaluated under, one kind per scenario.

Every kind has the request shape (prompt and output tokens) and a *load axis*: the points it is
evaluated at. The static batch of the article (B requests arrive together) has batch sizes; a
server doing continuous batching (:mod:`engine.physics.serving`) is loaded by C users in a closed
loop (concurrency), by Poisson arrivals (a request rate), or offline (N requests queued at once,
the engine's maximum throughput). A kind is a frozen dataclass in :data:`WORKLOADS` with:

- ``KIND`` (the ``"load"`` of the JSON and the preset's ``[workload] kind``), ``AXIS`` (what its
  axis counts: "batch", "concurrency", "rate", "requests") and ``OWN`` (its fields beyond the
  request shape, which no other kind takes),
- :meth:`values` (the axis), :meth:`run` (its physics: a :class:`~engine.physics.load.LoadRun`;
  the serving model's module is imported there), :meth:`as_dict` (its fields, for JSON, presets),
- ``from_input`` (build it, checked, from the loose input: :mod:`engine.scenario.resolve`).

The CLI, the preset files, the JSON and the app's charts read the axis from the workload, so a new
kind is a new class here (and its physics), not an edit to every consumer.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from engine.errors import InputError
from engine.physics import static_batch
from engine.physics.deployment import MAX_TOKENS, Deployment
from engine.physics.load import DEFAULT_REQUESTS as DEFAULT_REQUESTS
from engine.physics.load import LoadRun
from engine.scenario.axes import (
    check_batch_sizes,
    check_counts,
    check_rates,
)

if TYPE_CHECKING:
    from engine.physics import serving

DEFAULT_BATCHES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
DEFAULT_CONCURRENCY: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_RATES: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, math.inf)

Terms = Callable[[str], str]


class Workload(Protocol):
    KIND: ClassVar[str]
    AXIS: ClassVar[str]
    OWN: ClassVar[tuple[str, ...]]

    @property
    def input_tokens(self) -> int: ...

    @property
    def output_tokens(self) -> int: ...

    @property
    def context_tokens(self) -> int: ...

    def values(self) -> tuple[float, ...]: ...

    def run(self, d: Deployment) -> LoadRun: ...

    def as_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_input(cls, fields: Mapping[str, Any], terms: Terms) -> Workload: ...


def check_tokens(value: object, key: str, term: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(
            f"{term} must be a whole number from 1 to {MAX_TOKENS:,}, got {value!r}", field=key
        )
    if not 1 <= value <= MAX_TOKENS:
        raise InputError(f"{term} must be from 1 to {MAX_TOKENS:,}, got {value:,}", field=key)
    return value


# ------------------------------------------------------------------------------ the kinds


@dataclass(frozen=True)
class StaticBatch:
    """The article's benchmark: B requests arrive together, are prefilled, then decode in
    lock-step; evaluated for every batch size."""

    KIND: ClassVar[str] = "static"
    AXIS: ClassVar[str] = "batch"
    OWN: ClassVar[tuple[str, ...]] = ("batch_sizes",)

    input_tokens: int = 2035
    output_tokens: int = 300
    batch_sizes: tuple[int, ...] = DEFAULT_BATCHES

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def values(self) -> tuple[float, ...]:
        return tuple(float(b) for b in self.batch_sizes)

    def run(self, d: Deployment) -> static_batch.StaticBatchRun:
        batch = np.array(self.batch_sizes, dtype=np.float64)
        return static_batch.run(d, batch, self.input_tokens, self.output_tokens)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "batch_sizes": list(self.batch_sizes),
        }

    @classmethod
    def from_input(cls, fields: Mapping[str, Any], terms: Terms) -> StaticBatch:
        """Checked; ``fields`` are the loose input's (None: the default)."""
        default = cls()
        inp = fields.get("input_tokens")
        out = fields.get("output_tokens")
        batches = fields.get("batch_sizes")
        return cls(
            input_tokens=default.input_tokens
            if inp is None
            else check_tokens(inp, "input_tokens", terms("input_tokens")),
            output_tokens=default.output_tokens
            if out is None
            else check_tokens(out, "output_tokens", terms("output_tokens")),
            batch_sizes=default.batch_sizes
            if batches is None
            else check_batch_sizes(batches, terms("batch_sizes")),
        )


def _shape(fields: Mapping[str, Any], terms: Terms) -> tuple[int, int]:
    default = StaticBatch()
    inp, out = fields.get("input_tokens"), fields.get("output_tokens")
    return (
        default.input_tokens
        if inp is None
        else check_tokens(inp, "input_tokens", terms("input_tokens")),
        default.output_tokens
        if out is None
        else check_tokens(out, "output_tokens", terms("output_tokens")),
    )


@dataclass(frozen=True)
class Concurrency:
    """A closed loop: C users, each sending its next request when its last one ends (what
    ``vllm bench serve --max-concurrency`` and most published serving tables measure)."""

    KIND: ClassVar[str] = "concurrency"
    AXIS: ClassVar[str] = "concurrency"
    OWN: ClassVar[tuple[str, ...]] = ("concurrency",)

    input_tokens: int = 2035
    output_tokens: int = 300
    concurrency: tuple[int, ...] = DEFAULT_CONCURRENCY

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def values(self) -> tuple[float, ...]:
        return tuple(float(c) for c in self.concurrency)

    def run(self, d: Deployment) -> serving.ConcurrencyRun:
        from engine.physics import serving  # the serving model: loaded when first run

        C = np.array(self.concurrency, dtype=np.float64)
        return serving.closed_loop(d, self.input_tokens, self.output_tokens, C)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "concurrency": list(self.concurrency),
        }

    @classmethod
    def from_input(cls, fields: Mapping[str, Any], terms: Terms) -> Concurrency:
        S, n = _shape(fields, terms)
        given = fields.get("concurrency")
        return cls(
            S,
            n,
            DEFAULT_CONCURRENCY
            if given is None
            else check_counts(given, terms("concurrency"), "concurrency"),
        )


@dataclass(frozen=True)
class Rate:
    """Requests arriving at random (Poisson) at each rate, requests/s; ``inf``: all at once. A rate
    at or above the server's capacity has no steady state: a run of ``num_requests`` is estimated
    and the point is marked unstable."""

    KIND: ClassVar[str] = "rate"
    AXIS: ClassVar[str] = "rate"
    OWN: ClassVar[tuple[str, ...]] = ("rates", "num_requests")

    input_tokens: int = 2035
    output_tokens: int = 300
    rates: tuple[float, ...] = DEFAULT_RATES
    num_requests: int = DEFAULT_REQUESTS

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def values(self) -> tuple[float, ...]:
        return self.rates

    def run(self, d: Deployment) -> serving.RateRun:
        from engine.physics import serving  # the serving model: loaded when first run

        lam = np.array(self.rates, dtype=np.float64)
        return serving.poisson(d, self.input_tokens, self.output_tokens, lam, self.num_requests)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "rates": list(self.rates),
            "num_requests": self.num_requests,
        }

    @classmethod
    def from_input(cls, fields: Mapping[str, Any], terms: Terms) -> Rate:
        S, n = _shape(fields, terms)
        rates, count = fields.get("rates"), fields.get("num_requests")
        if count is not None:
            counts = check_counts(count, terms("num_requests"), "num_requests")
            if len(counts) > 1:
                raise InputError(
                    f"{terms('num_requests')}: a rate load takes one request count (the run's "
                    f"length), got {len(counts)}; a list of them is the offline load's axis",
                    field="num_requests",
                )
        return cls(
            S,
            n,
            DEFAULT_RATES if rates is None else check_rates(rates, terms("rates")),
            DEFAULT_REQUESTS if count is None else counts[0],
        )


@dataclass(frozen=True)
class Offline:
    """Every request queued at t = 0 and the engine picks its batch: the maximum throughput (what
    ``trtllm-bench throughput`` and vLLM's offline benchmark measure), for each request count."""

    KIND: ClassVar[str] = "offline"
    AXIS: ClassVar[str] = "requests"
    OWN: ClassVar[tuple[str, ...]] = ("num_requests",)

    input_tokens: int = 2035
    output_tokens: int = 300
    num_requests: tuple[int, ...] = (DEFAULT_REQUESTS,)

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def values(self) -> tuple[float, ...]:
        return tuple(float(c) for c in self.num_requests)

    def run(self, d: Deployment) -> serving.OfflineRun:
        from engine.physics import serving  # the serving model: loaded when first run

        N = np.array(self.num_requests, dtype=np.float64)
        return serving.offline(d, self.input_tokens, self.output_tokens, N)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "num_requests": list(self.num_requests),
        }

    @classmethod
    def from_input(cls, fields: Mapping[str, Any], terms: Terms) -> Offline:
        S, n = _shape(fields, terms)
        count = fields.get("num_requests")
        return cls(
            S,
            n,
            (DEFAULT_REQUESTS,)
            if count is None
            else check_counts(count, terms("num_requests"), "num_requests"),
        )


#: Every workload kind, by its ``KIND``.
WORKLOADS: dict[str, type[Workload]] = {
    k.KIND: k for k in (StaticBatch, Concurrency, Rate, Offline)
}
DEFAULT_KIND = StaticBatch.KIND
#: The fields of the load axes (each kind's ``OWN``), in order.
AXIS_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for k in WORKLOADS.values() for f in k.OWN))


def workload_kind(kind: str | None, term: str = "load") -> type[Workload]:
    if kind is None:
        return WORKLOADS[DEFAULT_KIND]
    if kind not in WORKLOADS:
        raise InputError(
            f"{term} {kind!r} is not a workload kind (accepted: {', '.join(WORKLOADS)})",
            field="load",
        )
    return WORKLOADS[kind]
