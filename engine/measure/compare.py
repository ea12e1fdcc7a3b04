"""Theory against measurement: the engine's prediction for every measured point, and its error.

Each file is predicted under its own scenario (:mod:`engine.measure.file_scenario`), each quantity
by its entry in the predictor table (:mod:`engine.measure.predict`). A file with nothing the table
predicts is reported as not compared, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.measure.detect import load_measurement
from engine.measure.file_scenario import FileOverrides, Resolved, resolve_scenario
from engine.measure.points import Measurement, Point
from engine.measure.predict import PENDING, predict_targets, targets
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog


def not_compared_reason(meas: Measurement) -> str | None:
    """Why a file is not compared, or None when it is."""
    if targets(meas.points, meas.kind):
        return None
    if meas.kind == "serving":
        fixed = (
            "fixed concurrency"
            if any(p.concurrency for p in meas.points) or meas.format == "nim-csv"
            else "a fixed request rate"
        )
        return f"serving measurement at {fixed} — not compared yet ({PENDING['serving']})"
    if meas.kind in PENDING:
        return f"{meas.kind} measurement — not compared yet ({PENDING[meas.kind]})"
    return "no quantity the engine predicts"


def load_files(files: Sequence[str]) -> list[tuple[Measurement, str | None]]:
    """Each file once, with why it is not compared (None when it is). A file given twice is read
    once; a file with the same measurements as an earlier one (the sweep repeats the four main
    files, with another description) is reported as a copy, so that nothing counts twice."""
    out: list[tuple[Measurement, str | None]] = []
    seen_paths: set[Path] = set()
    seen: dict[tuple[object, ...], str] = {}
    for f in files:
        path = Path(f)
        if path.resolve() in seen_paths:
            continue
        seen_paths.add(path.resolve())
        meas = load_measurement(path)
        key = (meas.format, meas.model_name, meas.points)
        if key in seen:
            out.append((meas, f"the same measurements as {seen[key]} (counted once)"))
            continue
        seen[key] = f
        out.append((meas, not_compared_reason(meas)))
    return out


@dataclass(frozen=True)
class Row:
    """One measured quantity against its prediction."""

    point: Point
    metric: str
    measured: float
    predicted: float

    @property
    def error_pct(self) -> float:
        """Signed: positive when the engine predicts more than was measured."""
        return (self.predicted - self.measured) / self.measured * 100

    @property
    def ape(self) -> float:
        return abs(self.error_pct)


@dataclass(frozen=True)
class FileComparison:
    """One file: its rows, or why it is not compared (``skipped``)."""

    measurement: Measurement
    rows: tuple[Row, ...] = ()
    resolved: Resolved | None = None
    skipped: str | None = None
    remarks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return self.measurement.path

    @property
    def mape(self) -> float | None:
        """Mean absolute percentage error over the file's rows (None when not compared)."""
        return float(np.mean([r.ape for r in self.rows])) if self.rows else None


def compare_file(meas: Measurement, resolved: Resolved) -> FileComparison:
    tgts = targets(meas.points, meas.kind)
    predicted = predict_targets(resolved.scenario, tgts)
    rows = tuple(
        Row(t.point, t.metric, t.measured, float(v)) for t, v in zip(tgts, predicted, strict=True)
    )
    return FileComparison(
        measurement=meas,
        rows=rows,
        resolved=resolved,
        remarks=tuple(dict.fromkeys((*meas.remarks, *resolved.remarks))),
    )


def skip_file(meas: Measurement, reason: str) -> FileComparison:
    return FileComparison(measurement=meas, skipped=reason, remarks=meas.remarks)


def compare_measurement(
    meas: Measurement,
    catalog: Catalog,
    base: Scenario,
    overrides: FileOverrides | None = None,
    base_label: str = "default",
) -> FileComparison:
    """One file against the engine: skipped with the reason when it cannot be compared (serving),
    else under :func:`resolve_scenario` (``base``: e.g. the app's current scenario)."""
    reason = not_compared_reason(meas)
    if reason:
        return skip_file(meas, reason)
    overrides = overrides or FileOverrides()
    return compare_file(meas, resolve_scenario(meas, catalog, base, overrides, base_label))


@dataclass(frozen=True)
class Comparison:
    """Every file of one ``compare``: per file, pooled, the median and the worst points."""

    files: tuple[FileComparison, ...]

    @property
    def compared(self) -> tuple[FileComparison, ...]:
        return tuple(f for f in self.files if f.rows)

    @property
    def points(self) -> int:
        return sum(len(f.rows) for f in self.compared)

    @property
    def mape(self) -> float | None:
        """Over every compared row of every file, pooled (a file of many points weighs more)."""
        rows = [r.ape for f in self.compared for r in f.rows]
        return float(np.mean(rows)) if rows else None

    @property
    def median_ape(self) -> float | None:
        """The median absolute percentage error of a point: robust to a few stalled runs."""
        rows = [r.ape for f in self.compared for r in f.rows]
        return float(np.median(rows)) if rows else None

    @property
    def median_file_mape(self) -> float | None:
        per_file = [f.mape for f in self.compared if f.mape is not None]
        return float(np.median(per_file)) if per_file else None

    def worst(self, n: int = 5) -> list[tuple[FileComparison, Row]]:
        pairs = [(f, r) for f in self.compared for r in f.rows]
        return sorted(pairs, key=lambda fr: fr[1].ape, reverse=True)[: max(n, 0)]
