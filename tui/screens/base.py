"""The part of the main screen that owns the scenario: the draft, the last valid dashboard, and the
push-down of results to the panes, the summary and the visible chart. The flows (presets, measured
results) and the main screen build on it.

A draft that makes no scenario (TP 3 on 8 GPUs) is refused where the user looks: its reason under
the field it names (:attr:`InputError.field`), one notification when the refusal begins (none for
the keystrokes that follow), and the last valid scenario stays on screen. The draft keeps what was
typed, so that fixing the other field of the pair (the GPUs) makes it valid; an edit of an
unrelated field meanwhile applies to the last valid scenario."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from textual import on
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from engine.views.dashboard import Dashboard, build
from tui.charts import CHART_CLASSES, Chart
from tui.charts.base import Pinned
from tui.panes.summary import SummaryStrip
from tui.state import APP_TERMS, Draft, field_text
from tui.widgets import Field, PaneMounted, SidePane

if TYPE_CHECKING:
    from engine.measure.compare import FileComparison
    from engine.views.side_by_side import SideBySide

Measured = list[tuple[float, float]]
#: Seconds after a change by which the summary shows it, should the chart not be drawn.
SUMMARY_AT_LATEST = 0.1
W = TypeVar("W", bound=Widget)


class ScenarioScreen(Screen[None]):
    def __init__(
        self,
        catalog: Catalog,
        draft: Draft,
        default_profile: Efficiency,
        chart: str = "throughput",
        preset: Preset | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.default_profile = default_profile
        self.draft = draft  # what the fields show; it may make no scenario (field_error says why)
        self.valid = draft  # the last draft that made one: the dashboard's
        self.chart = chart
        self.selected_load: float | None = None
        self.dashboard: Dashboard = self.build(draft)
        self.preset = preset  # the preset shown (as loaded or saved), for the unsaved mark
        self.field_error: tuple[str, str] | None = None  # (field, message) of a refused draft
        self.notified: set[str] = set()  # the refusals notified since the last valid draft
        self._mounted: dict[type[Widget], Widget] = {}  # :meth:`mounted`'s
        self._side_panes: list[SidePane] = []  # as they said they were mounted
        self._summary_timer: Timer | None = None  # a summary waits for the chart: its latest

    def build(self, draft: Draft) -> Dashboard:
        s = draft.scenario(self.catalog, self.default_profile)
        other = draft.other_mode(self.catalog, self.default_profile)
        top = self.selected_load == math.inf  # a rate of inf: the top of the axis, whatever it is
        d = build(s, other, None if top else self.selected_load)
        return replace(d, selected=len(d.loads) - 1) if top else d

    def apply(self, draft: Draft) -> bool:
        """Adopt ``draft``; if it does not make a valid scenario, say why (:meth:`refuse`) and keep
        the last valid results on screen (the draft is kept so the user can fix the other
        field)."""
        self.draft = draft
        try:
            self.dashboard = self.build(draft)
        except InputError as exc:
            self.refuse(exc)
            return False
        self.valid = draft
        self.refuse(None)
        self.compare()
        self.push_down()
        return True

    def edit(self, name: str, change: Callable[[Draft], Draft]) -> bool:
        """Apply an edit of the input ``name`` (``change`` makes the new draft from a draft). While
        another input's refusal stands, an edit that does not fix it applies to the last valid
        scenario (the refused value stays in its field, with its reason)."""
        try:
            draft = change(self.draft)
        except InputError as exc:
            self.notify_once(exc)
            return False
        if self.apply(draft):
            return True
        if self.field_error is None or self.field_error[0] == name:
            return False
        try:
            beside = change(self.valid)
            self.dashboard = self.build(beside)
        except InputError:
            return False
        self.valid = beside
        self.compare()
        self.push_down()
        return False

    def rebuild(self) -> None:
        """Build again (another point selected): the draft, or the last valid one while the draft
        is refused."""
        try:
            self.dashboard = self.build(self.draft)
        except InputError:
            self.dashboard = self.build(self.valid)
        self.compare()
        self.push_down()

    def refuse(self, exc: InputError | None) -> None:
        """Show why the draft makes no scenario at the field it names (None: it makes one now,
        clear it). One notification says that a refusal began; while it lasts (the user typing
        on, "1" then "12" then "128"), the field alone says why. A reason no field can show is
        notified, once."""
        before = self.field_error
        now = (exc.field or "", str(exc)) if exc is not None else None
        if before is not None and before != now:
            old = self.field_named(before[0])
            if old is not None:
                old.show_joint(None)
            self.mark_refused(None)
        self.field_error = now
        if exc is None:
            self.notified.clear()
            return
        field = self.field_named(exc.field or "")
        if field is None:
            self.notify_once(exc)
            return
        field.show_joint(f"{exc}{self._kept(exc.field or '')}")
        self.mark_refused(field)
        if not self.notified:  # the first refusal since the last valid scenario
            self.notify_once(exc)

    def notify_once(self, exc: InputError) -> None:
        if str(exc) not in self.notified:
            self.notified.add(str(exc))
            self.notify(str(exc), title="Not applied", severity="error", timeout=6)

    def _kept(self, name: str) -> str:
        """What the scenario on screen uses for ``name`` instead: " (kept: TP 8)"."""
        value = getattr(self.dashboard.scenario, name, None)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return ""
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f" (kept: {APP_TERMS(name)} {shown})"

    @on(PaneMounted)
    def _pane_mounted(self, event: PaneMounted) -> None:
        event.stop()
        self._side_panes.append(event.pane)
        event.pane.show(self.draft, self.dashboard)

    def side_panes(self) -> list[SidePane]:
        """The side panel's panes mounted now (after the first frame; [] before), in the order
        they were mounted."""
        self._side_panes = [p for p in self._side_panes if p.is_attached]
        return self._side_panes

    def field_named(self, name: str) -> Field | None:
        """The field of the input ``name``, if the screen has one (mounted)."""
        if not name.replace("_", "").isalnum():
            return None
        return next((f for f in self.query(f"#field-{name}") if isinstance(f, Field)), None)

    def show_tab(self, chart: str, again: bool = False) -> None:
        """Bring the chart ``chart`` (or "measured") to the front (the main screen has tabs)."""

    def mark_refused(self, field: Field | None) -> None:
        """Mark where a refused field is (the main screen marks its side panel's tab)."""

    def sync_fields(self, draft: Draft) -> None:
        """Show ``draft``'s values in every field (a preset or a file set them)."""
        s = self.dashboard.scenario
        for field in self.query(Field):
            field.sync(field_text(draft, s, field.field_name))

    def push_down(self) -> None:
        d = self.dashboard
        for pane in self.side_panes():  # mounted after the first frame
            pane.show(self.draft, d)
        drawn = self.show_chart()
        if drawn:  # the summary in the frame after the chart's (see show_summary)
            if self._summary_timer is not None:  # an earlier change's: it would paint the
                self._summary_timer.stop()  # summary in this change's chart frame
            # at the latest, should the chart not be drawn (hidden)
            self._summary_timer = self.set_timer(SUMMARY_AT_LATEST, self.show_summary)
        else:
            self.show_summary()
        self.update_title()

    @on(Chart.Drawn)
    def _chart_drawn(self, event: Chart.Drawn) -> None:
        event.stop()
        if self._summary_timer is not None:
            self.show_summary()

    def show_summary(self) -> None:
        """The summary of the scenario on screen now. After a change it is painted in the
        frame after the chart's (when the chart says it was drawn): Textual repaints, in full,
        every widget whose clip overlaps the box around all the regions changed in a frame, and
        the chart (right) with the summary (the bottom, full width) spans the side panel too:
        one frame with both repainted all ~96 widgets on screen for one key press."""
        if self._summary_timer is not None:
            self._summary_timer.stop()
            self._summary_timer = None
        for summary in self.mounted(SummaryStrip):
            summary.show(self.dashboard, self.side_by_side())

    def show_chart(self) -> bool:
        """Show the scenario on the visible chart (or the Measured table); whether a chart will
        be drawn (it says so: :class:`~tui.charts.base.Chart.Drawn`)."""
        if self.chart == "measured":
            from tui.panes.measured import MeasuredPane  # with the table's tab

            for pane in self.mounted(MeasuredPane):  # none before it is mounted: shown then
                pane.show(self.comparison_shown(), self.measured_notes())
            return False
        charts = self.mounted(CHART_CLASSES[self.chart])
        for chart in charts:
            chart.show(self.dashboard, self.measured_points(), self.pinned_view())
        return bool(charts) and charts[0].size.area > 0

    def visible_chart(self) -> Chart:
        return self.query_one(f"#chart-{self.chart}", Chart)

    def mounted(self, kind: type[W]) -> list[W]:
        """The one widget of type ``kind`` on this screen, once it is mounted (some are mounted
        after the first frame): [] before. Found once, then kept (a query walks the whole screen,
        ~4 ms; a key press makes several)."""
        found = self._mounted.get(kind)
        if found is None or not found.is_attached:
            found = next(iter(self.query(kind)), None)
            if found is None:
                return []
            self._mounted[kind] = found
        return [found]  # type: ignore[list-item]  # stored by its own type

    # The flows fill these in.

    def compare(self) -> None:
        """Compare a loaded measurement with the new scenario (:mod:`tui.flows.measured`)."""

    def measured_points(self) -> Measured:
        return []

    def comparison_shown(self) -> FileComparison | None:
        return None

    def measured_notes(self) -> list[str]:
        """Warnings for the Measured tab (what a comparison assumed)."""
        return []

    def update_title(self) -> None:
        """Show the preset and the unsaved mark (:mod:`tui.flows.presets`)."""

    def pinned_view(self) -> Pinned | None:
        """The pinned scenario for the charts (:mod:`tui.flows.side_by_side`)."""
        return None

    def side_by_side(self) -> SideBySide | None:
        """The pinned scenario against this one at the selected point, for the summary."""
        return None
