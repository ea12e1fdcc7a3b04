"""Measured benchmark results, read into one shape for comparison and calibration.

A :class:`Measurement` is one file: what was run (model name as recorded, hardware if recorded) and
its points. A :class:`Point` is one static batch: B requests of ``input_tokens`` in and
``output_tokens`` out, and what was measured.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError


@dataclass(frozen=True)
class Point:
    batch: int
    input_tokens: float
    output_tokens: float
    elapsed_s: float  # wall time of the whole batch
    total_tokens_per_s: float  # output tokens of the batch / elapsed
    per_request_tokens_per_s: float | None = None


@dataclass(frozen=True)
class Measurement:
    path: str
    format: str
    model_name: str  # as the file records it
    points: tuple[Point, ...]
    gpu_name: str | None = None
    gpus: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def parse_seed_json(data: Any, path: str) -> Measurement:
    """The tokenomics seed's format: ``metadata`` + ``results`` keyed by batch size."""
    if not isinstance(data, dict) or "results" not in data or "metadata" not in data:
        raise InputError(f"{path}: not a seed benchmark file (needs 'metadata' and 'results')")
    results = data["results"]
    if not isinstance(results, dict) or not results:
        raise InputError(f"{path}: 'results' must map batch sizes to measurements")
    points = []
    for key, row in results.items():
        where = f"{path}: results.{key}"
        if not re.fullmatch(r"\d+", str(key)) or int(key) < 1:
            raise InputError(f"{where}: batch size must be a positive whole number")
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a table of measurements")
        for name in ("avg_input_tokens", "avg_output_tokens", "tokens_per_second_in_batch"):
            if name not in row:
                raise InputError(f"{where}: missing field {name!r}")
        batch = int(key)
        out = _number(row["avg_output_tokens"], f"{where}.avg_output_tokens")
        tps = _number(row["tokens_per_second_in_batch"], f"{where}.tokens_per_second_in_batch")
        if tps <= 0 or out <= 0:
            raise InputError(f"{where}: tokens and tokens per second must be positive")
        elapsed = row.get("elapsed_time")
        elapsed_s = (
            _number(elapsed, f"{where}.elapsed_time") if elapsed is not None else batch * out / tps
        )
        per_req = row.get("avg_tokens_per_second")
        points.append(
            Point(
                batch=batch,
                input_tokens=_number(row["avg_input_tokens"], f"{where}.avg_input_tokens"),
                output_tokens=out,
                elapsed_s=elapsed_s,
                total_tokens_per_s=tps,
                per_request_tokens_per_s=None if per_req is None else _number(per_req, where),
            )
        )
    meta = data["metadata"] if isinstance(data["metadata"], dict) else {}
    return Measurement(
        path=path,
        format="seed-json",
        model_name=str(meta.get("model", "")),
        points=tuple(sorted(points, key=lambda p: p.batch)),
        notes={k: meta[k] for k in ("description", "timestamp") if k in meta},
    )


def load_measurement(path: Path) -> Measurement:
    """Read a benchmark file, detecting its format."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(
            f"{path}: not a benchmark file tokentui reads (accepted: the tokenomics seed JSON)"
        ) from None
    return parse_seed_json(data, str(path))


def resolve_model_name(name: str, ids: list[str]) -> str | None:
    """Match a recorded model name ('llama-3.3-70bb', 'Llama 3.1 8B') to a catalog id."""

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    target = norm(name)
    best = [i for i in ids if target.startswith(norm(i))]
    return max(best, key=len) if best else None
