"""Measured results in the app: load a results file (path with completion, or a recent one; for a
file that records no hardware, the hardware it ran on), compare it with the scenario on screen,
overlay its points on the throughput chart when they were measured on what the chart shows, list
it point by point in the Measured tab, and unload it.

What the comparison did not take from the file (the GPUs, the engine) is said when the file is
loaded; points measured with another model or on other hardware are not drawn over the curves on
screen, and why is said too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from textual import work

from engine.errors import InputError
from engine.scenario.scenario import Scenario
from tui.screens.base import Measured, ScenarioScreen

if TYPE_CHECKING:  # the readers and the comparison are loaded with the first file: a faster start
    from engine.measure.compare import FileComparison
    from engine.measure.file_scenario import FileOverrides
    from engine.measure.points import Measurement, Point
    from engine.storage.catalog import Catalog
    from tui.results_dialog import BenchmarkForm  # and the dialog, when first opened

#: The measured quantity the throughput chart draws (total output tokens/s of a batch).
DRAWN = "total_tokens_per_s"


def hardware_text(s: Scenario) -> str:
    """'4 x H100 SXM, TP 4' (PP and EP when there are several)."""
    layout = (
        f"TP {s.tp}" + (f", PP {s.pp}" if s.pp > 1 else "") + (f", EP {s.ep}" if s.ep > 1 else "")
    )
    return f"{s.gpus} x {s.gpu.name}, {layout}"


def overrides_for(meas: Measurement, form: BenchmarkForm) -> FileOverrides:
    """The dialog's hardware, for the parts the file does not record (the file's own stand): its
    layout (TP, PP, EP) with its GPU count (empty: the resolver's defaults for that count)."""
    from engine.measure.file_scenario import FileOverrides

    gpu = None if meas.gpu_name else (form.gpu or None)
    gpus = None if meas.gpus else (int(form.gpus) if form.gpus.isdigit() else None)

    def degree(text: str) -> int | None:
        return int(text) if gpus is not None and text.isdigit() else None

    return FileOverrides(
        gpu=gpu, gpus=gpus, tp=degree(form.tp), pp=degree(form.pp), ep=degree(form.ep)
    )


#: The dialog's hardware fields, by the keys the engine's refusals name.
HARDWARE_KEYS = ("gpu", "gpus", "tp", "pp", "ep")


def hardware_refusal(
    meas: Measurement, form: BenchmarkForm, catalog: Catalog, base: Scenario
) -> InputError | None:
    """The engine's refusal of the hardware the dialog gives ``meas`` (the resolver's, on the
    file's model, as ``compare`` does), as the dialog says it; None when it is accepted, not used
    (the file records its own) or refused for something else (said when the file is loaded)."""
    from engine.measure.compare import not_compared_reason
    from engine.measure.file_scenario import resolve_scenario

    if meas.format == "public-tsv" or not_compared_reason(meas):
        return None  # a table's rows, a serving file's points: each under its own scenario
    overrides = overrides_for(meas, form)
    given = {k for k in HARDWARE_KEYS if getattr(overrides, k) is not None}
    if overrides.gpus is not None:  # the dialog's count: the layout is the dialog's too
        given |= {"tp", "pp", "ep"}
    try:
        resolve_scenario(meas, catalog, base, overrides, base_label="the app")
    except InputError as exc:
        if exc.field in given:
            return InputError(str(exc).removeprefix(f"{meas.path}: "), field=exc.field)
    return None


def assumed_text(cmp: FileComparison) -> str | None:
    """What the comparison ran on that the file does not record, in words (None: it records it)."""
    r = cmp.resolved
    if r is None:
        return None
    words = {"gpu": "GPU", "gpus": "GPU count"}
    missing = [w for key, w in words.items() if r.sources.get(key) != "file"]
    if not missing:
        return None
    s = r.scenario
    engine = "" if r.sources.get("engine") == "file" else f", engine {s.engine_name}"
    return (
        f"the file records no {' or '.join(missing)}: compared on {hardware_text(s)}{engine} "
        "(the hardware fields of the Ctrl+B dialog); if it ran on other hardware, press Ctrl+B "
        "and give it there"
    )


def deployment_mismatch(measured: Scenario, shown: Scenario) -> str | None:
    """Why points measured under ``measured`` do not belong on the curves of ``shown``."""
    m, s = measured, shown
    if (m.model.id, m.weight_dtype) != (s.model.id, s.weight_dtype):
        return (
            f"measured with {m.model.name} ({m.weight_dtype}), the charts show "
            f"{s.model.name} ({s.weight_dtype})"
        )
    if (m.gpu.id, m.gpus, m.tp, m.pp, m.ep) != (s.gpu.id, s.gpus, s.tp, s.pp, s.ep):
        return f"measured on {hardware_text(m)}, the charts show {hardware_text(s)}"
    return None


#: How far a point's token counts (means over its requests: a few stop early) may be from the
#: scenario's for its point to be drawn on the scenario's curves.
LENGTH_TOLERANCE = 0.05


def near(value: float, to: float) -> bool:
    return abs(value - to) <= LENGTH_TOLERANCE * max(to, 1.0)


def same_lengths(p: Point, s: Scenario) -> bool:
    return near(p.input_tokens, s.input_tokens) and near(p.output_tokens, s.output_tokens)


def common_length(values: list[float]) -> int | None:
    """The token count all of ``values`` are near (their median), or None."""
    mid = round(float(np.median(values)))
    return mid if mid >= 1 and all(near(v, mid) for v in values) else None


class MeasuredFlow(ScenarioScreen):
    measurement: Measurement | None = None
    comparison: FileComparison | None = None
    overrides: FileOverrides | None = None  # the hardware the dialog gave the file
    form: BenchmarkForm | None = None  # the dialog's fields for the file loaded
    hidden: str | None = None  # why the file's points are not drawn, as last said
    checked: tuple[str, Measurement] | None = None  # the file the dialog's check last read

    def measured_points(self) -> Measured:
        """The file's points on the throughput chart: only over the curves they measure."""
        cmp = self.comparison
        if cmp is None or self.not_drawn() is not None:
            return []
        s = self.dashboard.scenario
        return [
            (float(r.point.batch), r.measured)
            for r in cmp.rows
            if r.metric == DRAWN and same_lengths(r.point, s)
        ]

    def not_drawn(self) -> str | None:
        """Why the file's points are not drawn over the curves on screen (None: they are, or the
        file has none that the charts draw)."""
        cmp = self.comparison
        rows = [r for r in cmp.rows if r.metric == DRAWN] if cmp else []
        if cmp is None or cmp.resolved is None or not rows:
            return None
        s = self.dashboard.scenario
        mismatch = deployment_mismatch(cmp.resolved.scenario, s)
        if mismatch:
            return mismatch
        if self.dashboard.axis != "batch":
            return f"they are static batches, the charts' load axis is {self.dashboard.axis}"
        if not any(same_lengths(r.point, s) for r in rows):
            p = rows[0].point
            return (
                f"measured at {p.input_tokens:,.0f} in / {p.output_tokens:,.0f} out tokens, "
                f"the charts are at {s.input_tokens:,} / {s.output_tokens:,}"
            )
        return None

    def comparison_shown(self) -> FileComparison | None:
        return self.comparison

    def measured_notes(self) -> list[str]:
        """What the Measured tab should say above the table: what the comparison assumed, and
        why the points are not on the charts (empty: nothing to warn of)."""
        cmp = self.comparison
        notes = [assumed_text(cmp) if cmp else None]
        if self.hidden:
            notes.append(f"not drawn on the charts: {self.hidden}")
        return [n for n in notes if n]

    def compare(self) -> None:
        """Compare the file with the new scenario (a file it no longer compares with says why in
        the Measured tab); say so when its points leave the charts."""
        meas = self.measurement
        if meas is None or self.overrides is None:
            return
        from engine.measure.compare import compare_measurement, skip_file

        try:
            self.comparison = compare_measurement(
                meas, self.catalog, self.dashboard.scenario, self.overrides, base_label="the app"
            )
        except InputError as exc:
            self.comparison = skip_file(meas, str(exc))
        reason = self.not_drawn()
        if reason and not self.hidden:
            self.notify(f"measured points not drawn: {reason}", timeout=5, markup=False)
        self.hidden = reason

    def bench_form(self) -> BenchmarkForm:
        """The dialog's fields: the loaded file's, else the scenario's hardware."""
        from tui.results_dialog import BenchmarkForm

        if self.form is not None:
            return self.form
        s = self.dashboard.scenario
        tp = "" if s.tp == s.gpus else str(s.tp)
        pp, ep = ("" if n == 1 else str(n) for n in (s.pp, s.ep))
        return BenchmarkForm(gpu=s.gpu.id, gpus=str(s.gpus), tp=tp, pp=pp, ep=ep)

    def check_hardware(self, form: BenchmarkForm) -> InputError | None:
        """The dialog's check (in a thread): the file read, its hardware resolved by the engine
        on the scenario on screen (the file is kept for the load that follows)."""
        from engine.measure.detect import load_measurement

        try:
            meas = load_measurement(Path(form.path))
        except (ValueError, OSError):  # an InputError too: said when the file is loaded
            return None
        self.checked = (form.path, meas)
        return hardware_refusal(meas, form, self.catalog, self.dashboard.scenario)

    async def read_measurement(self, path: str) -> Measurement:
        """The file at ``path``: the one the dialog's check read, else read now."""
        from engine.measure.detect import load_measurement

        checked, self.checked = self.checked, None
        if checked is not None and checked[0] == path:
            return checked[1]
        return await asyncio.to_thread(load_measurement, Path(path))

    @work(exclusive=True, group="benchmark")
    async def action_load_benchmark(self) -> None:
        from tui.recent import load_recent, remember
        from tui.results_dialog import BenchmarkDialog

        loaded = self.measurement.path if self.measurement else None
        self.checked = None
        dialog = BenchmarkDialog(
            load_recent(), self.bench_form(), sorted(self.catalog.gpus), loaded, self.check_hardware
        )
        choice = await self.app.push_screen_wait(dialog)
        if choice is None:
            return
        what, form = choice
        if what == "unload":
            self.action_unload_benchmark()
            return
        from engine.measure.compare import compare_measurement

        try:
            meas = await self.read_measurement(form.path)
        except (InputError, OSError) as exc:
            self.notify(str(exc), title="Not loaded", severity="error", timeout=10, markup=False)
            return
        overrides = overrides_for(meas, form)
        try:  # a table of hundreds of rows takes a while
            cmp = await asyncio.to_thread(
                compare_measurement,
                meas,
                self.catalog,
                self.dashboard.scenario,
                overrides,
                "the app",
            )
        except InputError as exc:
            self.notify(str(exc), title="Not loaded", severity="error", timeout=12, markup=False)
            return
        remember(str(Path(form.path).resolve()))
        self.measurement, self.comparison, self.overrides, self.form = meas, cmp, overrides, form
        self.hidden = self.not_drawn()
        # the file's workload only when its points can be drawn on the scenario on screen
        same = cmp.resolved and not deployment_mismatch(
            cmp.resolved.scenario, self.dashboard.scenario
        )
        if not (same and self.adopt_workload(meas)):
            self.push_down()
        self.loaded_notice(meas)

    def loaded_notice(self, meas: Measurement) -> None:
        """Show the tab the file is best seen on; say what was loaded, assumed and not drawn."""
        cmp = self.comparison
        drawn = bool(self.measured_points())
        self.show_tab("throughput" if drawn else "measured")
        lines = [f"loaded {len(meas.points)} measured points from {meas.path}"]
        if cmp and cmp.resolved:
            lines[0] += f" ({cmp.resolved.scenario.model.name})"
        if cmp and cmp.mape is not None:
            lines[0] += f", MAPE {cmp.mape:.0f}%"
        lines += self.measured_notes()
        if self.hidden:
            lines[-1] += " (the Measured tab, key 7, lists them)"
        if cmp and cmp.skipped:
            lines.append(cmp.skipped)
        text, loud = "\n".join(lines), len(lines) > 1
        if loud:
            self.notify(text, title="Measured", severity="warning", timeout=15, markup=False)
        else:
            self.notify(text, timeout=5, markup=False)

    def action_unload_benchmark(self) -> None:
        """Forget the loaded file: its points leave the charts and the Measured tab."""
        if self.measurement is None:
            self.notify("no measured results are loaded", severity="warning", timeout=4)
            return
        path = self.measurement.path
        self.measurement = self.comparison = self.form = self.hidden = None
        self.overrides = None
        self.show_chart()
        self.notify(f"unloaded {path}", timeout=4, markup=False)

    def adopt_workload(self, meas: Measurement) -> bool:
        """Take the batch sizes of the file's whole-batch points (those the throughput chart
        draws) and, when they all share them (near enough), their token counts, so that the
        curves on screen are the ones the measurements test. Returns whether the scenario
        changed.

        A scenario on a serving load keeps its load axis (batch sizes are not its points), and a
        file of serving, single-request or prefill/decode points changes nothing."""
        pts = [p for p in meas.points if p.batch >= 1 and p.total_tokens_per_s is not None]
        if not pts or meas.kind != "static-batch":
            return False
        draft = self.draft
        if draft.kind == "static":
            draft = draft.with_value("batch_sizes", tuple(sorted({p.batch for p in pts})))
        for name in ("input_tokens", "output_tokens"):
            length = common_length([getattr(p, name) for p in pts])
            if length is not None:
                draft = draft.with_value(name, length)
        if draft == self.draft:
            return False
        try:  # a workload the scenario cannot take (too long a context): it stays as it is
            draft.scenario(self.catalog, self.default_profile)
        except InputError as exc:
            self.notify(f"the file's workload is not taken: {exc}", timeout=8, markup=False)
            return False
        self.apply(draft)
        self.sync_fields(draft)
        return True
