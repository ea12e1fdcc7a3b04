"""The charts, one PlotextPlot subclass each, drawn from an engine Dashboard: the article's six
(:mod:`tui.charts.article`; its boundness and roofline maps in :mod:`tui.charts.maps`) and the
serving ones (:mod:`tui.charts.serving`), on the shared
:class:`~tui.charts.base.Chart`."""

from __future__ import annotations

from engine.storage.preset_format import CHARTS
from tui.charts.article import BottleneckChart, ContextChart, CostChart, ThroughputChart
from tui.charts.base import Chart, Measured
from tui.charts.maps import BoundnessChart, RooflineChart
from tui.charts.serving import LatencyChart, ServingChart

CHART_CLASSES: dict[str, type[Chart]] = {
    "throughput": ThroughputChart,
    "bottlenecks": BottleneckChart,
    "cost": CostChart,
    "context": ContextChart,
    "boundness": BoundnessChart,
    "roofline": RooflineChart,
    "serving": ServingChart,
    "latency": LatencyChart,
}
#: The serving charts: their tabs follow the Measured table, on keys 8 and 9.
SERVING = ("serving", "latency")
#: The chart tabs of keys 1-6, in order, with their labels (a preset may name any chart of
#: engine.storage.preset_format.CHARTS, the serving ones included).
CHART_TABS: tuple[tuple[str, str], ...] = tuple(
    (c, CHART_CLASSES[c].LABEL) for c in CHARTS if c not in SERVING
)
SERVING_TABS: tuple[tuple[str, str], ...] = tuple((c, CHART_CLASSES[c].LABEL) for c in SERVING)
#: Every chart tab with its key: 1-6, then 8 and 9 (7 is the Measured table).
CHART_KEYS: tuple[tuple[str, str, str], ...] = (
    *((str(n), cid, label) for n, (cid, label) in enumerate(CHART_TABS, start=1)),
    *((str(n), cid, label) for n, (cid, label) in enumerate(SERVING_TABS, start=8)),
)

__all__ = [
    "CHART_CLASSES",
    "CHART_KEYS",
    "CHART_TABS",
    "SERVING",
    "SERVING_TABS",
    "Chart",
    "Measured",
]
