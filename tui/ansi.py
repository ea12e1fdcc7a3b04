"""plotext's output straight to Textual strips.

plotext emits only colour codes (24-bit or 256-colour foreground and background, bold) and
resets. Rich's general decoder, and Textual's conversion of the resulting Text at every repaint,
cost ~25 ms for a 120-column chart; building strips from segments here costs ~3 ms once.
:func:`matrix_to_strips` skips the text altogether: it reads plotext's cell matrix (a character
and a colour triple per cell) and makes one segment per run of cells of one colour, each triple
turned into a Style once (through the escape code plotext would have written for it, so the two
paths agree cell for cell); that saves plotext's string building and its decoding (~8 ms a chart).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _color(params: list[str]) -> Color | None:
    if params[:1] == ["2"] and len(params) >= 4:
        return Color.from_rgb(int(params[1]), int(params[2]), int(params[3]))
    if params[:1] == ["5"] and len(params) >= 2:
        return Color.from_ansi(int(params[1]))
    return None


@lru_cache(maxsize=512)
def _style(fg: str | None, bg: str | None, bold: bool) -> Style | None:
    if not (fg or bg or bold):
        return None
    return Style(
        color=_color(fg.split(";")[1:]) if fg else None,
        bgcolor=_color(bg.split(";")[1:]) if bg else None,
        bold=bold or None,
    )


@lru_cache(maxsize=256)
def _split(params: str) -> tuple[str, ...]:
    """'48;2;30;30;30' -> one code; '0;38;5;4' -> ('0', '38;5;4')."""
    out: list[str] = []
    parts = params.split(";")
    i = 0
    while i < len(parts):
        if parts[i] in ("38", "48") and i + 1 < len(parts):
            n = 5 if parts[i + 1] == "2" else 3
            out.append(";".join(parts[i : i + n]))
            i += n
        else:
            out.append(parts[i])
            i += 1
    return tuple(out)


def styled_runs(ansi: str) -> Iterator[tuple[str, Style | None]]:
    """The text between escape codes, each run with the style in force (unknown codes are
    ignored; newlines stay inside the runs)."""
    fg: str | None = None
    bg: str | None = None
    bold = False
    pos = 0
    for match in _SGR.finditer(ansi):
        if match.start() > pos:
            yield ansi[pos : match.start()], _style(fg, bg, bold)
        pos = match.end()
        for code in _split(match.group(1)):
            if code in ("", "0"):
                fg, bg, bold = None, None, False
            elif code == "1":
                bold = True
            elif code.startswith("38;"):
                fg = code
            elif code.startswith("48;"):
                bg = code
            elif code == "39":
                fg = None
            elif code == "49":
                bg = None
    if pos < len(ansi):
        yield ansi[pos:], _style(fg, bg, bold)


def ansi_to_strips(ansi: str, width: int) -> list[Strip]:
    """One Strip per line of ``ansi``, cropped or padded to ``width`` cells."""
    lines: list[list[Segment]] = [[]]
    for text, style in styled_runs(ansi):
        for k, part in enumerate(text.split("\n")):
            if k:
                lines.append([])
            if part:
                lines[-1].append(Segment(part, style))
    return [Strip(segments).adjust_cell_length(width) for segments in lines]


@lru_cache(maxsize=1024)
def sgr_style(codes: str) -> Style | None:
    """The style of a run that begins with the escape codes ``codes`` (as :func:`styled_runs`
    gives it)."""
    return next((style for _, style in styled_runs(codes + " ")), None)


def matrix_to_strips(
    markers: Sequence[Sequence[str]],
    layers: tuple[Sequence[Sequence[Any]], Sequence[Sequence[Any]], Sequence[Sequence[Any]]],
    width: int,
    codes_of: Callable[[tuple[Any, Any, Any]], str],
) -> list[Strip]:
    """One Strip per row of plotext's matrix, top row first (plotext keeps the bottom row first),
    cropped or padded to ``width``: ``layers`` are its colour matrices (foreground, style,
    background: ``layers[k][row][col]``), ``codes_of`` the escape codes plotext writes for a
    cell's three colours."""
    styles: dict[tuple[Any, Any, Any], Style | None] = {}
    out: list[Strip] = []
    fgs, sts, bgs = layers
    for row in range(len(markers) - 1, -1, -1):
        chars, fg, st, bg = markers[row], fgs[row], sts[row], bgs[row]
        segments: list[Segment] = []
        start, n = 0, len(chars)
        for col in range(1, n + 1):
            if col < n and fg[col] == fg[start] and st[col] == st[start] and bg[col] == bg[start]:
                continue
            key = (fg[start], st[start], bg[start])
            if key not in styles:
                styles[key] = sgr_style(codes_of(key))
            segments.append(Segment("".join(chars[start:col]), styles[key]))
            start = col
        # one cell a character (plotext draws no wide ones): the length is known
        out.append(Strip(segments, n).adjust_cell_length(width))
    return out
