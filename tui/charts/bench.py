"""The Bench screen's charts: what a running server measured at each concurrency (solid, a dot
on each level) against what the scenario predicts (dotted), redrawn as each level's summary comes
in. Latency: TTFT p50, ITL p50 and ITL p99 on a log scale; throughput: the server's output tok/s
(left axis) and each user's (right axis).

They draw from a :class:`BenchData` (the planned levels, the summaries so far, a prediction per
level), not from a Dashboard; the legend is a line of its own under the chart
(:func:`legend`), so that it never covers a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from engine.views.bench_report import LevelPrediction
from engine.views.dashboard import Dashboard
from tui.charts.base import Chart
from tui.charts.colours import BLUE, GREEN, MAGENTA, ORANGE
from tui.charts.ticks import log10_ticks, short, time_label

Series = tuple[str, str, str, tuple[int, int, int]]  # name, measured key, predicted attr, colour


@dataclass(frozen=True)
class BenchData:
    """What the bench charts draw: the planned concurrency levels (the x axis), the summaries
    of the levels measured so far (the results file's dicts) and the prediction of each planned
    level (None where there is none)."""

    levels: tuple[int, ...]
    summaries: tuple[dict[str, Any], ...] = ()
    predicted: tuple[LevelPrediction | None, ...] = ()

    @property
    def measured_levels(self) -> tuple[int, ...]:
        return tuple(
            int(s["concurrency"])
            for s in self.summaries
            if s.get("concurrency") is not None and s.get("requests")
        )

    def measured(self, key: str) -> tuple[list[float], list[float]]:
        """(log2 concurrency, value) of every measured level that has ``key``."""
        xs, ys = [], []
        for s in self.summaries:
            value, c = s.get(key), s.get("concurrency")
            if c is None or not s.get("requests") or not isinstance(value, int | float):
                continue
            if math.isfinite(value) and value > 0:
                xs.append(math.log2(int(c)))
                ys.append(float(value))
        return xs, ys

    def prediction(self, attr: str) -> tuple[list[float], list[float]]:
        """(log2 concurrency, value) of every planned level with a prediction."""
        xs, ys = [], []
        for c, p in zip(self.levels, self.predicted, strict=False):
            if p is None or not p.fits:
                continue
            value = float(getattr(p, attr))
            if math.isfinite(value) and value > 0:
                xs.append(math.log2(c))
                ys.append(value)
        return xs, ys


def nice_ticks(hi: float, most: int = 5) -> list[float]:
    """Round ticks from 0 to at least ``hi``: steps of 1, 2 or 5 times a power of ten."""
    if not math.isfinite(hi) or hi <= 0:
        return [0.0, 1.0]
    raw = hi / max(most - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(math.ceil(hi / step - 1e-9) + 1)]


def round_125(value: float, down: bool) -> float:
    """The 1-2-5 step (1, 2, 5, 10, 20 ... times a power of ten) at or below (``down``) or at
    or above ``value``: the ends of a log axis, so that both are labelled."""
    e = math.floor(math.log10(value))
    steps = [m * 10.0**k for k in (e - 1, e, e + 1) for m in (1, 2, 5)]
    if down:
        return max(v for v in steps if v <= value * 1.0001)
    return min(v for v in steps if v >= value / 1.0001)


def legend(series: Sequence[Series]) -> Text:
    """The legend line: a coloured dot per series (solid: measured, dotted: predicted, as the
    line above the charts says)."""
    text = Text()
    for name, _, _, color in series:
        text.append("● ", style=f"rgb({color[0]},{color[1]},{color[2]})")
        text.append(f"{name}   ")
    return text


class BenchChart(Chart):
    """A chart of :class:`BenchData`: :meth:`show_bench` replots; a new theme or size replots
    from the data kept (as :class:`Chart` does from its Dashboard)."""

    SERIES: tuple[Series, ...] = ()
    TITLE = ""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: BenchData | None = None

    def show_bench(self, data: BenchData) -> None:
        self.data = data
        self._replot(data)
        self.draws += 1
        self.refresh()

    def render_line(self, y: int) -> Any:
        if self.data is not None and (self.app.theme, self.size) != self._drawn_for:
            self._replot(self.data)
        return super().render_line(y)

    def _replot(self, data: BenchData) -> None:
        """As :meth:`Chart._draw`: the theme first, then the plot."""
        self.note, self._title = "", ()
        self.plt.clear_figure()
        self._drawn_for = (self.app.theme, self.size)
        self._register_theme(self.app.theme)
        self.plt.theme(self._get_plotext_theme_name(self.app.theme))
        self.plot(data)

    def draw(self, d: Dashboard) -> None:  # pragma: no cover - drawn from BenchData only
        raise NotImplementedError

    def plot(self, data: BenchData) -> None:  # pragma: no cover - every chart overrides it
        raise NotImplementedError

    def has_series(self) -> tuple[bool, bool]:
        """Whether any measured and any predicted series is drawn (the tests read it)."""
        data = self.data
        if data is None:
            return False, False
        measured = any(data.measured(key)[0] for _, key, _, _ in self.SERIES)
        predicted = any(data.prediction(attr)[0] for _, _, attr, _ in self.SERIES)
        return measured, predicted

    def concurrency_axis(self, data: BenchData) -> None:
        """log2 of the concurrency, a tick at each planned level, half a step of room each side."""
        levels = sorted(set(data.levels) | set(data.measured_levels))
        xs = [math.log2(c) for c in levels]
        self.plt.xticks(xs, [short(c) for c in levels])
        self.plt.xlim(min(xs) - 0.5, max(xs) + 0.5)
        self.plt.xlabel("concurrency (users, log scale)")

    def draw_series(
        self,
        measured: tuple[list[float], list[float]],
        predicted: tuple[list[float], list[float]],
        color: tuple[int, int, int],
        transform: Any = None,
        yside: str = "left",
    ) -> None:
        """The prediction dotted, then the measurement over it: a line, a dot on each level."""
        f = transform or (lambda v: v)
        px, py = predicted
        if px:
            marker = "dot" if len(px) > 1 else "○"
            self.plt.plot(px, [f(v) for v in py], color=color, marker=marker, yside=yside)
        mx, my = measured
        if mx:
            ys = [f(v) for v in my]
            if len(mx) > 1:
                self.plt.plot(mx, ys, color=color, marker="hd", yside=yside)
            self.plt.scatter(mx, ys, color=color, marker="●", yside=yside)


class BenchLatencyChart(BenchChart):
    LABEL = "Latency"
    SERIES = (
        ("TTFT p50", "ttft_p50_s", "ttft_s", ORANGE),
        ("ITL p50", "itl_p50_s", "itl_s", BLUE),
        ("ITL p99", "itl_p99_s", "itl_p99_s", MAGENTA),
    )

    def plot(self, data: BenchData) -> None:
        plt = self.plt
        pairs = [(data.measured(key), data.prediction(attr)) for _, key, attr, _ in self.SERIES]
        values = [v for m, p in pairs for v in (*m[1], *p[1])]
        if not values:
            self.note = "no latency measured or predicted yet"
            return
        lo, hi = round_125(min(values), down=True), round_125(max(values), down=False)
        self.concurrency_axis(data)
        for (_, _, _, color), (measured, predicted) in zip(self.SERIES, pairs, strict=True):
            self.draw_series(measured, predicted, color, lambda v: math.log10(v))
        ticks, _ = log10_ticks(lo, hi)  # the ends are ticks: every value is between two
        pad = (math.log10(hi) - math.log10(lo)) * 0.04
        plt.ylim(math.log10(lo) - pad, math.log10(hi) + pad)
        plt.yticks(ticks, [time_label(10**t) for t in ticks])
        plt.ylabel("seconds (log)")
        self.set_title("Latency vs concurrency", "measured solid, predicted dotted")


class BenchThroughputChart(BenchChart):
    LABEL = "Throughput"
    SERIES = (
        ("server tok/s (left)", "output_tokens_per_s", "output_tokens_per_s", BLUE),
        ("per user (right)", "per_user_tokens_per_s", "per_user_tokens_per_s", GREEN),
    )

    def plot(self, data: BenchData) -> None:
        plt = self.plt
        drawn = False
        self.concurrency_axis(data)
        for (_, key, attr, color), side in zip(self.SERIES, ("left", "right"), strict=True):
            measured, predicted = data.measured(key), data.prediction(attr)
            values = [*measured[1], *predicted[1]]
            if not values:
                continue
            drawn = True
            self.draw_series(measured, predicted, color, yside=side)
            ticks = nice_ticks(max(values) * 1.1)
            plt.ylim(0, ticks[-1], yside=side)  # type: ignore[arg-type]  # plotext's stub
            plt.yticks(ticks, [short(t) for t in ticks], yside=side)  # type: ignore[arg-type]
        if not drawn:
            self.note = "no throughput measured or predicted yet"
            return
        plt.ylabel("output tok/s", yside="left")  # type: ignore[call-arg]
        plt.ylabel("tok/s per user", yside="right")  # type: ignore[call-arg]
        self.set_title("Output tokens/s vs concurrency", "measured solid, predicted dotted")
