"""The chart's ANSI decoder gives what Rich's general decoder gives, cell for cell."""

from __future__ import annotations

from rich.segment import Segment
from rich.text import Text

from tui.ansi import ansi_to_strips

SAMPLE = (
    "\x1b[48;2;30;30;30m  \x1b[0m\x1b[48;2;30;30;30m\x1b[38;2;224;224;224m┌──┐\x1b[0m\n"
    "\x1b[38;5;4m▞▞\x1b[0m total \x1b[1;38;2;66;135;245mX\x1b[0m\n"
    "plain line"
)


def cells(segments: list[Segment]) -> list[tuple[str, object]]:
    return [(ch, seg.style) for seg in segments for ch in seg.text]


def test_strips_match_rich_decoding() -> None:
    width = 12
    strips = ansi_to_strips(SAMPLE, width)
    lines = Text.from_ansi(SAMPLE).split("\n")
    assert len(strips) == len(lines) == 3
    for strip, line in zip(strips, lines, strict=True):
        assert strip.cell_length == width
        expected = cells(list(line.render(console=_console())))
        got = cells(list(strip))[: len(expected)]
        assert [c for c, _ in got] == [c for c, _ in expected]
        assert [s for _, s in got] == [s or None for _, s in expected]


def _console():  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(width=80, color_system="truecolor", force_terminal=True)
