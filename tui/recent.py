"""Recently loaded benchmark files, kept in ``<config>/recent-benchmarks.txt`` (one path a line)."""

from __future__ import annotations

import contextlib

from engine.errors import InputError
from engine.storage.paths import atomic_write, config_dir

MAX_RECENT = 10


def load_recent() -> list[str]:
    path = config_dir() / "recent-benchmarks.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    return [line for line in lines if line.strip()][:MAX_RECENT]


def remember(file: str) -> None:
    """Put ``file`` first in the list; a failure to write is not worth bothering anyone."""
    files = [file, *(f for f in load_recent() if f != file)][:MAX_RECENT]
    with contextlib.suppress(InputError):
        atomic_write(config_dir() / "recent-benchmarks.txt", ("\n".join(files) + "\n").encode())
