"""The Bench screen: measure a running server from the app, next to the prediction.

A form (URL, API, model, concurrency levels, lengths, requests per level) runs
:func:`engine.bench.runner.run_bench` in a worker; the progress line, the two charts (latency and
throughput against concurrency, measured solid and predicted dotted), the table of measured
against predicted and the scaling analysis follow each level as it finishes. The prediction is
the main screen's scenario (its model, GPUs, engine, precisions and factors), handed down by
:meth:`BenchScreen.use` whenever the screen is opened. A run can be saved as a results file
(``tokentui-bench``, what Ctrl+B and ``tokentui compare`` read) and calibrated: the realistic
factors fitted to it, as ``tokentui calibrate`` fits them, saved as a profile that the scenario
then uses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Static
from textual.widgets.button import ButtonVariant

from engine.bench.results import save_run
from engine.bench.runner import BenchRun, BenchSettings, Progress, run_bench
from engine.bench.settings import api_key_from_env
from engine.errors import InputError, terminal_safe
from engine.measure.calibration import FitCase, fit_determined
from engine.physics.deployment import Efficiency
from engine.scenario.scenario import Scenario
from engine.storage.profiles import save_profile
from engine.views.bench_report import (
    LevelPrediction,
    measurement,
)
from engine.views.calibrate_report import display_path, fit_info, pooled_mape
from engine.views.format import count
from tui.bench_run import (
    APIS,
    DEFAULT_URL,
    FORM,
    FREE,
    OLLAMA_URL,
    SETTINGS_FIELDS,
    analysis_lines,
    check_new_profile,
    check_save_path,
    fit_text,
    predict,
    prediction_line,
    progress_text,
    scenario_text,
    slug,
    summaries_json,
    table_rows,
)
from tui.charts.bench import BenchData, BenchLatencyChart, BenchThroughputChart, legend
from tui.dialogs import ConfirmDialog, NameDialog
from tui.recent import remember
from tui.widgets import Choice, Edit, Field, plain

IDLE = "Ctrl+R runs the levels; Esc stops a run, keeping what it measured"
#: The buttons: label, id, action, variant.
BUTTONS: tuple[tuple[str, str, str, ButtonVariant], ...] = (
    ("Start", "bench-run", "start", "primary"),
    ("Stop", "bench-halt", "stop", "error"),
    ("Save…", "bench-save-run", "save", "default"),
    ("Calibrate…", "bench-fit", "calibrate", "default"),
)


class BenchScreen(Screen[None]):
    """The form, the progress, the charts, the table and the analysis of one server's run."""

    AUTO_FOCUS = "#bench-url-input"
    BINDINGS = [
        Binding("ctrl+r", "start", "start", id="bench-start", tooltip="run the levels"),
        Binding(
            "escape",
            "stop",
            "stop",
            id="bench-stop",
            tooltip="stop the run, keeping the levels measured",
        ),
        Binding("escape", "back", "back", id="bench-back", tooltip="back to the scenario"),
        Binding("ctrl+s", "save", "save", id="bench-save", tooltip="save the run (JSON)"),
        Binding(
            "ctrl+f",
            "calibrate",
            "calibrate",
            id="bench-calibrate",
            tooltip="fit the realistic factors to this run; save them as a profile",
        ),
    ]

    running: reactive[bool] = reactive(False)
    progress: reactive[Progress | None] = reactive(None)

    @dataclass
    class Measured(Message):
        """A level finished: the run so far."""

        run: BenchRun

    @dataclass
    class Ended(Message):
        """The run ended: the run (None when nothing was measured) and why not, if not."""

        run: BenchRun | None
        error: str | None = None

    def __init__(self, use_profile: Callable[[str], None] | None = None) -> None:
        """``use_profile``: makes the scenario use a saved profile (after a calibration)."""
        super().__init__()
        self.use_profile = use_profile
        self.scenario: Scenario | None = None
        self.realistic: Efficiency | None = None
        self.profile_label = "default"
        self.run: BenchRun | None = None
        self.predictions: list[LevelPrediction] | None = None  # of the run's measured levels
        self.outcome = IDLE  # the progress line when no run is going
        self.stop_event: asyncio.Event | None = None
        #: what the form asks now (its last valid values): the levels predicted before a run
        self.plan: tuple[tuple[int, ...], int, int] = ((1, 8, 32, 128), 256, 256)
        #: the tests' fake server (an httpx transport); None talks to the URL
        self.bench_transport: httpx.AsyncBaseTransport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="bench-body"):
            fields = {
                name: Field(
                    name, label, value, parse, placeholder=hint, tooltip=tip, id=f"bench-{name}"
                )
                for name, label, value, parse, hint, tip in FORM
            }
            with Horizontal(classes="bench-row"):
                yield fields["url"]
                yield Choice(
                    "api", "API", APIS, "completions", id="bench-api", tooltip="the server's API"
                )
                yield fields["model"]
            with Horizontal(classes="bench-row"):
                for name in ("concurrency", "output", "input", "requests"):
                    yield fields[name]
            with Horizontal(id="bench-buttons"):
                for label, bid, action, variant in BUTTONS:
                    yield Button(label, variant, id=bid, action=f"screen.{action}", compact=True)
                yield Static(IDLE, id="bench-progress")
            yield Static("", id="bench-predicted")
            with Horizontal(id="bench-charts"):
                with Vertical():
                    yield BenchLatencyChart(id="bench-latency")
                    yield Static(legend(BenchLatencyChart.SERIES), classes="bench-legend")
                with Vertical():
                    yield BenchThroughputChart(id="bench-throughput")
                    yield Static(legend(BenchThroughputChart.SERIES), classes="bench-legend")
            yield DataTable(id="bench-table", show_cursor=False, zebra_stripes=True)
            yield Static("", id="bench-analysis")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = "tokentui bench"
        self.sub_title = "measure a running server, next to the prediction"
        self.push_down()

    # ------------------------------------------------------------------ the scenario

    def use(self, scenario: Scenario, realistic: Efficiency, profile: str) -> None:
        """Predict for ``scenario`` (the main screen's); ``realistic`` and ``profile``: the
        factors a calibration starts from, and their name."""
        self.scenario, self.realistic, self.profile_label = scenario, realistic, profile
        if self.is_mounted:
            self.push_down()

    def push_down(self) -> None:
        """Redraw the prediction line, the charts, the table and the analysis."""
        p = predict(self.scenario, self.run, self.plan)
        self.predictions = p.measured
        by_level = p.by_level()
        self.query_one("#bench-predicted", Static).update(prediction_line(self.scenario, p))
        run = self.run
        levels = run.settings.concurrency if run is not None else self.plan[0]
        summaries = tuple(run.summaries) if run is not None else ()
        data = BenchData(
            levels=tuple(levels),
            summaries=summaries,
            predicted=tuple(by_level.get(c) for c in levels),
        )
        for chart in (self.query_one(BenchLatencyChart), self.query_one(BenchThroughputChart)):
            chart.show_bench(data)
        self.show_table(list(summaries))
        self.show_analysis(list(summaries))
        self.show_buttons()

    def show_table(self, summaries: list[dict[str, Any]]) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        header, rows = table_rows(summaries, self.predictions)
        for i, label in enumerate(header):  # widths given: an auto width can render stale
            table.add_column(label, width=max(len(label), *(len(r[i]) for r in rows), 1))
        for row in rows:
            table.add_row(*(Text(terminal_safe(c), justify="right") for c in row))
        table.display = bool(rows)

    def show_analysis(self, summaries: list[dict[str, Any]]) -> None:
        stopped = self.run.stopped if self.run is not None else None
        lines = analysis_lines(summaries, self.predictions, stopped)
        analysis = self.query_one("#bench-analysis", Static)
        analysis.update(plain("\n".join(lines)))
        analysis.display = bool(lines)

    def measured(self) -> bool:
        return self.run is not None and any(s.get("requests") for s in self.run.summaries)

    def show_buttons(self) -> None:
        self.query_one("#bench-run", Button).disabled = self.running
        self.query_one("#bench-halt", Button).disabled = not self.running
        idle_with_run = self.measured() and not self.running
        self.query_one("#bench-save-run", Button).disabled = not idle_with_run
        self.query_one("#bench-fit", Button).disabled = not idle_with_run
        self.refresh_bindings()

    # ------------------------------------------------------------------ the form

    def field(self, name: str) -> Field:
        return self.query_one(f"#bench-{name}", Field)

    @on(Edit)
    def _edit(self, event: Edit) -> None:
        event.stop()
        if event.name == "api":  # the default URL of the API's usual server
            url = self.field("url")
            if url.input.value.strip() in (DEFAULT_URL, OLLAMA_URL):
                url.set_value(OLLAMA_URL if event.value == "ollama" else DEFAULT_URL)
            return
        if event.name in ("concurrency", "input", "output"):
            levels, ins, outs = self.plan
            if event.name == "concurrency":
                levels = event.value
            elif event.name == "input":
                ins = event.value
            else:
                outs = event.value
            self.plan = (levels, ins, outs)
            if self.run is None and not self.running:
                self.push_down()

    def settings(self) -> BenchSettings | None:
        """The form's settings, or None with each refused value's reason at its field (and the
        first of them focused)."""
        values: dict[str, Any] = {}
        bad: list[Field] = []
        for name, *_ in FORM:
            field = self.field(name)
            try:
                values[name] = field.parse(field.input.value)
            except (InputError, ValueError) as exc:
                field.show_error(str(exc))
                bad.append(field)
        if not bad:
            try:
                return BenchSettings(
                    url=values["url"],
                    api=self.query_one("#bench-api", Choice).value,
                    model=values["model"],
                    concurrency=values["concurrency"],
                    output_tokens=(values["output"],),
                    input_tokens=values["input"],
                    requests_per_level=values["requests"],
                )
            except InputError as exc:
                field = self.field(SETTINGS_FIELDS.get(exc.field or "", "concurrency"))
                field.show_error(str(exc))
                bad.append(field)
        bad[0].input.focus()
        return None

    # ------------------------------------------------------------------ the run

    def hardware(self) -> dict[str, Any] | None:
        """What the results file says the server ran on: the scenario's GPUs (the prediction's
        hardware, as ``tokentui bench --gpu`` records it)."""
        s = self.scenario
        if s is None:
            return None
        return {"source": "user", "gpu_name": s.gpu.id, "gpu_count": s.gpus, "from": "the app"}

    def action_start(self) -> None:
        if self.running:
            return
        settings = self.settings()
        if settings is None:
            return
        self.run = None
        self.progress = None
        self.outcome = f"connecting to {settings.url} …"
        self.running = True
        self.push_down()
        self.measure(settings)

    @work(exclusive=True, group="bench")
    async def measure(self, settings: BenchSettings) -> None:
        stop = self.stop_event = asyncio.Event()
        key = api_key_from_env()
        try:
            run = await run_bench(
                settings,
                stop=stop,
                progress=self._progress,
                on_level=self._level_done,
                api_key=key,
                transport=self.bench_transport,
                hardware=self.hardware(),
            )
        except InputError as exc:
            if exc.field == "model":  # the server serves several: which one is for the form
                self.field("model").show_error(str(exc))
            self.post_message(self.Ended(None, str(exc)))
            return
        except Exception as exc:  # a network tool in an app: never take the app down
            self.post_message(self.Ended(None, f"the run failed: {type(exc).__name__}: {exc}"))
            return
        self.post_message(self.Ended(run))

    def _level_done(self, run: BenchRun) -> None:
        self.post_message(self.Measured(run))

    def _progress(self, p: Progress) -> None:
        self.progress = p

    def watch_progress(self, p: Progress | None) -> None:
        if self.is_mounted:
            shown = progress_text(p) if p is not None and self.running else self.outcome
            if self.stop_event is not None and self.stop_event.is_set() and self.running:
                shown = "stopping: keeping the levels measured …"
            # the outcome quotes the server (its model, its errors): shown, never markup
            self.query_one("#bench-progress", Static).update(plain(shown))

    def watch_running(self) -> None:
        if self.is_mounted:
            self.show_buttons()

    @on(Measured)
    def _measured(self, event: Measured) -> None:
        self.run = event.run
        self.push_down()

    @on(Ended)
    def _ended(self, event: Ended) -> None:
        self.running = False
        if event.run is not None:
            self.run = event.run
        run = self.run
        levels = sum(1 for s in run.summaries if s.get("requests")) if run else 0
        planned_levels = len(run.settings.concurrency) if run else 0
        if event.error:
            kept = f" (kept {count(levels, 'level')})" if levels else ""
            self.outcome = f"not measured{kept}: {event.error}"
            self.notify(event.error, title="Bench", severity="error", timeout=10)
        elif run is not None and run.stopped:
            self.outcome = (
                f"stopped: {run.stopped}; kept {levels} of {count(planned_levels, 'level')}"
            )
            if run.stopped != "stopped by the user":
                self.notify(run.stopped, title="Bench stopped", severity="warning", timeout=10)
        elif run is not None:
            engine = f" ({run.server.engine})" if run.server.engine else ""
            took = f"{run.elapsed_s:.1f} s"
            self.outcome = f"done: {count(levels, 'level')} in {took}, model {run.model}{engine}"
        self.progress = None
        self.watch_progress(None)
        self.push_down()

    def action_stop(self) -> None:
        if self.stop_event is not None and self.running:
            self.stop_event.set()
            self.watch_progress(self.progress)

    def action_back(self) -> None:
        if self.app.screen is self:  # a second Escape, before it left, would pop the main screen
            self.app.pop_screen()

    @on(Input.Submitted, "#bench-body Input")
    def _submitted(self) -> None:
        """Enter in a field of the form starts the run."""
        self.action_start()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape stops a run, else goes back; save and calibrate need a measured level."""
        if action == "start":
            return not self.running
        if action == "stop":
            return self.running
        if action == "back":
            return not self.running
        if action in ("save", "calibrate"):
            return True if self.measured() and not self.running else None
        return True

    # ------------------------------------------------------------------ save, calibrate

    @work(exclusive=True, group="bench-file")
    async def action_save(self) -> None:
        run = self.run
        if run is None or not self.measured() or self.running:
            return
        default = f"bench-{slug(run.model)}.json"
        text = await self.app.push_screen_wait(
            NameDialog(
                "Save the run as a results file (tokentui-bench JSON)",
                default,
                check_save_path,
                hint="Ctrl+B on the main screen loads it; so do tokentui compare and calibrate",
            )
        )
        if not text:
            return
        path = Path(text).expanduser()
        if path.exists() and not await self.app.push_screen_wait(
            ConfirmDialog(f"{path} exists. Replace it?", "Replace")
        ):
            return
        try:
            await asyncio.to_thread(save_run, run, path)  # every request's chunks: seconds
        except (InputError, OSError) as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=10)
            return
        remember(str(path.resolve()))
        self.notify(f"saved {count(len(run.summaries), 'level')} to {path}", timeout=5)

    @work(exclusive=True, group="bench-file")
    async def action_calibrate(self) -> None:
        run, s, start = self.run, self.scenario, self.realistic
        if run is None or s is None or start is None or not self.measured() or self.running:
            return
        try:
            meas = measurement(summaries_json(run))
            case = FitCase("bench", s, meas.points, "serving")
            self.notify("fitting the factors to the run …", timeout=3)
            result = await asyncio.to_thread(fit_determined, [case], start, free=FREE)
        except InputError as exc:
            self.notify(str(exc), title="Not calibrated", severity="error", timeout=10)
            return
        name = await self.app.push_screen_wait(
            NameDialog(
                "Calibrate from this run: save the fitted factors as a profile",
                f"bench-{slug(run.model)}",
                check_new_profile,
                hint=fit_text(result, case, start)
                + "\nsaved in your config folder; the scenario then uses it",
            )
        )
        if not name:
            return
        info = fit_info(result, [case], start, [scenario_text(s)], self.profile_label)
        try:
            path = save_profile(result.efficiency, name, info)
        except InputError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=10)
            return
        before, after = pooled_mape([case], start), pooled_mape([case], result.efficiency)
        self.notify(
            f"saved profile {name!r} to {display_path(path)} (MAPE {before:.1f}% -> "
            f"{after:.1f}%); the scenario uses it now",
            timeout=8,
        )
        if self.use_profile is not None:
            self.use_profile(name)
