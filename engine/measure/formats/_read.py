"""Checked numbers from a results file, shared by the readers."""

from __future__ import annotations

import math
from typing import Any

from engine.errors import InputError


def number(value: Any, where: str) -> float:
    """``value`` as a finite float, else :class:`InputError` (a bool, a string, nan, inf, an
    integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: expected a number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:
        raise InputError(
            f"{where}: expected a number, got an integer too large for a float"
        ) from None
    if not math.isfinite(x):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return x


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
