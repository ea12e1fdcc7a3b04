"""The chart's ANSI decoder gives what Rich's general decoder gives, cell for cell."""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.text import Text
from support import app_from_args

from tui.ansi import ansi_to_strips
from tui.charts import Chart
from tui.charts.colours import recolour

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


SERVING = ("--concurrency", "1..64", "--model", "llama-3.1-8b", "--gpus", "1")


@pytest.mark.parametrize("args", [(), SERVING])
async def test_strips_from_the_matrix_are_those_of_plotexts_text(args: tuple[str, ...]) -> None:
    """Every chart built from plotext's cell matrix equals, cell for cell, the strips decoded
    from the ANSI text plotext writes for the same matrix (the path it replaced)."""
    app = app_from_args(*args)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for key in "12345689":
            app.main.query_one("#charts").focus()
            await pilot.press(key)
            await pilot.pause()
            chart = app.main.visible_chart()
            width, height = chart.size
            chart.render_line(0)
            if chart.note:
                continue
            new = Chart.build_strips(chart, width, height)
            old = ansi_to_strips(
                recolour(chart.plt.monitor.matrix.set_canvas(), chart.surface()), width
            )
            assert len(new) == len(old) - 1 > 0  # the text ends in a newline: one row more
            for a, b in zip(new, old[:-1], strict=True):
                assert cells(list(a)) == cells(list(b))
