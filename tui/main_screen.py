"""The main screen: it owns the scenario, turns pane edits into new scenarios, and pushes the
engine's results down to the panes, the summary and the visible chart. It also keeps the preset
the scenario came from (for the title's unsaved-changes mark) and a loaded benchmark file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from engine import InputError
from engine.catalog import Catalog
from engine.compare import FileComparison, compare_measurement
from engine.dashboard import Dashboard, build
from engine.measure import Measurement, load_measurement
from engine.presets import (
    Preset,
    check_name,
    delete_preset,
    list_presets,
    load_preset,
    rename_preset,
    save_preset,
)
from engine.profiles import load_named_profile
from tui.charts import CHART_CLASSES, Chart
from tui.dialogs import BenchmarkDialog, ConfirmDialog, NameDialog, PresetPicker
from tui.measured import MeasuredPane
from tui.panes.gpu import GPUPane
from tui.panes.model import ModelPane
from tui.panes.summary import Summary
from tui.panes.workload import WorkloadPane
from tui.recent import load_recent, remember
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
                show=False,
            )
            for n, (cid, label) in enumerate(CHARTS, start=1)
        ),
        Binding(
            "7",
            "chart('measured')",
            "Measured",
            id="chart-measured",
            show=False,
            tooltip="measured points against the predictions",
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
        Binding("ctrl+s", "save_preset", "save", id="save-preset", tooltip="save as a preset"),
        Binding("ctrl+o", "load_preset", "presets", id="load-preset", tooltip="load a preset"),
        Binding(
            "ctrl+b",
            "load_benchmark",
            "measured",
            id="load-benchmark",
            tooltip="load measured results to compare",
        ),
        Binding(
            "escape",
            "leave_field",
            "charts",
            id="leave-field",
            show=False,
            tooltip="leave the field, back to the charts",
        ),
    ]

    def __init__(
        self,
        catalog: Catalog,
        draft: Draft,
        chart: str = "throughput",
        preset: Preset | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.draft = draft
        self.chart = chart if chart in CHART_IDS else "throughput"
        self.selected_batch: int | None = None
        self.dashboard: Dashboard = build(draft.scenario(catalog), realistic=draft.efficiency)
        self.preset = preset  # the preset shown (as loaded or saved), for the unsaved mark
        self.measurement: Measurement | None = None
        self.comparison: FileComparison | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="sidebar"):
                yield ModelPane(self.catalog, self.draft)
                yield GPUPane(self.catalog, self.draft)
                yield Lazy(WorkloadPane(self.draft))  # below the fold: after the first frame
            with TabbedContent(initial=self.chart, id="charts"):
                for cid, label in CHARTS:
                    with TabPane(label, id=cid):
                        yield CHART_CLASSES[cid](id=f"chart-{cid}")
                with TabPane("Measured", id="measured"):
                    yield MeasuredPane()
        yield Summary(id="summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.push_down()

    # ------------------------------------------------------------------ scenario changes

    @on(Edit)
    def _edit(self, event: Edit) -> None:
        event.stop()
        if event.name == "profile":  # a whole set of realistic factors at once
            try:
                eff = load_named_profile(str(event.value))
            except InputError as exc:
                self.notify(str(exc), title="Profile", severity="error", timeout=8)
                return
            draft = replace(self.draft, efficiency=eff)
            for field in self.query(Field):
                field.sync(draft)
            self.apply(draft)
            return
        self.apply(self.draft.with_value(event.name, event.value))

    def apply(self, draft: Draft) -> bool:
        """Adopt ``draft``; if it does not make a valid scenario, say why and keep the last
        valid results on screen (the draft is kept so the user can fix the other field)."""
        self.draft = draft
        try:
            scenario = draft.scenario(self.catalog)
            self.dashboard = build(scenario, self.selected_batch, realistic=draft.efficiency)
        except InputError as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=6)
            return False
        self.compare()
        self.push_down()
        return True

    def push_down(self) -> None:
        d = self.dashboard
        self.query_one(ModelPane).show(self.draft, d)
        self.query_one(GPUPane).show(self.draft, d)
        for workload in self.query(WorkloadPane):  # mounted lazily, after the first frame
            workload.show(self.draft)
        self.query_one(Summary).show(d)
        self.show_chart()
        self.update_title()

    def show_chart(self) -> None:
        if self.chart == "measured":
            self.query_one(MeasuredPane).show(self.comparison)
        else:
            self.visible_chart().show(self.dashboard, self.measured_points())

    def visible_chart(self) -> Chart:
        return self.query_one(f"#chart-{self.chart}", Chart)

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "throughput"
        if pane != self.chart and (pane in CHART_IDS or pane == "measured"):
            self.chart = pane
            self.show_chart()
            self.update_title()

    # ------------------------------------------------------------------ presets

    def current_preset(self, name: str) -> Preset:
        chart = self.chart if self.chart in CHART_IDS else "throughput"
        description = self.preset.description if self.preset and self.preset.name == name else ""
        return Preset(
            name=name, scenario=self.dashboard.scenario, chart=chart, description=description
        )

    def modified(self) -> bool:
        if self.preset is None:
            return True
        chart = self.chart if self.chart in CHART_IDS else self.preset.chart
        return self.preset.scenario != self.dashboard.scenario or self.preset.chart != chart

    def update_title(self) -> None:
        if self.preset is None:
            self.app.sub_title = "unsaved scenario (Ctrl+S saves it)"
        else:
            mark = " *" if self.modified() else ""
            kind = " (built-in)" if self.preset.builtin else ""
            self.app.sub_title = f"{self.preset.name}{kind}{mark}"

    def load(self, preset: Preset) -> None:
        """Show ``preset``: its scenario (a custom model or GPU joins the catalog) and chart."""
        s = preset.scenario
        for entry, known in ((s.model, self.catalog.models), (s.gpu, self.catalog.gpus)):
            if known.get(entry.id) != entry:
                if entry is s.model:
                    self.catalog.add_model(s.model)
                else:
                    self.catalog.add_gpu(s.gpu)
                self.notify(f"{entry.id}: the preset's own definition is used", timeout=4)
        self.query_one(ModelPane).refresh_catalog()
        self.query_one(GPUPane).refresh_catalog()
        self.preset = preset
        self.selected_batch = None
        draft = Draft.from_scenario(s, realistic=self.draft.efficiency)
        for field in self.query(Field):
            field.sync(draft)
        if self.apply(draft):
            self.query_one(TabbedContent).active = preset.chart
            self.notify(f"loaded preset {preset.name!r}", timeout=3)

    @work(exclusive=True, group="preset")
    async def action_save_preset(self) -> None:
        default = "" if self.preset is None or self.preset.builtin else self.preset.name
        name = await self.app.push_screen_wait(
            NameDialog(
                "Save the scenario as a preset",
                default,
                check_name,
                hint="a-z, 0-9, '.', '_', '-'; saved in your config folder",
            )
        )
        if not name:
            return
        overwrite = False
        if any(p.name == name for p in list_presets(self.catalog)[0] if not p.builtin):
            overwrite = await self.app.push_screen_wait(
                ConfirmDialog(f"A preset named {name!r} exists. Replace it?", yes="Replace")
            )
            if not overwrite:
                return
        try:
            self.preset = save_preset(self.current_preset(name), overwrite=overwrite)
        except InputError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=8)
            return
        self.update_title()
        self.notify(f"saved preset {name!r} to {self.preset.path}", timeout=4)

    @work(exclusive=True, group="preset")
    async def action_load_preset(self) -> None:
        while True:
            presets, problems = list_presets(self.catalog)
            current = self.preset.name if self.preset else None
            choice = await self.app.push_screen_wait(PresetPicker(presets, problems, current))
            if choice is None:
                return
            what, name = choice
            try:
                if what == "load":
                    self.load(load_preset(name, self.catalog))
                    return
                if what == "delete":
                    if await self.app.push_screen_wait(
                        ConfirmDialog(
                            f"Delete preset {name!r}? This cannot be undone.", yes="Delete"
                        )
                    ):
                        delete_preset(name)
                        self.notify(f"deleted preset {name!r}", timeout=3)
                        if self.preset and self.preset.name == name:
                            self.preset = None
                            self.update_title()
                elif what == "rename":
                    new = await self.app.push_screen_wait(
                        NameDialog(f"Rename preset {name!r} to", name, check_name)
                    )
                    if new and new != name:
                        rename_preset(name, new)
                        self.notify(f"renamed {name!r} to {new!r}", timeout=3)
                        if self.preset and self.preset.name == name:
                            self.preset = replace(self.preset, name=new)
                            self.update_title()
            except InputError as exc:
                self.notify(str(exc), title="Preset", severity="error", timeout=8)
                return

    # ------------------------------------------------------------------ measurements

    def measured_points(self) -> list[tuple[float, float]]:
        if self.comparison is None:
            return []
        return [
            (r.point.batch, r.measured)
            for r in self.comparison.rows
            if r.metric == "total_tokens_per_s"
        ]

    def compare(self) -> None:
        if self.measurement is not None:
            self.comparison = compare_measurement(
                self.measurement, self.catalog, self.dashboard.scenario, base_label="the app"
            )

    @work(exclusive=True, group="benchmark")
    async def action_load_benchmark(self) -> None:
        recent = load_recent()
        path = await self.app.push_screen_wait(BenchmarkDialog(recent))
        if not path:
            return
        try:
            meas = load_measurement(Path(path))
        except InputError as exc:
            self.notify(str(exc), title="Not loaded", severity="error", timeout=10)
            return
        remember(path)
        self.measurement = meas
        self.adopt_workload(meas)
        self.compare()
        self.push_down()
        if self.comparison and self.comparison.skipped:
            self.notify(self.comparison.skipped, severity="warning", timeout=8)
        self.query_one(TabbedContent).active = "throughput"
        self.notify(f"loaded {len(meas.points)} measured points from {path}", timeout=4)

    def adopt_workload(self, meas: Measurement) -> None:
        """Take the file's batch sizes and (when all points share them) its token counts, so
        that the curves on screen are the ones the measurements test."""
        pts = [p for p in meas.points if p.batch >= 1]
        if not pts:
            return
        draft = self.draft.with_value("batch_sizes", tuple(sorted({p.batch for p in pts})))
        ins = {round(p.input_tokens) for p in pts}
        outs = {round(p.output_tokens) for p in pts}
        if len(ins) == 1 and min(ins) >= 1:
            draft = draft.with_value("input_tokens", ins.pop())
        if len(outs) == 1 and min(outs) >= 1:
            draft = draft.with_value("output_tokens", outs.pop())
        for field in self.query(Field):
            field.sync(draft)
        self.apply(draft)

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
