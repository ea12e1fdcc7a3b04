"""The main screen: the side panel (tabs Model, GPU, Load), the charts and the summary strip. It
turns each edit into a new draft (:mod:`tui.screens.base` resolves and pushes the results down);
the preset and measured-results flows are mixed in from :mod:`tui.flows`.

Every input is a key or two away: the jump keys of :mod:`tui.panes.jumps` (shown beside their
inputs, in the footer and in the help) focus an input and bring its tab to the front. Below
:data:`MIN_SIZE` the screen says so instead of drawing squeezed charts."""

from __future__ import annotations

from dataclasses import replace

from textual import events, on
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import (
    ContentSwitcher,
    Footer,
    Header,
    Input,
    Static,
    Tab,
    Tabs,
)

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from engine.storage.profiles import load_named_profile
from tui import startup
from tui.charts import CHART_CLASSES, CHART_KEYS, CHART_TABS, SERVING_TABS
from tui.charts.tabs import ChartTabs
from tui.flows.export import ExportFlow
from tui.flows.measured import MeasuredFlow
from tui.flows.presets import PresetFlow
from tui.flows.side_by_side import PinFlow
from tui.panes.jumps import JUMP_BY_NAME, JUMPS, SIDE_TABS
from tui.panes.summary import SummaryStrip
from tui.state import Draft
from tui.widgets import AfterFirstFrame, Edit, Field

#: The chart tabs in order: the charts of keys 1-6, the Measured table (7), the serving charts.
TABS = (*CHART_TABS, ("measured", "Measured"), *SERVING_TABS)


def content_id(tab: str) -> str:
    """The id of what the tab ``tab`` shows (a chart, or the Measured table)."""
    return "measured-pane" if tab == "measured" else f"chart-{tab}"


SCENARIO_KEYS = {"chart", "toggle_mode", "load", "bench", "pin", "export"}
#: The smallest terminal the screen draws in: 80 columns, the width of the summary's lines (they
#: wrap and lose the cost line below it) and of the footer's keys (they run under the palette key);
#: 20 rows, so that under the header, the chart tabs and above the summary and footer a chart has
#: 12 rows: a plot of 6 with its axes and key. At 40x12 the axes ran backwards.
MIN_SIZE = Size(80, 20)
#: Below this width the side panel narrows to 27 columns (the charts keep their keys at 80x24)
#: and the footer leaves out the keys the palette and the help name (Ctrl+B, b).
WIDE = 100
#: The keys the footer names only from a width on (they work at any width, and the help and the
#: palette name them), so that the help key stays in sight: id -> the least width.
FOOTER_FROM = {"load-benchmark": WIDE, "open-bench": WIDE, "pin": 130, "export": 130}
JUMP_GROUP = Binding.Group("jump", compact=True)
#: The jumps the footer names (the others are shown beside their inputs and in the help).
FOOTER_JUMPS = ("model", "gpu", "gpus", "tp", "input", "output", "load")
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
                    group=Binding.Group(word),  # [ ] batch: one entry in the footer
                )
            )
    return out


def _jump_bindings() -> list[Binding]:
    """One key per jump (shown in the footer as one group), and the same on Alt, which works in a
    text field too (not shown; a terminal sends Esc then the key for it, which does the same)."""
    out = []
    for j in JUMPS:
        out.append(
            Binding(
                j.key,
                f"jump({j.name!r})",
                j.label,
                id=f"jump-{j.name}",
                tooltip=f"jump to {j.help}",
                show=j.name in FOOTER_JUMPS,
                group=JUMP_GROUP,
            )
        )
    out += [
        Binding(
            f"alt+{j.key}",
            f"jump({j.name!r}, True)",
            j.label,
            id=f"jump-alt-{j.name}",
            show=False,
            priority=True,  # before a text field, which would type the letter
        )
        for j in JUMPS
        if len(j.key) == 1
    ]
    return out


