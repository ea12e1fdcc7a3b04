"""The main screen: the model, GPU and workload panes, the charts and the summary strip. It turns
each edit into a new draft (:mod:`tui.screens.base` resolves and pushes the results down); the
preset and measured-results flows are mixed in from :mod:`tui.flows`."""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.lazy import Lazy
from textual.widgets import Footer, Header, Input, TabbedContent, TabPane

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from engine.storage.profiles import load_named_profile
from tui.charts import CHART_CLASSES, CHART_KEYS, CHART_TABS, SERVING_TABS
from tui.flows.measured import MeasuredFlow
from tui.flows.presets import PresetFlow
from tui.panes.gpu import GPUPane
from tui.panes.measured import MeasuredPane
from tui.panes.model import ModelPane
from tui.panes.summary import SummaryStrip
from tui.panes.workload import WorkloadPane
from tui.state import Draft
from tui.widgets import Edit, Field

SCENARIO_KEYS = {"chart", "toggle_mode", "load", "bench"}
#: The load axes the [ and ] keys step through, with the footer's word and the tooltip's.
LOAD_AXES = {
    "batch": ("batch", "batch size"),
    "concurrency": ("conc", "concurrency (users)"),
    "rate": ("rate", "request rate"),
    "requests": ("reqs", "request count"),
}


def _load_bindings() -> list[Binding]:
    """[ and ] once per load axis, each named after it (the one of the scenario's axis is
    active: :meth:`MainScreen.check_action`), then for an axis without a name of its own."""
    out = []
    for axis, (word, what) in (*LOAD_AXES.items(), ("", ("load", "point"))):
        suffix = "" if axis == "batch" else f"-{axis or 'other'}"
        for key, step, sign, which in (
            ("left_square_bracket", -1, "-", "prev"),
            ("right_square_bracket", 1, "+", "next"),
        ):
            out.append(
                Binding(
                    key,
                    f"load({step}, {axis!r})",
                    f"{word}{sign}",
                    id=f"load-{which}{suffix}",
                    tooltip=f"{'previous' if step < 0 else 'next'} {what} of the load axis, "
                    f"for the summary",
                )
            )
    return out


