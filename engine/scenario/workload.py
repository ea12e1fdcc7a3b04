"""Workloads: the load a deployment is evaluated under, one kind per scenario.

Every kind has the request shape (prompt and output tokens) and a *load axis*: the points it is
evaluated at. The static batch of the article (B requests arrive together) has batch sizes; a
server doing continuous batching (:mod:`engine.physics.serving`) is loaded by C users in a closed
loop (concurrency), by Poisson arrivals (a request rate), or offline (N requests queued at once,
the engine's maximum throughput). A kind is a frozen dataclass registered in :data:`WORKLOADS`
with:

- ``KIND`` (the ``"load"`` of the JSON and the preset's ``[workload] kind``), ``AXIS`` (what its
  axis counts: "batch", "concurrency", "rate", "requests") and ``OWN`` (its fields beyond the
  request shape, which no other kind takes),
- :meth:`values` (the axis), :meth:`run` (its physics, returning a
  :class:`~engine.physics.load.LoadRun`), :meth:`as_dict` (its fields, for JSON and presets), and
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
from engine.physics import load, static_batch
from engine.physics.deployment import MAX_TOKENS, Deployment
from engine.physics.load import LoadRun

if TYPE_CHECKING:
    from engine.physics import serving

DEFAULT_BATCHES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
MAX_BATCH = 1_000_000
MAX_POINTS = 4096  # points of a load axis (the engine is vectorised: 4,096 batches take ~7 ms)
MAX_RATE_POINTS = 1024  # rates (a Poisson point costs more: 1,024 take ~0.1 s)
DEFAULT_CONCURRENCY: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)
MAX_CONCURRENCY = 1_000_000
DEFAULT_RATES: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, math.inf)
MAX_RATE = 1e6  # requests/s
DEFAULT_REQUESTS = load.DEFAULT_REQUESTS
MAX_REQUESTS = 10_000_000

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


# ----------------------------------------------------------------------------- batch sizes

#: How a list of whole numbers is written (batch sizes, concurrencies, request counts, plan's GPU
#: counts; the command line and the app's fields read it the same): for help, and for errors.
LIST_FORMS = (
    "one number (16: that one), a list (1,8,64), a doubling range A..B (1..512: 1,2,4,...,512; "
    "8..100: 8,16,32,64,100) or every number A-B (1-64); the forms combine: 1-8,16..512"
)
LIST_ACCEPTED = "a number 16, a list 1,8,64, a doubling range 1..512 or every number 1-64"


def batch_ladder(top: int) -> tuple[int, ...]:
    """Powers of two below ``top``, then ``top``: ``1..top``."""
    return doubling(1, top)


def doubling(low: int, high: int) -> tuple[int, ...]:
    """``A..B``: ``low``, twice that, four times ... while below ``high``, then ``high``."""
    return (*(low << k for k in range((high // low).bit_length()) if low << k < high), high)


def parse_whole_list(
    text: str, term: str, key: str, high: int, what: str = "values", most: int = 0
) -> tuple[int, ...]:
    """Whole numbers from 1 to ``high`` written as :data:`LIST_FORMS` says, sorted, repeats
    dropped, at most ``most`` (:data:`MAX_POINTS` when 0); a range is checked before it is
    spelled out. Refused with an :class:`InputError` that says what is wrong (``term``: the
    option or field, ``what``: the numbers) and what is accepted."""
    shown, most = text.strip(), most or MAX_POINTS

    def refuse(why: str, syntax: bool = True) -> InputError:
        full = f"invalid {what} {shown!r}: {why} (accepted: {LIST_ACCEPTED})" if syntax else why
        return InputError(full, field=key)

    def whole(part: str) -> int:
        try:
            value = int(part)
        except ValueError:
            raise refuse(
                f"{part.strip()!r} is not a whole number"
                if part.strip()
                else "a range needs both ends"
            ) from None
        if not 1 <= value <= high:
            where = f" (in {shown!r})" if shown != part.strip() else ""
            raise refuse(f"{term} must be from 1 to {high:,}, got {value:,}{where}", False)
        return value

    values: set[int] = set()
    for item in (part.strip() for part in shown.split(",")):
        sep = ".." if ".." in item else "-" if "-" in item[1:] else ""
        if not item:
            raise refuse("an empty item between commas") if shown else refuse(f"give {what}")
        if not sep:
            values.add(whole(item))
            continue
        cut = item.index(sep, 1 if sep == "-" else 0)  # a "-" first: a negative number
        a, b = whole(item[:cut]), whole(item[cut + len(sep) :])
        if a > b:
            raise refuse(f"the range {item} runs backwards (the smaller end first: {b}{sep}{a})")
        if sep == "-" and b - a >= most:
            raise refuse(
                f"{term}: at most {most:,} {what}, got {b - a + 1:,} in {item!r} (doubling, "
                f"{a}..{b}, gives {len(doubling(a, b))})",
                False,
            )
        values.update(doubling(a, b) if sep == ".." else range(a, b + 1))
        if len(values) > most:
            raise refuse(f"{term}: at most {most:,} {what}, and {shown!r} gives more", False)
    return tuple(sorted(values))


def parse_batch_sizes(
    text: str, term: str = "batch sizes", key: str = "batch_sizes"
) -> tuple[int, ...]:
    """Batch sizes as :data:`LIST_FORMS` writes them: '16' is that one batch, '1,2,8' a list,
    '1..512' the powers of two to 512, '1-64' every size to 64 ('max:512', the old maximum, is
    still '1..512'). Refused with an :class:`InputError` that says what is accepted.
    Concurrencies read the same (``key="concurrency"``)."""
    text = text.strip()
    if text.startswith("max:"):
        text = "1.." + text.removeprefix("max:").strip()
    if key == "concurrency":
        return parse_whole_list(text, term, key, MAX_CONCURRENCY, "concurrencies")
    return parse_whole_list(text, term, key, MAX_BATCH, "batch sizes")


def check_batch_sizes(values: object, term: str, shown: str | None = None) -> tuple[int, ...]:
    """Sorted distinct batch sizes from 1 to :data:`MAX_BATCH`, at most :data:`MAX_POINTS`."""
    return check_counts(values, term, "batch_sizes", shown)


def check_counts(
    values: object, term: str, key: str, shown: str | None = None, high: int | None = None
) -> tuple[int, ...]:
    """Sorted distinct whole numbers from 1 to ``high``, at most :data:`MAX_POINTS`: batch sizes,
    concurrencies, request counts (``key`` names which)."""
    high = high or {"concurrency": MAX_CONCURRENCY, "num_requests": MAX_REQUESTS}.get(
        key, MAX_BATCH
    )
    what = {"concurrency": "concurrencies", "num_requests": "request counts"}.get(
        key, "batch sizes"
    )
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            f"{term} must be a non-empty list of whole numbers, e.g. 1,2,4,8, got {values!r}",
            field=key,
        )
    if not all(isinstance(b, int) and not isinstance(b, bool) for b in values):
        raise InputError(f"{term} must be whole numbers, e.g. 1,2,4,8, got {values!r}", field=key)
    bad = next((b for b in values if not 1 <= b <= high), None)
    if bad is not None:
        raise InputError(
            f"{term} must be from 1 to {high:,}, got {bad:,}"
            + (f" (in {shown!r})" if shown is not None and shown != str(bad) else ""),
            field=key,
        )
    out = tuple(sorted(set(values)))
    if len(out) > MAX_POINTS:
        raise InputError(f"{term}: at most {MAX_POINTS:,} {what}, got {len(out):,}", field=key)
    return out


def parse_counts(text: str, term: str, key: str) -> tuple[int, ...]:
    """'1000', '100,1000', '1000..16000' (doubling) or '100-200' (every count): request counts,
    as :data:`LIST_FORMS` writes them."""
    return parse_whole_list(text, term, key, MAX_REQUESTS, "request counts")


def parse_rates(text: str, term: str = "rates") -> tuple[float, ...]:
    """'2,4,8,inf': requests per second, each one a point ('inf': all at once)."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(
            f"invalid rates {text.strip()!r}: give requests per second like 0.5,2,8 or inf "
            f"(all at once)",
            field="rates",
        ) from None
    return check_rates(values, term, shown=text.strip())