class MainScreen(PresetFlow, MeasuredFlow, PinFlow, ExportFlow):
    """Compose the panes and the charts; turn edits into drafts; the keys of the main screen."""

    AUTO_FOCUS = "#charts"  # keys 1-6, m, [ ] work at once; Tab reaches the fields
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
        Binding(
            "p",
            "pin",
            "pin",
            id="pin",
            tooltip="pin this scenario as A, to compare the next ones with (p again unpins)",
        ),
        Binding(
            "x",
            "export",
            "export",
            id="export",
            tooltip="export the chart's data (CSV), it and the summary (JSON) and the screen (SVG)",
        ),
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
        *_jump_bindings(),
        Binding(
            "escape",
            "leave_field",
            "charts",
            id="leave-field",
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
        self.footer_hidden: set[str] = set()  # the keys too wide for the footer now

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="too-small")
        with Horizontal(id="body"):
            yield Vertical(id="side")  # its tabs and panes: after the first frame (mount_behind)
            with Vertical(id="charts-area"):
                yield ChartTabs(TABS, self.chart, id="charts")
                with Vertical(id="chart-panes"):
                    yield self._tab_content(self.chart)
        yield SummaryStrip(id="summary")
        yield Footer(compact=True)
        yield AfterFirstFrame(self.mount_behind)

    def _tab_content(self, tab: str) -> Widget:
        if tab == "measured":
            from tui.panes.measured import MeasuredPane  # mounted after the first frame

            return MeasuredPane(id=content_id(tab))
        return CHART_CLASSES[tab](id=content_id(tab))

    def on_mount(self) -> None:
        self.fit(self.app.size)
        self.push_down()
        self.set_timer(startup.RELEASE_AT_LATEST, startup.release)  # should a pane not mount

    async def mount_behind(self) -> None:
        """What the first frame does not show, mounted after it (a faster start: not even made
        before): the side panel (its tabs, and its panes: the Model pane comes under the
        chart's first frame) and the chart tabs behind the first one. Keys reach them once
        mounted; the panes show the scenario when they are (PaneMounted), a chart when its tab
        is shown."""
        from tui.panes.gpu import GPUPane  # imported here: a faster start
        from tui.panes.model import ModelPane
        from tui.panes.workload import WorkloadPane

        s = self.dashboard.scenario
        panes: dict[str, Widget] = {
            "side-model": ModelPane(self.catalog, self.draft, s),
            "side-gpu": GPUPane(self.catalog, self.draft, s),
            "side-load": WorkloadPane(self.catalog, self.draft, s, self.default_profile),
        }
        mounts = [
            self.query_one("#side", Vertical).mount(
                Tabs(*(Tab(label, id=f"{t}-tab") for t, label in SIDE_TABS), id="side-tabs"),
                ContentSwitcher(
                    *(VerticalScroll(pane, id=tab) for tab, pane in panes.items()),
                    initial=SIDE_TABS[0][0],
                    id="side-panes",
                ),
            )
        ]
        first, behind = self.chart, []
        for tab, _ in TABS:
            if tab != first:
                behind.append(content := self._tab_content(tab))
                content.display = False
        mounts.append(self.query_one("#chart-panes").mount_all(behind))
        for mounted in mounts:
            await mounted
        self.call_after_refresh(startup.release)  # the start is over, once this is drawn
        if self.chart != first:  # another tab was chosen before its chart was there
            self.show_tab(self.chart, again=True)

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size)

    def fit(self, size: Size) -> None:
        """Below :data:`MIN_SIZE`, a message instead of the panes; a narrow side panel below
        :data:`WIDE` columns."""
        small = size.width < MIN_SIZE.width or size.height < MIN_SIZE.height
        if small:
            self.query_one("#too-small", Static).update(
                f"tokentui needs at least {MIN_SIZE.width}x{MIN_SIZE.height};\n"
                f"this terminal is {size.width}x{size.height}.\n\n"
                "Make it larger (or Ctrl+Q quits)."
            )
        narrow = size.width < WIDE
        self.set_class(narrow, "-narrow")
        footer = {key for key, least in FOOTER_FROM.items() if size.width < least}
        if footer != self.footer_hidden:
            self.footer_hidden = footer
            self.refresh_bindings()
        self.set_class(small, "-too-small")

    @on(Edit)
    def _edit(self, event: Edit) -> None:
        event.stop()
        name, value = event.name, event.value
        if name == "profile":  # a whole set of realistic factors at once
            if value == "custom":  # the factors as they are now
                self.draft = replace(self.draft, profile="custom")
                return
            try:
                eff = load_named_profile(str(value))
            except InputError as exc:
                self.notify(str(exc), title="Profile", severity="error", timeout=8)
                return
            self.edit(name, lambda d: Draft(d.input, eff, str(value)))
            self.sync_fields(self.draft)
            return
        if name == "engine":  # its settings, and its factors on the default profile
            try:
                profile = self.catalog.engine(str(value))
            except InputError as exc:
                self.notify(str(exc), title="Engine", severity="error", timeout=8)
                return
            factors = replace(self.default_profile, **profile.factors)
            self.edit(name, lambda d: d.with_engine(profile.name, factors))
            self.sync_fields(self.draft)
            return
        if name == "load":  # another axis: its defaults, the middle point selected
            self.selected_load = None
            self.edit(name, lambda d: d.with_value("load", value))
            self.sync_fields(self.draft)
            for pane in self.side_panes():  # the workload pane: the new axis' fields
                pane.show(self.draft, self.dashboard)
            return
        self.edit(name, lambda d: d.with_value(name, value))

    @on(ChartTabs.Chosen)
    def _tab(self, event: ChartTabs.Chosen) -> None:
        event.stop()
        self.show_tab(event.tab)

    def show_tab(self, chart: str, again: bool = False) -> None:
        """Bring the tab ``chart`` (a chart's id, or "measured") to the front and show the
        scenario on it (``again``: also when it is the current one)."""
        if chart not in CHART_CLASSES and chart != "measured":
            return
        self.query_one(ChartTabs).active = chart
        shown = content_id(chart)
        for content in self.query_one("#chart-panes").children:
            content.display = content.id == shown
        if chart != self.chart or again:
            self.chart = chart
            self.show_chart()
            self.update_title()

    # ------------------------------------------------------------------ actions

    def action_chart(self, chart: str) -> None:
        self.show_tab(chart)

    @on(Tabs.TabActivated, "#side-tabs")
    def _side_tab(self, event: Tabs.TabActivated) -> None:
        event.stop()
        pane = (event.tab.id or "").removesuffix("-tab")
        self.query_one("#side-panes", ContentSwitcher).current = pane

    def show_side(self, pane: str) -> None:
        """Bring the side panel's tab ``pane`` to the front (once the panel is mounted)."""
        switcher = next(iter(self.query("#side-panes").results(ContentSwitcher)), None)
        if switcher is not None and switcher.current != pane:
            self.query_one("#side-tabs", Tabs).active = f"{pane}-tab"
            switcher.current = pane

    def action_toggle_mode(self) -> None:
        mode = "ideal" if self.draft.mode == "realistic" else "realistic"
        self.edit("mode", lambda d: d.with_value("mode", mode))

    def action_jump(self, name: str, alt: bool = False, tries: int = 5) -> None:
        """Focus the input of the jump ``name`` (its tab to the front); ``alt``: typed with Alt
        (it works in a text field too). The load tab's inputs are mounted after the first frame,
        so a jump to one waits for them."""
        jump = JUMP_BY_NAME[name]
        self.show_side(jump.tab)
        shown = [w for w in self.query(jump.target) if w.display]
        if not shown:
            if tries > 0:
                self.call_after_refresh(self.action_jump, name, alt, tries - 1)
            return
        target = shown[0].input if isinstance(shown[0], Field) else shown[0]
        target.focus(scroll_visible=False)
        self.call_after_refresh(shown[0].scroll_visible, animate=False)  # with its error line

    def action_load(self, step: int, axis: str = "") -> None:
        """Select the previous/next point of the load axis (``axis`` names the binding's)."""
        loads = self.dashboard.loads
        i = min(max(self.dashboard.selected + step, 0), len(loads) - 1)
        self.selected_load = loads[i]
        self.rebuild()

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
        self.query_one(ChartTabs).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Letter and digit keys type into a focused field, so they are off there (the jump
        keys, hidden there, make room for Esc). Of the [ ] bindings, only those named after the
        scenario's load axis apply."""
        if action == "load" and len(parameters) > 1:
            axis = self.dashboard.axis
            named = parameters[1]
            if named != axis and (named or axis in LOAD_AXES):
                return False
        typing = isinstance(self.focused, Input)
        if action == "leave_field":
            return self.in_side(self.focused)
        if action == "jump" and typing:
            return bool(parameters[1:2] == (True,))  # the letters type; Alt+letter jumps
        if action in SCENARIO_KEYS and typing:
            return None
        return True

    def in_side(self, widget: Widget | None) -> bool:
        return widget is not None and any(a.id == "side" for a in widget.ancestors)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """What the footer shows: Esc only in a text field (elsewhere the keys work as they are);
        not the keys of :data:`FOOTER_FROM` below their width."""
        hidden = set() if isinstance(self.focused, Input) else {"leave-field"}
        hidden |= self.footer_hidden
        return {
            key: a._replace(binding=replace(a.binding, show=False)) if a.binding.id in hidden else a
            for key, a in super().active_bindings.items()
        }

    def push_down(self) -> None:
        super().push_down()
        if self.dashboard.axis != self.axis_shown:  # the [ ] keys' names in the footer
            self.axis_shown = self.dashboard.axis
            self.refresh_bindings()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A field focused in a tab behind (Tab, a click, a test) brings that tab to the front."""
        for node in event.widget.ancestors:
            if node.parent is not None and node.parent.id == "side-panes" and node.id:
                self.show_side(node.id)
                break
        self.refresh_bindings()

    def mark_refused(self, field: Field | None) -> None:
        """Mark the side tab that holds a refused field ("GPU !"), so that one behind is seen."""
        holder = None
        if field is not None:
            holder = next(
                (a.id for a in field.ancestors if a.parent and a.parent.id == "side-panes"), None
            )
        tabs = next(iter(self.query("#side-tabs").results(Tabs)), None)
        if tabs is None:  # before the side panel is mounted
            return
        for pane, label in SIDE_TABS:
            tab = tabs.query_one(f"#{pane}-tab", Tab)
            refused = pane == holder
            tab.label = f"{label} !" if refused else label
            tab.set_class(refused, "-refused")

    def field(self, name: str) -> Field:
        return self.query_one(f"#field-{name}", Field)
