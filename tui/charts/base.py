"""What every chart shares: the colours, log-axis ticks, the load axis and the Chart base class.

Every chart uses its widget's own ``plt`` (never the global plotext module), clears and redraws
in :meth:`Chart.show`, then refreshes. Log scales crash textual-plotext on re-render, so log axes
are drawn as log2/log10 of the values on a linear axis with readable tick labels.
"""

from __future__ import annotations

import math
import re
import textwrap
import time
from collections.abc import Sequence

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.strip import Strip
from textual_plotext import PlotextPlot

from engine.physics.serving import ServingRun
from engine.views.dashboard import Dashboard
from tui.ansi import ansi_to_strips

# 24-bit colours: named ones are remapped by terminal palettes and themes.
BLUE, CYAN, ORANGE, YELLOW = (66, 135, 245), (0, 200, 215), (255, 145, 30), (240, 210, 60)
RED, GREEN, MAGENTA, GREY = (235, 60, 60), (60, 190, 90), (200, 90, 220), (140, 140, 140)
REAL, IDEAL, REQ, REQ_IDEAL = BLUE, CYAN, ORANGE, YELLOW
COMPUTE, MEMORY, FG = BLUE, RED, "default"
Measured = Sequence[tuple[float, float]]  # (batch, total tokens/s) points


def log2_ticks(values: Sequence[float]) -> tuple[list[float], list[str]]:
    vals = sorted({float(v) for v in values if v > 0})
    return [math.log2(v) for v in vals], [short(v) for v in vals]


def pow2_ticks(lo: float, hi: float, most: int = 9) -> tuple[list[float], list[str]]:
    """Powers of two between lo and hi (thinned to at most ``most``), on a log2 axis, labelled
    the way token counts are spoken: 512, 1k, 8k, 128k."""
    a, b = math.ceil(math.log2(max(lo, 1e-9))), math.floor(math.log2(max(hi, lo * 2)))
    exps = list(range(a, b + 1)) or [a]
    step = max(1, math.ceil(len(exps) / most))
    exps = exps[::step]
    return [float(e) for e in exps], [_pow2_label(e) for e in exps]


def _pow2_label(e: int) -> str:
    if e >= 20:
        return f"{2 ** (e - 20)}M"
    if e >= 10:
        return f"{2 ** (e - 10)}k"
    return f"{2**e:g}" if e >= 0 else f"{2.0**e:g}"


def log10_ticks(lo: float, hi: float, fmt: str = "{}") -> tuple[list[float], list[str]]:
    """1-2-5 ticks between lo and hi, on a log10 axis."""
    lo, hi = max(lo, 1e-12), max(hi, lo * 1.0001)
    ticks: list[float] = []
    for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**e
            if lo / 1.0001 <= v <= hi * 1.0001:
                ticks.append(v)
    if len(ticks) > 7:
        ticks = [t for t in ticks if f"{t:.0e}".startswith("1")]
    if len(ticks) < 2:
        ticks = [lo, hi]
    return [math.log10(t) for t in ticks], [fmt.format(short(t)) for t in ticks]


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
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(v) >= size:
            return f"{v / size:g}{unit}"
    if abs(v) >= 1 or v == 0:
        return f"{v:g}"
    return f"{v:.2g}"


_SGR = re.compile(r"\x1b\[[0-9;]*m")

#: How the x axis of a load is labelled.
AXIS_LABELS = {
    "batch": "batch size (requests, log scale)",
    "concurrency": "concurrency (users in a closed loop, log scale)",
    "rate": "request rate (requests/s, log scale; inf: all at once)",
    "requests": "requests queued at once (log scale)",
}
#: The same, on an axis of one bar per load (not a log scale).
AXIS_NAMES = {
    "batch": "batch size (requests)",
    "concurrency": "concurrency (users)",
    "rate": "request rate (requests/s)",
    "requests": "requests queued",
}
#: What a point of each load axis is called in a chart's labels: 8 users, 4/s.
AXIS_UNITS = {"rate": "/s"}


def serving_run(d: Dashboard) -> ServingRun | None:
    """The run of a serving load (concurrency, rate, offline), or None for the static batch."""
    return d.run if isinstance(d.run, ServingRun) else None


def load_positions(loads: Sequence[float]) -> list[float]:
    """Where each load sits on a log2 axis; ``inf`` (a rate: all at once) one step past the
    largest finite load."""
    finite = [v for v in loads if math.isfinite(v) and v > 0]
    top = math.log2(max(finite)) if finite else 0.0
    return [math.log2(v) if math.isfinite(v) else top + 1.0 for v in loads]


