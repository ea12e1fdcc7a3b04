"""plotext's ANSI output straight to Textual strips.

plotext emits only colour codes (24-bit or 256-colour foreground and background, bold) and
resets. Rich's general decoder, and Textual's conversion of the resulting Text at every repaint,
cost ~25 ms for a 120-column chart; building strips from segments here costs ~3 ms once, which
keeps a key press to a redrawn chart under 100 ms.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

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
