"""What every chart shares: the colours, the ticks, the load axis, the legend and the Chart base.

Every chart uses its widget's own ``plt`` (never the global plotext module), clears and redraws
in :meth:`Chart.show`, then refreshes. Log scales crash textual-plotext on re-render, so log axes
are drawn as log2/log10 of the values on a linear axis. Ticks are round (1, 2 or 5 x 10^k, or the
multiples of such a step); the legend is a line under the plot, never over the data; glyphs are
those every terminal font has (no braille); colours are made legible on the theme's background; a
scenario that does not fit says why instead of drawing numbers.
"""

from __future__ import annotations

import importlib
import math
import textwrap
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.color import Color, ColorParseError
from textual.message import Message
from textual.strip import Strip
from textual_plotext import PlotextPlot

from engine.physics import load
from engine.views.dashboard import Dashboard
from tui.ansi import matrix_to_strips
from tui.charts.colours import GREY, RGB, SELECTED, legible, recolour
from tui.charts.ticks import decade_ticks, nice_ticks, round_125, short

if TYPE_CHECKING:
    from engine.physics.serving import ServingRun

Measured = Sequence[tuple[float, float]]  # (batch, total tokens/s) points
SOLID, DOTTED = "━━", "••"  # legend samples of a line (plotext's "hd" marker) and of dots
#: A legend entry: its sample (the glyphs drawn), its name, the sample's colour (None: text's).
LegendItem = tuple[str, str, RGB | None]


#: plotext's colour-code writer (no typed stub): what its ANSI text would say for a cell's colours.
_PLOTEXT_UTILITY: Any = importlib.import_module("plotext._utility")

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


class Pinned(NamedTuple):
    """The pinned scenario (A) on the current one's load axis, and its name in the legends."""

    dashboard: Dashboard
    label: str


def serving_run(d: Dashboard) -> ServingRun | None:
    """The run of a serving load (concurrency, rate, offline), or None for the static batch."""
    return load.serving_run(d.run)


def load_positions(loads: Sequence[float]) -> list[float]:
    """Where each load sits on a log2 axis; ``inf`` (a rate: all at once) one step past the
    largest finite load."""
    finite = [v for v in loads if math.isfinite(v) and v > 0]
    top = math.log2(max(finite)) if finite else 0.0
    return [math.log2(v) if math.isfinite(v) else top + 1.0 for v in loads]


def _limits(target: Any, axis: str, lo: float, hi: float) -> None:
    if axis == "x":
        target.xlim(lo, hi)
    else:
        target.ylim(lo, hi, yside="right" if axis == "y2" else "left")


def rich(rgb: RGB) -> RichColor:
    return RichColor.from_rgb(*rgb)


