"""Measured results in the app: load a results file (path with completion, or a recent one),
compare it with the scenario on screen, overlay its points on the throughput chart, and list it
point by point in the Measured tab."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.widgets import TabbedContent

from engine.errors import InputError
from engine.measure.compare import FileComparison, compare_measurement
from engine.measure.detect import load_measurement
from engine.measure.points import Measurement
from tui.dialogs import BenchmarkDialog
from tui.recent import load_recent, remember
from tui.screens.base import Measured, ScenarioScreen

#: The kinds of measurement whose load the app's workload can take: the file's batch sizes (and
#: token counts, when all its points share them) become the static batch on screen. A serving
#: file keeps the scenario as it is until the serving workloads exist.
ADOPTS = ("static-batch", "single-request")


class MeasuredFlow(ScenarioScreen):
    measurement: Measurement | None = None
    comparison: FileComparison | None = None

    def measured_points(self) -> Measured:
        if self.comparison is None:
            return []
        return [
            (float(r.point.batch), r.measured)
            for r in self.comparison.rows
            if r.metric == "total_tokens_per_s"
        ]

    def comparison_shown(self) -> FileComparison | None:
        return self.comparison

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
        if not pts or meas.kind not in ADOPTS:
            return
        draft = self.draft.with_value("batch_sizes", tuple(sorted({p.batch for p in pts})))
        ins = {round(p.input_tokens) for p in pts}
        outs = {round(p.output_tokens) for p in pts}
        if len(ins) == 1 and min(ins) >= 1:
            draft = draft.with_value("input_tokens", ins.pop())
        if len(outs) == 1 and min(outs) >= 1:
            draft = draft.with_value("output_tokens", outs.pop())
        self.apply(draft)
        self.sync_fields(draft)