class Chart(PlotextPlot):
    """Base: a chart that knows how to draw itself from a Dashboard."""

    ALLOW_MAXIMIZE = True
    LABEL = ""  # the tab's label

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dashboard: Dashboard | None = None
        self.measured: Measured = ()
        self.draws = 0  # how many times the chart was rebuilt (tests and benchmarks read it)
        self.last_render = 0.0
        self.note = ""  # shown instead of a plot when the scenario has nothing to draw here
        self._title: tuple[str, ...] = ()
        self._drawn_for: tuple[object, ...] = ()  # the theme and size of the last draw
        self._strips: list[Strip] = []
        self._built_for: tuple[object, ...] = ()

    def render_line(self, y: int) -> Strip:
        """The line API: the plot is built only when its data, size or theme changed (not on
        every repaint), and turned straight into strips (PlotextPlot renders a Text, which
        Textual must convert again at every repaint: ~5x slower for a large chart)."""
        key = (self.size, self.app.theme, self.draws)
        if key != self._built_for:
            if self.dashboard is not None and (self.app.theme, self.size) != self._drawn_for:
                self._draw(self.dashboard)  # a new theme, or a size the layout was not made for
            width, height = self.size
            if self.note:
                self._strips = self._note_strips(width, height)
            else:
                self.plt.plotsize(width, height)
                self.plt._set_size(width, height)  # as PlotextPlot.render: resizing needs both
                self.plt.theme(self._get_plotext_theme_name(self.app.theme))
                self._strips = ansi_to_strips(self._build_titled(), width)
            self._built_for = key
            self.last_render = time.perf_counter()  # benchmarks: when the chart was last drawn
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    def _note_strips(self, width: int, height: int) -> list[Strip]:
        """The note, wrapped and centred, in the theme's muted text on its surface."""
        variables = self.app.theme_variables
        fg = Color.parse(variables.get("foreground-muted", variables.get("foreground", "grey")))
        bg = Color.parse(variables.get("surface", "black"))
        style = Style(
            color=RichColor.from_rgb(*(bg + fg).rgb),  # the alpha of a muted colour, on bg
            bgcolor=RichColor.from_rgb(*bg.rgb),
            italic=True,
        )
        lines = textwrap.wrap(self.note, max(10, width - 4)) or [""]
        top = max(0, (height - len(lines)) // 2)
        out = [Strip([Segment(" " * width, style)]) for _ in range(height)]
        for i, line in enumerate(lines[: max(0, height - top)]):
            out[top + i] = Strip([Segment(line.center(width)[:width], style)])
        return out

    def show(self, d: Dashboard, measured: Measured = ()) -> None:
        self.dashboard, self.measured = d, measured
        self._draw(d)
        self.draws += 1
        self.refresh()

    def _draw(self, d: Dashboard) -> None:
        """Draw on the theme's colours and for the chart's size: plotext gives a text (a label, a
        mark) the background of the canvas at the time it is placed, so the theme comes first,
        and a chart places some by its size in cells; a new theme or size redraws."""
        self.note, self._title = "", ()
        self.plt.clear_figure()
        self._drawn_for = (self.app.theme, self.size)
        self._register_theme(self.app.theme)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        self.draw(d)

    def draw(self, d: Dashboard) -> None:  # pragma: no cover - every chart overrides it
        raise NotImplementedError

    def set_title(self, *parts: str) -> None:
        """The first part always; the others while they fit the chart's width (fitted when the
        chart is built at its size: a chart drawn while hidden has none yet)."""
        self._title = tuple(p for p in parts if p)
        self.plt.title(" · ".join(self._title))

    def _build_titled(self) -> str:
        """Build the plot with the longest title plotext shows: it centres the title on the
        canvas and leaves out one that would cross the widget's edge, and where the canvas sits
        depends on the tick labels, so the fit is found by building (one build when it fits)."""
        parts = self._title
        for n in range(len(parts), 0, -1):
            text = " · ".join(parts[:n])
            self.plt.title(text)
            out = self.plt.build()
            if n == 1 or text in _SGR.sub("", out.split("\n", 1)[0]):
                return out
        return self.plt.build()

    def load_axis(self, d: Dashboard) -> list[float]:
        """The x axis: the scenario's load (batch sizes, users, rates), on a log2 scale."""
        xs = load_positions(d.loads)
        self.plt.xticks(xs, [short(v) for v in d.loads])
        self.plt.xlabel(AXIS_LABELS.get(d.axis, f"{d.axis} (log scale)"))
        if len(xs) == 1:  # one point: give it room on both sides
            self.plt.xlim(xs[0] - 1, xs[0] + 1)
        return xs

    def mark_wall(self, d: Dashboard) -> bool:
        """A vertical line where the running batch reaches its wall (the KV cache, the engine's
        sequence cap or its token budget), when that falls inside the sweep; whether it does."""
        top, xs = d.run.wall, load_positions(d.loads)
        finite = [v for v in d.loads if math.isfinite(v)]
        if not (math.isfinite(top) and top > 0 and finite):
            return False
        x = math.log2(top)
        if finite[0] <= top and x < xs[-1] and (top < finite[-1] or len(finite) < len(xs)):
            self.plt.vline(x, GREY)
            return True
        return False
