"""Round ticks (1, 2 or 5 x 10^k) for linear and log axes, and the labels of ticks."""

from __future__ import annotations

import math


def round_125(value: float, down: bool) -> float:
    """The 1-2-5 value (1, 2, 5, 10, 20 ... times a power of ten) at or below (``down``) or at
    or above ``value``."""
    e = math.floor(math.log10(value))
    steps = [m * 10.0**k for k in (e - 1, e, e + 1) for m in (1, 2, 5)]
    if down:
        return max(v for v in steps if v <= value * 1.0001)
    return min(v for v in steps if v >= value / 1.0001)


def decade_ticks(lo: float, hi: float, most: int = 9, enclose: bool = False) -> list[float]:
    """Ticks of a log axis: 1-2-5 x 10^k between lo and hi (``enclose``: from the one at or below
    lo to the one at or above hi), thinned to at most ``most`` (1-5, then powers of ten, then
    every other one); the values around the range when fewer than two are inside."""
    lo, hi = max(lo, 1e-12), max(hi, lo * 1.0001)
    es = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2)
    ticks: list[float] = []
    for mantissas in ((1, 2, 5), (1, 5), (1,)):
        every = sorted(float(f"{m * 10.0**e:.12g}") for e in es for m in mantissas)
        start, end = lo / 1.0001, hi * 1.0001
        if enclose:
            start = max(v for v in every if v <= start * 1.0002)
            end = min(v for v in every if v >= end / 1.0002)
        ticks = [v for v in every if start <= v <= end]
        if len(ticks) <= max(most, 2):
            break
    if len(ticks) < 2 and not enclose:
        return decade_ticks(lo, hi, most, enclose=True)
    thinned = ticks[:: max(1, math.ceil(len(ticks) / max(most, 2)))]
    return thinned if thinned[-1] == ticks[-1] or not enclose else [*thinned, ticks[-1]]


def log10_ticks(lo: float, hi: float, fmt: str = "{}") -> tuple[list[float], list[str]]:
    """1-2-5 ticks between lo and hi, on a log10 axis."""
    ticks = decade_ticks(lo, hi, most=7)
    return [math.log10(t) for t in ticks], [fmt.format(short(t)) for t in ticks]


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Ticks of a linear axis from the multiple at or below ``lo`` to the one at or above ``hi``
    of a round step (1, 2 or 5 x 10^k), at most ``most`` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10, 20):
        step = m * power
        first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
        if last - first + 1 <= most:
            break
    return [float(f"{k * step:.12g}") for k in range(first, last + 1)]


def time_label(t: float) -> str:
    """A duration as a tick label: 500µs, 20ms, 1.5s, 1,000s."""
    if t >= 1000:
        return f"{t:,.0f}s"
    if t >= 1:
        return f"{t:.3g}s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g}ms"
    return f"{t * 1e6:.3g}µs"


def short(v: float) -> str:
    if math.isinf(v):
        return "inf"
    for unit, size in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    if abs(v) >= 1 or v == 0:
        return f"{v:g}"
    return f"{v:.2g}"