class MainScreen(PresetFlow, MeasuredFlow):
    """Compose the panes and the charts; turn edits into drafts; the keys of the main screen."""

    AUTO_FOCUS = "#charts Tabs"  # keys 1-6, m, [ ] work at once; Tab reaches the fields
    BINDINGS = [
        *(
            Binding(
                key,
                f"chart('{cid}')",
                label,
                id=f"chart-{cid}",
                tooltip=f"show the {label.lower()} chart",
                show=False,
            )
            for key, cid, label in CHART_KEYS
        ),
        Binding(
            "7",
            "chart('measured')",
            "Measured",
            id="chart-measured",
            show=False,
            tooltip="measured points against the predictions",
        ),
        *_load_bindings(),
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
            "b",
            "bench",
            "bench",
            id="open-bench",
            tooltip="measure a running server, next to the prediction",
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
        default_profile: Efficiency,
        chart: str = "throughput",
        preset: Preset | None = None,
    ) -> None:
        chart = chart if chart in CHART_CLASSES else "throughput"
        super().__init__(catalog, draft, default_profile, chart, preset)
        self.axis_shown = self.dashboard.axis  # the axis the [ ] keys are named after

    def compose(self) -> ComposeResult:
        s = self.dashboard.scenario
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="sidebar"):
                yield ModelPane(self.catalog, self.draft, s)
                yield GPUPane(self.catalog, self.draft, s)
                yield Lazy(
                    WorkloadPane(self.catalog, self.draft, s, self.default_profile)
                )  # below the fold: after the first frame
            with TabbedContent(initial=self.chart, id="charts"):
                for cid, label in CHART_TABS:
                    with TabPane(label, id=cid):
                        yield CHART_CLASSES[cid](id=f"chart-{cid}")
                with TabPane("Measured", id="measured"):
                    yield MeasuredPane()
                for cid, label in SERVING_TABS:
                    with TabPane(label, id=cid):
                        yield CHART_CLASSES[cid](id=f"chart-{cid}")
        yield SummaryStrip(id="summary")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.push_down()

    @on(Edit)
    def _edit(self, event: Edit) -> None:
        event.stop()
        if event.name == "profile":  # a whole set of realistic factors at once
            if event.value == "custom":  # the factors as they are now
                self.draft = replace(self.draft, profile="custom")
                return
            try:
                eff = load_named_profile(str(event.value))
            except InputError as exc:
                self.notify(str(exc), title="Profile", severity="error", timeout=8)
                return
            draft = Draft(self.draft.input, eff, str(event.value))
            self.apply(draft)
            self.sync_fields(draft)
            return
        if event.name == "engine":  # its settings, and its factors on the default profile
            try:
                profile = self.catalog.engine(str(event.value))
            except InputError as exc:
                self.notify(str(exc), title="Engine", severity="error", timeout=8)
                return
            draft = self.draft.with_engine(
                profile.name, replace(self.default_profile, **profile.factors)
            )
            self.apply(draft)
            self.sync_fields(draft)
            return
        if event.name == "load":  # another axis: its defaults, the middle point selected
            self.selected_load = None
            draft = self.draft.with_value("load", event.value)
            self.apply(draft)
            self.sync_fields(draft)
            for workload in self.query(WorkloadPane):
                workload.show(draft, self.dashboard)
            return
        try:
            draft = self.draft.with_value(event.name, event.value)
        except InputError as exc:
            self.notify(str(exc), title="Not applied", severity="error", timeout=6)
            return
        self.apply(draft)

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id or "throughput"
        if pane != self.chart and (pane in CHART_CLASSES or pane == "measured"):
            self.chart = pane
            self.show_chart()
            self.update_title()

    # ------------------------------------------------------------------ actions

    def action_chart(self, chart: str) -> None:
        self.query_one(TabbedContent).active = chart

    def action_toggle_mode(self) -> None:
        self.apply(
            self.draft.with_value(
                "mode", "ideal" if self.draft.mode == "realistic" else "realistic"
            )
        )

    def action_load(self, step: int, axis: str = "") -> None:
        """Select the previous/next point of the load axis (``axis`` names the binding's)."""
        loads = self.dashboard.loads
        i = min(max(self.dashboard.selected + step, 0), len(loads) - 1)
        self.selected_load = loads[i]
        self.apply(self.draft)

    def action_bench(self) -> None:
        """Open the Bench screen (one, kept with its run while the app runs) on this scenario."""
        from tui.screens.bench import BenchScreen  # httpx and the bench: loaded when asked for

        app = self.app
        if not app.is_screen_installed("bench"):
            app.install_screen(BenchScreen(self.use_bench_profile), "bench")
        bench = app.get_screen("bench")
        assert isinstance(bench, BenchScreen)
        bench.use(self.dashboard.scenario, self.draft.realistic, self.draft.profile)
        if bench not in app.screen_stack:
            app.push_screen(bench)

    def use_bench_profile(self, name: str) -> None:
        """A calibration of the Bench screen saved profile ``name``: use it, predict with it."""
        self._edit(Edit("profile", name))
        if self.app.is_screen_installed("bench"):
            from tui.screens.bench import BenchScreen

            bench = self.app.get_screen("bench")
            if isinstance(bench, BenchScreen):
                bench.use(self.dashboard.scenario, self.draft.realistic, self.draft.profile)

    def action_leave_field(self) -> None:
        self.query_one(TabbedContent).query_one("Tabs").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter and digit keys type into a focused field, so they are off there. Of the [ ]
        bindings, only those named after the scenario's load axis apply."""
        if action == "load" and len(parameters) > 1:
            axis = self.dashboard.axis
            named = parameters[1]
            if named != axis and (named or axis in LOAD_AXES):
                return False
        if action in SCENARIO_KEYS and isinstance(self.focused, Input):
            return None
        return True

    def push_down(self) -> None:
        super().push_down()
        if self.dashboard.axis != self.axis_shown:  # the [ ] keys' names in the footer
            self.axis_shown = self.dashboard.axis
            self.refresh_bindings()

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def field(self, name: str) -> Field:
        return self.query_one(f"#field-{name}", Field)
