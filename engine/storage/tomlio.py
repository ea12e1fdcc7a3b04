"""Reading TOML files and checking their fields: one reader for the catalog, presets and profiles.

A file that is missing, unreadable or malformed, a field of the wrong type, a missing or unknown
field: each is an :class:`InputError` naming the file, the field and the reason.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.errors import InputError

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


def read_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file; a missing, unreadable or malformed file raises :class:`InputError`."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
