"""Export in the app: the visible chart's numbers as CSV, those and the summary as JSON, and the
screen as SVG (key x writes all three; the palette each one), into the folder tokentui was started
in, or the user folder's ``exports/`` when that one cannot be written. The files are new ones
(named after the chart and the time, never replacing a file), written atomically; where they went
is said in a notification."""

from __future__ import annotations

import os
import time
from pathlib import Path

from engine.errors import InputError
from engine.storage.paths import atomic_write, config_dir
from tui.screens.base import ScenarioScreen

#: What each export writes, by the palette's name for it.
FORMATS = ("csv", "json", "svg")


def export_folder() -> Path:
    """The working folder if it can be written, else ``exports/`` in the user folder."""
    here = Path.cwd()
    return here if os.access(here, os.W_OK | os.X_OK) else config_dir() / "exports"


class ExportFlow(ScenarioScreen):
    def action_export(self, what: str = "all") -> None:
        """Write the chart's data, the summary and the screen (``what``: one of :data:`FORMATS`
        or "all") and say where."""
        chart = self.chart
        stem = f"tokentui-{chart}-{time.strftime('%Y%m%d-%H%M%S')}"
        folder = export_folder()
        kinds = FORMATS if what == "all" else (what,)
        written: list[str] = []
        try:
            for kind in kinds:
                path = self._free(folder, stem, kind)
                atomic_write(path, self._content(kind, chart).encode(), overwrite=False)
                written.append(path.name)
        except InputError as exc:
            done = f" (written: {', '.join(written)})" if written else ""
            self.notify(f"{exc}{done}", title="Export", severity="error", timeout=10, markup=False)
            return
        self.notify(
            f"{folder}{os.sep}: {', '.join(written)}", title="Exported", timeout=10, markup=False
        )

    @staticmethod
    def _free(folder: Path, stem: str, kind: str) -> Path:
        """``stem.kind`` in ``folder``, or ``stem-2.kind``... when one is there already."""
        path, n = folder / f"{stem}.{kind}", 2
        while path.exists():
            path, n = folder / f"{stem}-{n}.{kind}", n + 1
        return path

    def _content(self, kind: str, chart: str) -> str:
        from engine.views.export import chart_table, to_csv, to_json  # at the first export

        d = self.dashboard
        if kind == "csv":
            return to_csv(chart_table(d, chart))
        if kind == "json":
            return to_json(d, chart, self.side_by_side())
        return self.app.export_screenshot(title=f"tokentui: {chart}")