class Chart(PlotextPlot):
    """Base: a chart that knows how to draw itself from a Dashboard."""

    class Drawn(Message):
        """The chart was drawn again (the screen paints the summary after it)."""

    ALLOW_MAXIMIZE = True
    LABEL = ""  # the tab's label

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.dashboard: Dashboard | None = None
        self.measured: Measured = ()
        self.pinned: Pinned | None = None
        self.draws = 0  # how many times the chart was rebuilt (tests and benchmarks read it)
        self.last_render = 0.0
        self.note = ""  # shown instead of a plot when the scenario has nothing to draw here
        self.legend_items: list[LegendItem] = []
        # What the last draw put on the chart (the tests read them): every numeric series by name
        # in data units, every axis' tick values, and the marks (the selected load, the wall).
        self.series: dict[str, list[float]] = {}
        self.ticks: dict[str, list[float]] = {}
        self.marks: dict[str, float] = {}
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
                rows = self._legend_rows(width, min(4, (height - 1) // 4)) if height >= 10 else []
                plot = height - len(rows)
                strips = self.build_strips(width, plot)[:plot]
                strips += [Strip.blank(width)] * (plot - len(strips))
                self._strips = strips + [self._legend_strip(row, width) for row in rows]
            self._built_for = key
            self.last_render = time.perf_counter()  # benchmarks: when the chart was last drawn
            self.post_message(self.Drawn())  # the summary follows, in the next frame
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width)

    def theme_colour(self, *names: str, fallback: str) -> Color:
        """The first of the theme's colours ``names`` that Textual can parse, else ``fallback``:
        the ANSI themes (the palette's "Theme" command offers them) give values such as
        "ansi_default 50%", which Color.parse refuses (key mashing found the crash)."""
        variables = self.app.theme_variables
        for name in names:
            try:
                return Color.parse(variables[name])
            except (KeyError, ColorParseError):
                continue
        return Color.parse(fallback)

    def surface(self) -> RGB:
        """The chart's background: the theme's surface (as textual-plotext's own theme)."""
        return self.theme_colour("surface", fallback="black").rgb

    def foreground(self) -> RGB:
        fg = self.theme_colour("foreground", fallback="white")
        return (Color.parse(f"rgb{self.surface()}") + fg).rgb

    def build_strips(self, width: int, height: int) -> list[Strip]:
        """The plot, ``height`` rows of ``width`` cells (a chart may draw on them), its colours
        legible on the theme; built from plotext's cell matrix (:func:`matrix_to_strips`)."""
        self.plt.plotsize(width, height)
        self.plt._set_size(width, height)  # as PlotextPlot.render: resizing needs both
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        m = self._build_titled()
        bg_rgb = self.surface()

        def codes(key: Any) -> str:
            fg, st, bg = key
            return recolour(_PLOTEXT_UTILITY.colors_to_ansi(fg, st, bg), bg_rgb)

        return matrix_to_strips(m.marker, (m.fullground, m.style, m.background), width, codes)

    def _note_strips(self, width: int, height: int) -> list[Strip]:
        """The note, wrapped and centred, in the theme's muted text on its surface."""
        fg = self.theme_colour("foreground-muted", "foreground", fallback="grey")
        bg = self.theme_colour("surface", fallback="black")
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

    def legend(self, *items: LegendItem) -> None:
        """Entries of the legend line(s) under the plot."""
        self.legend_items.extend(items)

    def _legend_rows(self, width: int, most: int) -> list[list[LegendItem]]:
        """The entries in rows of the width, each in the first row with room for it."""
        rows: list[list[LegendItem]] = []
        used: list[int] = []
        for item in self.legend_items:
            size = len(item[0]) + 1 + len(item[1])
            k = next((k for k, u in enumerate(used) if u + 2 + size <= width - 2), len(rows))
            if k == len(rows):
                rows.append([])
                used.append(-2)
            rows[k].append(item)
            used[k] += 2 + size
        return rows[:most]

    def _legend_strip(self, row: list[LegendItem], width: int) -> Strip:
        bg, fg = self.surface(), self.foreground()
        text = Style(color=rich(fg), bgcolor=rich(bg))
        segments: list[Segment] = []
        for sample, name, color in row:
            if segments:
                segments.append(Segment("  ", text))
            ink = legible(color, bg) if color else fg
            segments.append(Segment(sample, Style(color=rich(ink), bgcolor=rich(bg), bold=True)))
            segments.append(Segment(f" {name}", text))
        pad = max(0, (width - sum(len(s.text) for s in segments)) // 2)
        return Strip([Segment(" " * pad, text), *segments]).adjust_cell_length(width, text)

    def show(self, d: Dashboard, measured: Measured = (), pinned: Pinned | None = None) -> None:
        """Draw ``d`` (with ``measured`` points, and the ``pinned`` scenario's lines dotted where
        the chart has lines over the load axis)."""
        self.dashboard, self.measured, self.pinned = d, measured, pinned
        if self.size.area:
            self._draw(d)
        else:  # not laid out yet (the start, a tab just shown): drawn when it has its size
            self._drawn_for = ()
        self.draws += 1
        self.refresh()

    def _draw(self, d: Dashboard) -> None:
        """Draw on the theme's colours and for the chart's size: plotext gives a text (a label, a
        mark) the background of the canvas at the time it is placed, so the theme comes first,
        and a chart places some by its size in cells; a new theme or size redraws. A scenario
        in which not one sequence fits draws no numbers: it says why."""
        self.note, self._title = "", ()
        self.legend_items, self.series, self.ticks, self.marks = [], {}, {}, {}
        self.plt.clear_figure()
        self._drawn_for = (self.app.theme, self.size)
        self._register_theme(self.app.theme)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        if d.fit_error:
            self.note = f"DOES NOT FIT: {d.fit_error}"
            return
        self.draw(d)

    def draw(self, d: Dashboard) -> None:  # pragma: no cover - every chart overrides it
        raise NotImplementedError

    def pinned_on(self, d: Dashboard, lines: bool = True) -> Dashboard | None:
        """The pinned scenario's dashboard, when it can be drawn over ``d`` (the same load axis,
        and it fits); else None, and the legend says why (``lines``: this chart draws the pinned
        one's lines; False: it does not, and the legend points to the summary)."""
        if self.pinned is None:
            return None
        a, label = self.pinned
        why = ""
        if not lines:
            why = "compared in the summary"
        elif a.axis != d.axis:
            why = f"a {a.axis} load, not drawn on this axis"
        elif a.fit_error:
            why = "does not fit, not drawn"
        if why:
            self.legend(("A", f"{label}: {why}", GREY))
            return None
        return a

    def pinned_legend(self, what: str = "") -> None:
        """The legend entry of the pinned scenario's dotted lines."""
        assert self.pinned is not None
        self.legend((DOTTED, f"A {self.pinned.label}{what}", None))

    def set_title(self, *parts: str) -> None:
        """The first part always; the others while they fit the chart's width (fitted when the
        chart is built at its size: a chart drawn while hidden has none yet)."""
        self._title = tuple(p for p in parts if p)
        self.plt.title(" · ".join(self._title))

    def _build_titled(self) -> Any:
        """Build the plot with the longest title plotext shows, and return plotext's cell matrix:
        plotext centres the title on the canvas and leaves out one that would cross the widget's
        edge, and where the canvas sits depends on the tick labels, so the fit is found by
        building (one build when it fits)."""
        parts = self._title
        plt: Any = self.plt  # plotext's figure: its building steps have no typed stub
        for n in range(len(parts), 0, -1):
            text = " · ".join(parts[:n])
            plt.title(text)
            plt._set_sizes()
            plt._build_matrix()
            m = plt.monitor.matrix
            if n == 1 or (m.marker and text in "".join(m.marker[-1])):
                return m
        plt._set_sizes()
        plt._build_matrix()
        return plt.monitor.matrix

    def plot_series(
        self,
        name: str,
        xs: Sequence[float],
        values: Sequence[float],
        color: RGB | str,
        marker: str = "hd",
        *,
        yside: str = "left",
        drawn: Sequence[float] | None = None,
        on: Any = None,
    ) -> None:
        """A line, kept in :attr:`series` under ``name`` (in data units); ``drawn``: the values
        as the axis takes them (their log10 on a log axis)."""
        self.series[name] = [float(v) for v in values]
        ys = [float(v) for v in (values if drawn is None else drawn)]
        (on or self.plt).plot(list(xs), ys, color=color, marker=marker, yside=yside)

    def set_ticks(
        self,
        axis: str,
        values: Sequence[float],
        labels: Sequence[str] | None = None,
        positions: Sequence[float] | None = None,
        *,
        on: Any = None,
        key: str | None = None,
    ) -> None:
        """Ticks of an axis ("x", "y" or "y2": the right one), kept in :attr:`ticks` (under
        ``key``, default the axis); ``positions``: where they sit (their log on a log axis)."""
        target = on or self.plt
        self.ticks[key or axis] = [float(v) for v in values]
        pos = [float(p) for p in (values if positions is None else positions)]
        text = [short(v) for v in values] if labels is None else list(labels)
        if axis == "x":
            target.xticks(pos, text)
        else:
            side = "right" if axis == "y2" else "left"
            target.yticks(pos, text, yside=side)  # type: ignore[arg-type]  # plotext's stub

    def linear_axis(
        self,
        axis: str,
        lo: float,
        hi: float,
        fmt: Any = short,
        *,
        on: Any = None,
        key: str | None = None,
    ) -> list[float]:
        """A linear axis from a round tick at or below ``lo`` to one at or above ``hi``."""
        target = on or self.plt
        ticks = nice_ticks(
            lo, hi, 6 if axis == "x" else max(3, min(6, (self.size.height or 20) // 3))
        )
        self.set_ticks(axis, ticks, [fmt(t) for t in ticks], on=target, key=key)
        _limits(target, axis, ticks[0], ticks[-1])
        return ticks

    def log_axis(
        self,
        axis: str,
        lo: float,
        hi: float,
        fmt: Any = short,
        *,
        on: Any = None,
        key: str | None = None,
        cells: int | None = None,
    ) -> list[float]:
        """A log10 axis from the 1-2-5 value at or below ``lo`` to the one at or above ``hi``,
        with as many 1-2-5 ticks as its ``cells`` (default: the chart's width or height) hold."""
        target = on or self.plt
        a, b = round_125(max(lo, 1e-12), True), round_125(max(hi, lo * 1.0001), False)
        size = cells or (self.size.width if axis == "x" else self.size.height) or 40
        most = max(2, (size - 8) // 6) if axis == "x" else max(3, (size - 6) // 2)
        ticks = decade_ticks(a, b, most)
        pos = [math.log10(t) for t in ticks]
        self.set_ticks(axis, ticks, [fmt(t) for t in ticks], pos, on=target, key=key)
        _limits(target, axis, math.log10(a), math.log10(b))
        return ticks

    def load_axis(self, d: Dashboard, on: Any = None) -> list[float]:
        """The x axis: the scenario's load (batch sizes, users, rates) on a log2 scale, ticked
        at round loads (and ``inf``, a rate of all at once, one step past the largest)."""
        target = on or self.plt
        xs = load_positions(d.loads)
        lo, hi = (xs[0] - 1, xs[0] + 1) if len(xs) == 1 else (min(xs), max(xs))
        finite = [x for x, v in zip(xs, d.loads, strict=True) if math.isfinite(v)]
        top = max(finite) + (1 if len(xs) == 1 else 0) if finite else hi
        most = max(2, ((self.size.width or 80) - 14) // 6)
        ticks = [
            t
            for t in decade_ticks(2.0**lo, 2.0**top, most)
            if lo - 1e-9 <= math.log2(t) <= hi + 1e-9
        ]
        inf = [x for x, v in zip(xs, d.loads, strict=True) if math.isinf(v)][:1]
        ticks = [t for t in ticks if not inf or math.log2(t) < inf[0] - 0.5]
        pos = [*(math.log2(t) for t in ticks), *inf]
        labels = [*(short(t) for t in ticks), *(["inf"] if inf else [])]
        target.xticks(pos, labels)
        self.ticks["x"] = ticks
        target.xlim(lo, hi)
        target.xlabel(AXIS_LABELS.get(d.axis, f"{d.axis} (log scale)"))
        return xs

    def mark_wall(self, d: Dashboard, on: Any = None, name: str = "KV wall") -> bool:
        """A vertical line where the running batch reaches its wall (the KV cache, the engine's
        sequence cap or its token budget), when that falls inside the sweep, and its legend;
        whether it does."""
        top, xs = d.run.wall, load_positions(d.loads)
        finite = [v for v in d.loads if math.isfinite(v)]
        if not (math.isfinite(top) and top > 0 and finite):
            return False
        x = math.log2(top)
        unit = AXIS_UNITS.get(d.axis, "")
        if finite[0] <= top and x < xs[-1] and (top < finite[-1] or len(finite) < len(xs)):
            (on or self.plt).vline(x, GREY)
            self.marks["wall"] = top
            self.legend(("│", f"{name} {short(float(f'{top:.3g}'))}{unit}", GREY))
            return True
        if top > finite[-1]:
            self.legend(("│", f"{name} {short(float(f'{top:.3g}'))}{unit}: off axis", GREY))
        return False

    def mark_selected(
        self, d: Dashboard, x: float, ys: Sequence[tuple[float, str]], on: Any = None
    ) -> None:
        """An O at the selected load on each (y, y side) of ``ys``, and its legend."""
        for y, side in ys:
            (on or self.plt).scatter([x], [y], color=SELECTED, marker="O", yside=side)
        self.marks["selected"] = d.load
        unit = AXIS_UNITS.get(d.axis, "")
        self.legend(("O", f"{d.axis} {short(d.load)}{unit} (selected)", SELECTED))

    def mark_pinned_wall(
        self,
        d: Dashboard,
        a: Dashboard,
        span: tuple[float, float],
        *,
        x: float | None = None,
        on: Any = None,
        name: str = "KV wall",
    ) -> bool:
        """The pinned scenario's (A's) wall on ``d``'s load axis, where it is not ``d``'s own: a
        dotted vertical line over ``span`` (the y axis' limits, as drawn) at ``x`` (default:
        where the log2 load axis puts it, inside the sweep as :meth:`mark_wall` finds it), kept
        in :attr:`marks` as "A wall", and its legend (or that it is past the axis' end); whether
        it is drawn."""
        top = a.run.wall
        finite = [v for v in d.loads if math.isfinite(v)]
        if not (math.isfinite(top) and top > 0 and finite):
            return False
        if math.isclose(top, d.run.wall, rel_tol=1e-6):
            return False  # the same line as this scenario's
        text = f"A {name} {short(float(f'{top:.3g}'))}{AXIS_UNITS.get(d.axis, '')}"
        if x is None:
            xs = load_positions(d.loads)
            on_axis = top < finite[-1] or len(finite) < len(xs)
            if not (finite[0] <= top and math.log2(top) < xs[-1] and on_axis):
                if top > finite[-1]:
                    self.legend(("┊", f"{text}: off axis", GREY))
                return False
            x = math.log2(top)
        lo, hi = span
        n = 4 * max(self.size.height, 12)  # a point in every row of the canvas
        ys = [lo + (hi - lo) * k / (n - 1) for k in range(n)]
        (on or self.plt).scatter([x] * n, ys, color=GREY, marker="┊")
        self.marks["A wall"] = top
        self.legend(("┊", text, GREY))
        return True

    def fit_pinned_legend(self) -> bool:
        """Where the legend's entries do not all fit the rows under the plot at the chart's size
        (the last ones would be left out), the pinned scenario named "A" alone in them, not
        "A <its label>" (the pin's notice and the summary's "vs A" line name it); whether they
        all fit then."""
        width, height = self.size
        most = min(4, (height - 1) // 4) if height >= 10 else 0

        def fits() -> bool:
            return len(self._legend_rows(width, len(self.legend_items) + 1)) <= most

        if self.pinned is None or fits():
            return fits()
        long = f"A {self.pinned.label}"
        self.legend_items = [
            (sample, "A" + name[len(long) :] if name.startswith(long) else name, color)
            for sample, name, color in self.legend_items
        ]
        return fits()
