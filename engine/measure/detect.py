"""Which format a results file is in, detected from its content (never its name), and reading it.

A file of no known format is refused with the formats accepted (:data:`FORMATS`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.measure.formats import ACCEPTED
from engine.measure.formats.llama_bench import (
    LLAMA_BENCH_KEYS,
    csv_rows,
    is_llama_bench,
    parse_llama_bench,
)
from engine.measure.formats.nim_csv import NIM_COLUMNS, parse_nim_csv
from engine.measure.formats.ollama import is_ollama, parse_ollama
from engine.measure.formats.public_tsv import is_public_tsv, parse_public_tsv
from engine.measure.formats.seed_json import parse_seed_json
from engine.measure.formats.tokentui_bench import is_tokentui_bench, parse_tokentui_bench
from engine.measure.formats.vllm_serve import is_vllm_serve, parse_vllm_serve
from engine.measure.points import Measurement
from engine.storage.files import MAX_RESULTS_BYTES, loads_json, read_text


def _unknown(path: str, why: str) -> InputError:
    return InputError(f"{path}: not a benchmark file tokentui reads ({why}); {ACCEPTED}")


def _json_lines(text: str) -> list[Any] | None:
    """Each non-empty line a JSON value, or None when some line is not."""
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(loads_json(line))
            except json.JSONDecodeError:
                return None
    return out or None


def parse_objects(objs: list[Any], path: str) -> Measurement:
    """Detect the format of parsed JSON values (a whole file's, or one per line)."""
    if len(objs) == 1 and isinstance(objs[0], list):
        objs = objs[0]
    if not objs:
        raise _unknown(path, "an empty JSON list")
    dicts = [o for o in objs if isinstance(o, dict)]
    if len(dicts) != len(objs):
        raise _unknown(path, "JSON values that are not objects")
    first = dicts[0]
    if is_tokentui_bench(first):
        if len(dicts) > 1:
            raise InputError(f"{path}: several tokentui-bench runs; give one per file")
        return parse_tokentui_bench(first, path)
    if "metadata" in first and "results" in first:
        if len(dicts) > 1:
            raise InputError(f"{path}: several seed benchmark objects; give one per file")
        return parse_seed_json(first, path)
    detectors: list[tuple[Callable[[Any], bool], Callable[[Any, str], Measurement]]] = [
        (is_vllm_serve, parse_vllm_serve),
        (is_llama_bench, parse_llama_bench),
    ]
    for test, parser in detectors:
        if test(first):
            return parser(dicts, path)
    if any(is_ollama(o) for o in dicts) or all("done" in o and "model" in o for o in dicts):
        return parse_ollama(dicts, path)
    keys = ", ".join(sorted(first)[:8]) + (" ..." if len(first) > 8 else "")
    raise _unknown(path, f"JSON with fields {keys}")


def parse_csv(text: str, path: str) -> Measurement:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as exc:
        raise _unknown(path, f"CSV that cannot be read: {exc}") from None
    if all(c in header for c in NIM_COLUMNS):
        return parse_nim_csv(rows, path)
    if all(c in header for c in LLAMA_BENCH_KEYS) and ("avg_ns" in header or "avg_ts" in header):
        return parse_llama_bench(csv_rows(rows, path), path)
    missing = [c for c in NIM_COLUMNS if c not in header]
    raise _unknown(path, f"a CSV without the NIM columns {', '.join(missing)}")


def parse_text(text: str, path: str) -> Measurement:
    """Detect the format of a file's text and read it."""
    stripped = text.strip()
    if not stripped:
        raise _unknown(path, "the file is empty")
    if stripped[0] in "[{":
        try:
            return parse_objects([loads_json(stripped)], path)
        except json.JSONDecodeError as exc:
            lines = _json_lines(stripped)
            if lines is not None:
                return parse_objects(lines, path)
            raise _unknown(
                path, f"broken JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
    if is_public_tsv(text.lstrip("\ufeff")):  # line numbers count from the file's first line
        return parse_public_tsv(text.lstrip("\ufeff"), path)
    first_line = stripped.splitlines()[0]
    if "," in first_line:
        return parse_csv(stripped, path)
    raise _unknown(path, "neither JSON nor CSV")


def load_measurement(path: Path) -> Measurement:
    """Read a benchmark file (a regular file of UTF-8 text, at most
    :data:`~engine.storage.files.MAX_RESULTS_BYTES`), detecting its format from its content."""
    return parse_text(read_text(path, MAX_RESULTS_BYTES), str(path))
