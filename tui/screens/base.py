"""The part of the main screen that owns the scenario: the draft, the last valid dashboard, and the
push-down of results to the panes, the summary and the visible chart. The flows (presets, measured
results) and the main screen build on it."""

from __future__ import annotations

import math
from dataclasses import replace

from textual.screen import Screen

from engine.errors import InputError
from engine.measure.compare import FileComparison
from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from engine.views.dashboard import Dashboard, build
from tui.charts import Chart
from tui.panes.gpu import GPUPane
from tui.panes.measured import MeasuredPane
from tui.panes.model import ModelPane
from tui.panes.summary import SummaryStrip
from tui.panes.workload import WorkloadPane
from tui.state import Draft, field_text
from tui.widgets import Field

Measured = list[tuple[float, float]]


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
        self.draft = draft
        self.chart = chart
        self.selected_load: float | None = None
        self.dashboard: Dashboard = self.build(draft)
        self.preset = preset  # the preset shown (as loaded or saved), for the unsaved mark
        self.field_error: tuple[str, str] | None = None  # (field, message) of a refused draft

    def build(self, draft: Draft) -> Dashboard:
        s = draft.scenario(self.catalog, self.default_profile)
        other = draft.other_mode(self.catalog, self.default_profile)
        top = self.selected_load == math.inf  # a rate of inf: the top of the axis, whatever it is
        d = build(s, other, None if top else self.selected_load)
        return replace(d, selected=len(d.loads) - 1) if top else d

    def apply(self, draft: Draft) -> bool:
        """Adopt ``draft``; if it does not make a valid scenario, say why and keep the last
        valid results on screen (the draft is kept so the user can fix the other field)."""
        self.draft = draft
        try:
            self.dashboard = self.build(draft)
        except InputError as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=6)
            return False
        self.compare()
        self.push_down()
        return True

    def sync_fields(self, draft: Draft) -> None:
        """Show ``draft``'s values in every field (a preset or a file set them)."""
        s = self.dashboard.scenario
        for field in self.query(Field):
            field.sync(field_text(draft, s, field.field_name))

    def push_down(self) -> None:
        d = self.dashboard
        self.query_one(ModelPane).show(self.draft, d)
        self.query_one(GPUPane).show(self.draft, d)
        for workload in self.query(WorkloadPane):  # mounted lazily, after the first frame
            workload.show(self.draft, d)
        self.query_one(SummaryStrip).show(d)
        self.show_chart()
        self.update_title()

    def show_chart(self) -> None:
        if self.chart == "measured":
            self.query_one(MeasuredPane).show(self.comparison_shown())
        else:
            self.visible_chart().show(self.dashboard, self.measured_points())

    def visible_chart(self) -> Chart:
        return self.query_one(f"#chart-{self.chart}", Chart)

    # The flows fill these in.

    def compare(self) -> None:
        """Compare a loaded measurement with the new scenario (:mod:`tui.flows.measured`)."""

    def measured_points(self) -> Measured:
        return []

    def comparison_shown(self) -> FileComparison | None:
        return None

    def update_title(self) -> None:
        """Show the preset and the unsaved mark (:mod:`tui.flows.presets`)."""
