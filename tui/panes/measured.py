"""The Measured tab: a loaded benchmark file against the engine's predictions, point by point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from engine.errors import terminal_safe

if TYPE_CHECKING:
    from engine.measure.compare import FileComparison


HELP = (
    "No measurements loaded. Press Ctrl+B (or use the command palette: 'benchmark: Load') to load "
    "a results file: the seed's JSON, `vllm bench serve --save-result`, llama-bench JSON/JSONL, an "
    "Ollama /api/generate response or NIM CSV. Measured points then appear here, each with its "
    "prediction and error, and on the throughput chart when the scenario is the one they were "
    "measured on."
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

    def show(self, cmp: FileComparison | None, notes: Sequence[str] = ()) -> None:
        head = self.query_one("#measured-head", Static)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if cmp is None:
            head.update(HELP)
            return
        meas = cmp.measurement
        # built from Text, never markup: a path may hold "[/...]"; and terminal-safe: a file's
        # name, and its text in the notes, may hold ESC or BEL
        path = terminal_safe(meas.path)
        warnings = [("\n" + terminal_safe(n), "bold #c06000") for n in notes]  # amber: both themes
        if cmp.skipped:
            head.update(Text.assemble((path, "bold"), "\n", terminal_safe(cmp.skipped), *warnings))
            return
        worst = sorted(cmp.rows, key=lambda r: r.ape, reverse=True)[:3]
        hw = cmp.resolved.scenario if cmp.resolved else None
        where = ""
        if hw is not None:  # the layout in full: a file compared on PP 2 says so
            pp, ep = (f" PP {hw.pp}" if hw.pp > 1 else ""), (f" EP {hw.ep}" if hw.ep > 1 else "")
            where = f" on {hw.gpus} x {hw.gpu.id} TP {hw.tp}{pp}{ep}, {hw.model.id}"
        where = terminal_safe(where)
        worst_text = ", ".join(f"B={r.point.batch} {r.error_pct:+.0f}%" for r in worst)
        points = f"{len(cmp.rows)} point{'s' if len(cmp.rows) != 1 else ''}"
        head.update(
            Text.assemble(
                (path, "bold"),
                where,
                "\nMAPE ",
                (f"{cmp.mape or 0:.1f}%", "bold"),
                f" over {points} · worst: {worst_text}",
                *warnings,
            )
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
