"""The public-measurements table (``benchmarks/public/measurements.tsv``): one measured number a
row, each with its own model, GPU, layout, precision, lengths, load and engine.

The columns, exactly (tab-separated, UTF-8, one header row)::

    source_url source_title engine engine_version model precision gpu num_gpus tp pp isl osl
    batch_or_concurrency metric value unit notes

Metrics: ``output_throughput_total`` (tokens/s of the whole system), ``total_token_throughput``
(input + output tokens/s), ``request_throughput`` (req/s), ``ttft_mean`` and ``itl_mean`` (ms),
``decode_throughput_single_stream`` (tokens/s of one sequence). Each row becomes a
:class:`~engine.measure.points.Point` that keeps its line (the header is line 1) and its
:class:`~engine.measure.points.TableRow`; which scenario it is predicted under is
:mod:`engine.measure.table`'s business. A row this reader cannot read (a missing column, a value
that is not a number, a unit that does not go with its metric) is refused with its line; a row it
can read but the engine cannot express is kept, and says why when compared.
"""

from __future__ import annotations

import csv
import io
import math
import re

from engine.errors import InputError
from engine.measure.points import Measurement, Point, TableRow

COLUMNS = (
    "source_url",
    "source_title",
    "engine",
    "engine_version",
    "model",
    "precision",
    "gpu",
    "num_gpus",
    "tp",
    "pp",
    "isl",
    "osl",
    "batch_or_concurrency",
    "metric",
    "value",
    "unit",
    "notes",
)
#: metric -> (the Point field it is, the unit it must have, the factor to SI)
METRICS: dict[str, tuple[str, str, float]] = {
    "output_throughput_total": ("output_tokens_per_s", "tokens/s", 1.0),
    "total_token_throughput": ("total_token_throughput", "tokens/s", 1.0),
    "request_throughput": ("requests_per_s", "req/s", 1.0),
    "ttft_mean": ("ttft_s", "ms", 1e-3),
    "itl_mean": ("itl_s", "ms", 1e-3),
    "decode_throughput_single_stream": ("single_stream_tokens_per_s", "tokens/s", 1.0),
}
MAX_ROWS = 100_000


def is_public_tsv(text: str) -> bool:
    first = text.split("\n", 1)[0].rstrip("\r")
    return first.split("\t")[:3] == list(COLUMNS[:3])


def _count(text: str, where: str, column: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", text) or int(text) < 1:
        raise InputError(
            f"{where}: column {column!r} must be a whole number of 1 or more, got {text!r}"
        )
    return int(text)


def _tokens(text: str, where: str, column: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: column {column!r} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 1:
        raise InputError(f"{where}: column {column!r} must be 1 or more, got {text!r}")
    return value


def load_of(text: str, notes: str) -> tuple[str, float | None, int | None]:
    """('offline' | 'rate' | 'concurrency' | 'unknown', its value, the run's requests) from the
    ``batch_or_concurrency`` column (and the notes, for the request count)."""
    low = text.lower()
    count = re.search(r"(?<![0-9,])([0-9][0-9,]{0,12})\s+requests", f"{text} {notes}")
    requests = int(count.group(1).replace(",", "")) if count else None
    if "offline" in low or "max-throughput" in low:
        return "offline", None, requests
    rate = re.search(r"rate\s*=\s*(inf|[0-9]{0,9}\.?[0-9]+)", low)
    if rate:
        value = math.inf if rate.group(1) == "inf" else float(rate.group(1))
        return "rate", value, requests
    users = re.search(r"(?:concurrency|batch)\s*=\s*([0-9]{1,9})", low)
    if users:
        return "concurrency", float(users.group(1)), requests
    if "single stream" in low:
        return "concurrency", 1.0, requests
    return "unknown", None, requests


def parse_public_tsv(text: str, path: str) -> Measurement:
    reader = csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != COLUMNS:
        raise InputError(
            f"{path}: line 1: the header must be the public table's {len(COLUMNS)} columns, "
            f"tab-separated: {' '.join(COLUMNS)}"
        )
    points: list[Point] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        where = f"{path}: line {number}"
        if len(points) >= MAX_ROWS:
            raise InputError(f"{path}: more than {MAX_ROWS:,} rows")
        if len(cells) != len(COLUMNS):
            raise InputError(f"{where}: {len(cells)} columns, the header has {len(COLUMNS)}")
        row = dict(zip(COLUMNS, (c.strip() for c in cells), strict=True))
        metric = row["metric"]
        if metric not in METRICS:
            raise InputError(
                f"{where}: metric {metric!r} is not one of the table's: {', '.join(METRICS)}"
            )
        field, unit, scale = METRICS[metric]
        if row["unit"] != unit:
            raise InputError(f"{where}: {metric} is in {unit!r}, not {row['unit']!r}")
        try:
            value = float(row["value"].replace(",", ""))
        except ValueError:
            raise InputError(f"{where}: value {row['value']!r} is not a number") from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(f"{where}: value must be a positive number, got {row['value']!r}")
        kind, load, requests = load_of(row["batch_or_concurrency"], row["notes"])
        info = TableRow(
            table=row["source_title"],
            source=row["source_url"],
            engine=row["engine"],
            engine_version=row["engine_version"],
            model=row["model"],
            precision=row["precision"],
            gpu=row["gpu"],
            num_gpus=_count(row["num_gpus"], where, "num_gpus"),
            tp=_count(row["tp"], where, "tp"),
            pp=_count(row["pp"], where, "pp"),
            load=row["batch_or_concurrency"],
            metric=metric,
            notes=row["notes"],
            lengths_stated=bool(row["isl"] and row["osl"]),
        )
        isl = _tokens(row["isl"], where, "isl")
        osl = _tokens(row["osl"], where, "osl")
        concurrency = int(load) if kind == "concurrency" and load else None
        points.append(
            Point(
                batch=concurrency or 1,
                input_tokens=isl or 0.0,
                output_tokens=osl or 0.0,
                concurrency=concurrency,
                request_rate=load if kind == "rate" else None,
                num_requests=requests,
                offline=kind == "offline",
                line=number,
                row=info,
                **{field: value * scale},  # type: ignore[arg-type]
            )
        )
    if not points:
        raise InputError(f"{path}: the table has a header but no rows")
    return Measurement(
        path=path, format="public-tsv", model_name="", points=tuple(points), kind="serving"
    )
