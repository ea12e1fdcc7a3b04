"""The main screen: it owns the scenario, turns pane edits into new scenarios, and pushes the
engine's results down to the panes, the summary and the visible chart."""

from __future__ import annotations

import time

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from engine import InputError
from engine.catalog import Catalog
from engine.dashboard import Dashboard, build
from tui.charts import CHART_CLASSES, Chart
from tui.panes.gpu import GPUPane
from tui.panes.model import ModelPane
from tui.panes.summary import Summary
from tui.panes.workload import WorkloadPane
from tui.state import CHART_IDS, CHARTS, Draft
from tui.widgets import Edit, Field

SCENARIO_KEYS = {"chart", "toggle_mode", "batch"}


class MainScreen(Screen[None]):
    AUTO_FOCUS = "#charts Tabs"  # keys 1-6, m, [ ] work at once; Tab reaches the fields
    BINDINGS = [
        *(
            Binding(
                str(n),
                f"chart('{cid}')",
                label,
                id=f"chart-{cid}",
                tooltip=f"show the {label.lower()} chart",
                show=n == 1,
            )
            for n, (cid, label) in enumerate(CHARTS, start=1)
        ),
        Binding(
            "left_square_bracket",
            "batch(-1)",
            "batch-",
            id="batch-prev",
            tooltip="previous batch size in the summary",
        ),
        Binding(
            "right_square_bracket",
            "batch(1)",
            "batch+",
            id="batch-next",
            tooltip="next batch size in the summary",
        ),
        Binding("m", "toggle_mode", "mode", id="toggle-mode", tooltip="realistic / ideal"),
        Binding(
            "escape",
            "leave_field",
            "charts",
            id="leave-field",
            show=False,
            tooltip="leave the field, back to the charts",
        ),
    ]

    def __init__(self, catalog: Catalog, draft: Draft, chart: str = "throughput") -> None:
        super().__init__()
        self.catalog = catalog
        self.draft = draft
        self.chart = chart if chart in CHART_IDS else "throughput"
        self.selected_batch: int | None = None
        self.dashboard: Dashboard = build(draft.scenario(catalog), realistic=draft.efficiency)
        self.last_update_s = 0.0  # engine + pane updates of the last change (benchmarks read it)

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="sidebar"):
                yield ModelPane(self.catalog, self.draft)
                yield GPUPane(self.catalog, self.draft)
                yield Lazy(WorkloadPane(self.draft))
            with TabbedContent(initial=self.chart, id="charts"):
                for cid, label in CHARTS:
                    with TabPane(label, id=cid):
                        yield CHART_CLASSES[cid](id=f"chart-{cid}")
        yield Summary(id="summary")
        yield Footer()

    def on_mount(self) -> None:
        self.push_down()

    # ------------------------------------------------------------------ scenario changes

    @on(Edit)
    def _edit(self, event: Edit) -> None:
        event.stop()
        self.apply(self.draft.with_value(event.name, event.value))

    def apply(self, draft: Draft) -> bool:
        """Adopt ``draft``; if it does not make a valid scenario, say why and keep the last
        valid results on screen (the draft is kept so the user can fix the other field)."""
        self.draft = draft
        start = time.perf_counter()
        try:
            scenario = draft.scenario(self.catalog)
            self.dashboard = build(scenario, self.selected_batch, realistic=draft.efficiency)
        except InputError as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=6)
            return False
        self.push_down()
        self.last_update_s = time.perf_counter() - start
        return True

    def push_down(self) -> None:
        d = self.dashboard
        self.query_one(ModelPane).show(self.draft, d)
        self.query_one(GPUPane).show(self.draft, d)
        for workload in self.query(WorkloadPane):  # mounted lazily, after the first frame
            workload.show(self.draft)
        self.query_one(Summary).show(d)
        self.visible_chart().show(d)

    def visible_chart(self) -> Chart:
        return self.query_one(f"#chart-{self.chart}", Chart)

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "throughput"
        if pane in CHART_IDS and pane != self.chart:
            self.chart = pane
            self.visible_chart().show(self.dashboard)

    # ------------------------------------------------------------------ actions

    def action_chart(self, chart: str) -> None:
        self.query_one(TabbedContent).active = chart

    def action_toggle_mode(self) -> None:
        self.apply(
            self.draft.with_value(
                "mode", "ideal" if self.draft.mode == "realistic" else "realistic"
            )
        )

    def action_batch(self, step: int) -> None:
        batches = self.dashboard.scenario.batch_sizes
        i = min(max(self.dashboard.selected + step, 0), len(batches) - 1)
        self.selected_batch = batches[i]
        self.apply(self.draft)

    def action_leave_field(self) -> None:
        self.query_one(TabbedContent).query_one("Tabs").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter and digit keys type into a focused field, so they are off there."""
        if action in SCENARIO_KEYS and isinstance(self.focused, Input):
            return None
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def field(self, name: str) -> Field:
        return self.query_one(f"#field-{name.replace('.', '-')}", Field)
