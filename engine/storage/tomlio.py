"""Reading TOML files and checking their fields: one reader for the catalog, presets and profiles.

A file that is missing, unreadable, not a regular file, larger than
:data:`~engine.storage.files.MAX_CONFIG_BYTES` or malformed (nested too deeply, an integer beyond
TOML's 64 bits, ``nan``), a field of the wrong type, a missing or unknown field, a number out of
its range, text with control characters: each is an :class:`InputError` naming the file, the field
and the reason.
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.storage.files import MAX_CONFIG_BYTES, read_text

#: TOML's integers are 64-bit signed (the spec: a larger one is an error).
MAX_TOML_INT = 2**63 - 1
#: Unicode categories refused in text that names or describes something: controls (ESC, BEL,
#: newline ...), format characters (bidirectional overrides) and line or paragraph separators.
CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a table",
    list: "a list",
}


def check_type(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def check_fields(
    data: Mapping[str, Any], spec: Mapping[str, tuple[type, bool]], where: str
) -> dict[str, Any]:
    """Check ``data`` against a field spec; returns a copy. ``where`` prefixes every message."""
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise InputError(
            f"{where}: unknown field {unknown[0]!r} (accepted: {', '.join(sorted(spec))})"
        )
    for name, (kind, required) in spec.items():
        if name not in data:
            if required:
                raise InputError(f"{where}: missing field {name!r}")
            continue
        if not check_type(data[name], kind):
            raise InputError(
                f"{where}: field {name!r} must be {_TYPE_NAMES[kind]}, got {data[name]!r}"
            )
    return dict(data)


def check_finite(value: Any, key: str, where: str) -> None:
    """TOML allows inf and nan; no field tokentui reads does."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where}: field {key!r} must be a finite number, got {value}")
    if isinstance(value, dict):
        for k, v in value.items():
            check_finite(v, f"{key}.{k}" if key else k, where)
    elif isinstance(value, list):
        for v in value:
            check_finite(v, key, where)


def check_range(
    value: float, key: str, where: str, low: float, high: float, *, low_open: bool = True
) -> None:
    """``value`` lies in (``low``, ``high``] (``[low, high]`` with ``low_open=False``), else
    :class:`InputError` naming the field and the range."""
    above = value > low if low_open else value >= low
    if not (above and value <= high):
        opening = "(" if low_open else "["
        raise InputError(
            f"{where}: field {key!r} must be in {opening}{_shown(low)}, {_shown(high)}], "
            f"got {value!r}"
        )


def _shown(bound: float) -> str:
    return f"{bound:,.0f}" if float(bound).is_integer() else f"{bound:g}"


def check_text(value: str, where: str) -> str:
    """``value`` if it holds no control, format or separator character (which a terminal would
    act on: ESC, BEL, a bidirectional override), else :class:`InputError` naming the first."""
    bad = next((c for c in value if unicodedata.category(c) in CONTROL_CATEGORIES), None)
    if bad is not None:
        raise InputError(f"{where} contains the control character U+{ord(bad):04X}")
    return value


def _numbers(value: Any, key: str = "") -> Iterator[tuple[str, int | float]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, f"{key}.{k}" if key else k)
    elif isinstance(value, list):
        for v in value:
            yield from _numbers(v, key)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield key, value


def _check_numbers(data: dict[str, Any], path: Path) -> None:
    """No integer beyond TOML's 64 bits (tomllib reads any size) and no ``nan`` (no field
    tokentui reads is 'not a number')."""
    for key, value in _numbers(data):
        if isinstance(value, int) and abs(value) > MAX_TOML_INT:
            raise InputError(
                f"{path}: field {key!r} is an integer of {len(str(abs(value))):,} digits, beyond "
                f"TOML's 64 bits (at most {MAX_TOML_INT:,})"
            )
        if isinstance(value, float) and math.isnan(value):
            raise InputError(f"{path}: field {key!r} must be a finite number, got nan")


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file (see the module docstring): :class:`InputError` for a missing,
    unreadable, oversized or malformed file."""
    text = read_text(path, MAX_CONFIG_BYTES)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: not valid TOML (nested too deeply)") from None
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        raise InputError(f"{path}: not valid TOML (an integer of more than 4,300 digits)") from None
    _check_numbers(data, path)
    return data
