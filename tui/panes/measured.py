"""The Measured tab: a loaded benchmark file against the engine's predictions, point by point."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from engine.measure.compare import FileComparison

HELP = (
    "No measurements loaded. Press Ctrl+B (or use the command palette: 'benchmark: Load') to load "
    "a results file: the seed's JSON, `vllm bench serve --save-result`, llama-bench JSON/JSONL, an "
    "Ollama /api/generate response or NIM CSV. Measured points then appear on the throughput chart "
    "and here, each with its prediction and error."
)


class MeasuredPane(Vertical):
    DEFAULT_CSS = """
    MeasuredPane { height: 1fr; }
    MeasuredPane #measured-head { height: auto; padding: 0 1; }
    MeasuredPane DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(HELP, id="measured-head")
        yield DataTable(id="measured-table", zebra_stripes=True, cursor_type="row")

    def show(self, cmp: FileComparison | None) -> None:
        head = self.query_one("#measured-head", Static)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if cmp is None:
            head.update(HELP)
            return
        meas = cmp.measurement
        if cmp.skipped:
            head.update(f"[b]{meas.path}[/b]\n{cmp.skipped}")
            return
        worst = sorted(cmp.rows, key=lambda r: r.ape, reverse=True)[:3]
        hw = cmp.resolved.scenario if cmp.resolved else None
        where = f" on {hw.gpus} x {hw.gpu.id} TP {hw.tp}, {hw.model.id}" if hw else ""
        head.update(
            f"[b]{meas.path}[/b]{where}\n"
            f"MAPE [b]{cmp.mape or 0:.1f}%[/b] over {len(cmp.rows)} points · worst: "
            + ", ".join(f"B={r.point.batch} {r.error_pct:+.0f}%" for r in worst)
        )
        table.add_columns("batch", "in", "out", "quantity", "measured", "predicted", "error")
        for r in cmp.rows:
            color = "green" if r.ape <= 10 else ("yellow" if r.ape <= 25 else "red")
            table.add_row(
                str(r.point.batch),
                f"{r.point.input_tokens:,.0f}",
                f"{r.point.output_tokens:,.0f}",
                r.metric.replace("_", " "),
                f"{r.measured:,.1f}",
                f"{r.predicted:,.1f}",
                Text(f"{r.error_pct:+.1f}%", style=color),
            )