def check_rates(values: object, term: str, shown: str | None = None) -> tuple[float, ...]:
    """Sorted distinct rates above 0 up to :data:`MAX_RATE` requests/s, or ``inf``."""
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            f"{term} must be a non-empty list of requests per second, e.g. 1,2,4,inf, got "
            f"{values!r}",
            field="rates",
        )
    if not all(isinstance(r, int | float) and not isinstance(r, bool) for r in values):
        raise InputError(
            f"{term} must be numbers of requests per second, e.g. 1,2,4,inf, got {values!r}",
            field="rates",
        )
    bad = next(
        (r for r in values if math.isnan(r) or not (0 < r <= MAX_RATE or r == math.inf)), None
    )
    if bad is not None:
        raise InputError(
            f"{term} must be above 0 and at most {MAX_RATE:g} requests/s, or inf (all at once), "
            f"got {bad:g}"
            + (f" (in {shown!r})" if shown is not None and shown != f"{bad:g}" else ""),
            field="rates",
        )
    out = tuple(sorted({float(r) for r in values}))
    if len(out) > MAX_RATE_POINTS:
        raise InputError(f"{term}: at most {MAX_RATE_POINTS:,} rates", field="rates")
    return out


def format_rates(rates: tuple[float, ...]) -> str:
    return ",".join(f"{r:g}" for r in rates)


def format_counts(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))


def format_batch_sizes(batches: tuple[int, ...]) -> str:
    """The shortest text :func:`parse_whole_list` reads back as ``batches`` (sorted, distinct):
    'A..B' for a doubling run, 'A-B' for every number, else the list (the list on a tie)."""
    low, high = batches[0], batches[-1]
    forms = [",".join(map(str, batches)), f"{low}..{high}", f"{low}-{high}"]
    runs = (True, doubling(low, high) == batches, high - low + 1 == len(batches))
    return min((f for f, ok in zip(forms, runs, strict=True) if ok), key=len)


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
