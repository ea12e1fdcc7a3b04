"""Workloads: the load a deployment is evaluated under, one kind per scenario.

Every kind has the request shape (prompt and output tokens) and a *load axis*: the points it is
evaluated at. The static batch of the article (B requests arrive together) has batch sizes; the
serving model will add closed-loop concurrency, a Poisson request rate and offline maximum
throughput as kinds of their own. A kind is a frozen dataclass registered in :data:`WORKLOADS`
with:

- ``KIND`` (the ``"load"`` of the JSON and the preset's ``[workload] kind``) and ``AXIS`` (what its
  axis counts: "batch", "concurrency", "rate"),
- :meth:`values` (the axis), :meth:`run` (its physics, returning a
  :class:`~engine.physics.load.LoadRun`), :meth:`as_dict` (its fields, for JSON and presets), and
- ``from_input`` (build it, checked, from the loose input: :mod:`engine.scenario.resolve`).

The CLI, the preset files, the JSON and the app's charts read the axis from the workload, so a new
kind is a new class here (and its physics), not an edit to every consumer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from engine.errors import InputError
from engine.physics import static_batch
from engine.physics.deployment import MAX_TOKENS, Deployment
from engine.physics.load import LoadRun

DEFAULT_BATCHES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
MAX_BATCH = 1_000_000
MAX_POINTS = 1024  # points of a load axis (the engine is vectorised: 1,024 take ~2 ms)

Terms = Callable[[str], str]


class Workload(Protocol):
    KIND: ClassVar[str]
    AXIS: ClassVar[str]

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


def batch_ladder(top: int) -> tuple[int, ...]:
    """Powers of two below ``top``, then ``top``: what a maximum batch size stands for."""
    out, b = [], 1
    while b < top:
        out.append(b)
        b *= 2
    return (*out, top)


def parse_batch_sizes(text: str, term: str = "batch sizes") -> tuple[int, ...]:
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
            f"invalid batch sizes {text!r}: give whole numbers like 1,2,4,8 or a maximum like 512",
            field="batch_sizes",
        ) from None
    return check_batch_sizes(values, term, shown=text)


def check_batch_sizes(values: object, term: str, shown: str | None = None) -> tuple[int, ...]:
    """Sorted distinct batch sizes from 1 to :data:`MAX_BATCH`, at most :data:`MAX_POINTS`."""
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            f"{term} must be a non-empty list of whole numbers, e.g. 1,2,4,8, got {values!r}",
            field="batch_sizes",
        )
    if not all(isinstance(b, int) and not isinstance(b, bool) for b in values):
        raise InputError(
            f"{term} must be whole numbers, e.g. 1,2,4,8, got {values!r}", field="batch_sizes"
        )
    bad = next((b for b in values if not 1 <= b <= MAX_BATCH), None)
    if bad is not None:
        raise InputError(
            f"{term} must be from 1 to {MAX_BATCH:,}, got {bad:,}"
            + (f" (in {shown!r})" if shown is not None and shown != str(bad) else ""),
            field="batch_sizes",
        )
    out = tuple(sorted(set(values)))
    if len(out) > MAX_POINTS:
        raise InputError(f"{term}: at most {MAX_POINTS} batch sizes", field="batch_sizes")
    return out


def format_batch_sizes(batches: tuple[int, ...]) -> str:
    """The shortest text :func:`parse_batch_sizes` reads back as ``batches``."""
    if batch_ladder(batches[-1]) == batches:
        return str(batches[-1])
    return ",".join(map(str, batches))


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


#: Every workload kind, by its ``KIND``.
WORKLOADS: dict[str, type[Workload]] = {StaticBatch.KIND: StaticBatch}
DEFAULT_KIND = StaticBatch.KIND


def workload_kind(kind: str | None, term: str = "load") -> type[Workload]:
    if kind is None:
        return WORKLOADS[DEFAULT_KIND]
    if kind not in WORKLOADS:
        raise InputError(
            f"{term} {kind!r} is not a workload kind (accepted: {', '.join(WORKLOADS)})",
            field="load",
        )
    return WORKLOADS[kind]
