"""Checked numbers from a results file, shared by the readers."""

from __future__ import annotations

import math
from typing import Any

from engine.errors import InputError


def number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def positive(value: Any, where: str) -> float:
    x = number(value, where)
    if x <= 0:
        raise InputError(f"{where}: must be positive, got {value!r}")
    return x


def field(row: dict[str, Any], name: str, where: str) -> Any:
    if name not in row:
        raise InputError(f"{where}: missing field {name!r}")
    return row[name]


def text_number(value: str, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return x
