"""Numbers as people read them: bytes and seconds with their unit."""

from __future__ import annotations

from engine.physics.deployment import Deployment


def human_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def human_seconds(t: float) -> str:
    if t >= 100:
        return f"{t:.0f} s"
    if t >= 1:
        return f"{t:.2f} s"
    return f"{t * 1e3:.1f} ms"


def layout_words(d: Deployment) -> str:
    """A deployment's parallel layout in words: 'TP 4', 'TP 2 x PP 3', 'TP 1, EP 8'."""
    words = f"TP {d.tp}" + (f" x PP {d.pp}" if d.pp > 1 else "")
    return words + (f", EP {d.ep}" if d.ep > 1 else "")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun, singular for one: '1 GPU', '4 GPUs', '1,485 points'."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
