"""Reading a file tokentui is given, bounded: one reader for TOML, JSON and results files.

Only a regular file is read (a FIFO, ``/dev/zero`` or a terminal would block or never end), and at
most ``limit`` bytes of it; it must be UTF-8. JSON is parsed with a bound on its nesting and on
the digits of its numbers. Every failure is an :class:`InputError` that names the file and says
what is wrong, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from engine.errors import InputError

MIB = 1024 * 1024
#: A catalog entry, preset or profile is a few kB; a Hugging Face config.json under 1 MB.
MAX_CONFIG_BYTES = 4 * MIB
#: A results file: tens of thousands of timed requests.
MAX_RESULTS_BYTES = 256 * MIB
#: Digits of an integer in a JSON file: more than any count or time (2**64 has 20).
MAX_JSON_DIGITS = 40

_KINDS = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a named pipe (FIFO)"),
    (stat.S_ISCHR, "is a device"),
    (stat.S_ISBLK, "is a device"),
    (stat.S_ISSOCK, "is a socket"),
)


def _not_regular(mode: int) -> str:
    return next((why for test, why in _KINDS if test(mode)), "is not a regular file")


def toml_files(folder: Path) -> list[Path]:
    """The ``*.toml`` files in ``folder`` (not hidden ones), sorted; none when there is no such
    folder; :class:`InputError` when it cannot be listed (no permission): said, never taken for
    an empty folder."""
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        raise InputError(f"{folder}: cannot be read ({exc.strerror or exc})") from None
    return sorted(folder / n for n in names if n.endswith(".toml") and not n.startswith("."))


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"{path}: {_not_regular(mode)}; give a regular file")
    with os.fdopen(fd, "rb") as fh:
        try:
            data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit // MIB} MiB, the most tokentui reads")
    return data


def read_text(path: Path, limit: int) -> str:
    """The UTF-8 text of the regular file ``path`` (see :func:`read_bytes`)."""
    try:
        return read_bytes(path, limit).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be read (not UTF-8 text at byte {exc.start:,})") from None


def _json_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_JSON_DIGITS:
        raise ValueError(f"an integer of {digits:,} digits (at most {MAX_JSON_DIGITS})")
    return int(text)


def loads_json(text: str) -> Any:
    """``json.loads``, but an integer of more than :data:`MAX_JSON_DIGITS` digits or nesting
    deeper than Python's stack is a :class:`json.JSONDecodeError` (as a syntax error is), not a
    ``ValueError`` or ``RecursionError`` from deep inside the parser."""
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as exc:
        found = re.search(rf"\d{{{MAX_JSON_DIGITS + 1},}}", text)
        raise json.JSONDecodeError(str(exc), text, found.start() if found else 0) from None
