"""The tokenomics seed's benchmark JSON: ``metadata`` and ``results`` keyed by batch size."""

from __future__ import annotations

import re
from typing import Any

from engine.errors import InputError
from engine.measure.formats._read import number
from engine.measure.points import Measurement, Point
from engine.scenario.axes import MAX_BATCH


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
        if not re.fullmatch(r"[0-9]{1,7}", str(key)) or not 1 <= int(key) <= MAX_BATCH:
            raise InputError(f"{where}: batch size must be a whole number from 1 to {MAX_BATCH:,}")
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a table of measurements")
        for name in ("avg_input_tokens", "avg_output_tokens", "tokens_per_second_in_batch"):
            if name not in row:
                raise InputError(f"{where}: missing field {name!r}")
        batch = int(key)
        out = number(row["avg_output_tokens"], f"{where}.avg_output_tokens")
        tps = number(row["tokens_per_second_in_batch"], f"{where}.tokens_per_second_in_batch")
        if tps <= 0 or out <= 0:
            raise InputError(f"{where}: tokens and tokens per second must be positive")
        elapsed = row.get("elapsed_time")
        elapsed_s = (
            number(elapsed, f"{where}.elapsed_time") if elapsed is not None else batch * out / tps
        )
        per_req = row.get("avg_tokens_per_second")
        points.append(
            Point(
                batch=batch,
                input_tokens=number(row["avg_input_tokens"], f"{where}.avg_input_tokens"),
                output_tokens=out,
                elapsed_s=elapsed_s,
                total_tokens_per_s=tps,
                per_request_tokens_per_s=None if per_req is None else number(per_req, where),
            )
        )
    meta = data["metadata"] if isinstance(data["metadata"], dict) else {}
    return Measurement(
        path=path,
        format="seed-json",
        model_name=str(meta.get("model", "")),
        points=tuple(sorted(points, key=lambda p: p.batch)),
        notes={k: meta[k] for k in ("description", "timestamp") if k in meta},
        kind="static-batch",
    )
