"""The charts' colours: 24-bit ones (named ones are remapped by terminal palettes and themes),
made legible on the theme's background when a chart is built (WCAG's 3:1 for graphics)."""

from __future__ import annotations

import re
from functools import lru_cache

RGB = tuple[int, int, int]
BLUE, CYAN, ORANGE, YELLOW = (66, 135, 245), (0, 200, 215), (255, 145, 30), (240, 210, 60)
RED, GREEN, MAGENTA, GREY = (235, 60, 60), (60, 190, 90), (200, 90, 220), (140, 140, 140)
REAL, IDEAL, REQ, REQ_IDEAL = BLUE, CYAN, ORANGE, YELLOW
COMPUTE, MEMORY, FG = BLUE, RED, "default"
SELECTED = GREEN  # the selected point of the load axis, an O
#: The least contrast of a line or mark with the background (WCAG's for graphics: 3:1).
CONTRAST = 3.0


def _luminance(rgb: RGB) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """The WCAG contrast ratio of two colours (1 to 21)."""
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@lru_cache(maxsize=1024)
def legible(rgb: RGB, bg: RGB, ratio: float = CONTRAST) -> RGB:
    """``rgb``, or the nearest shade of it (towards black on a light background, white on a
    dark one) with at least ``ratio`` contrast against ``bg``."""
    if contrast(rgb, bg) >= ratio:
        return rgb
    end = (0, 0, 0) if _luminance(bg) > 0.18 else (255, 255, 255)
    for k in range(1, 21):
        c = tuple(round(a + (e - a) * k / 20) for a, e in zip(rgb, end, strict=True))
        if contrast((c[0], c[1], c[2]), bg) >= ratio:
            return c[0], c[1], c[2]
    return end


_FG24 = re.compile(r"38;2;(\d+);(\d+);(\d+)")


def recolour(ansi: str, bg: RGB) -> str:
    """Every 24-bit foreground colour of ``ansi`` made :func:`legible` on ``bg``."""

    def sub(m: re.Match[str]) -> str:
        r, g, b = legible((int(m[1]), int(m[2]), int(m[3])), bg)
        return f"38;2;{r};{g};{b}"

    return _FG24.sub(sub, ansi)
