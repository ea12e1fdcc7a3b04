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

from engine.errors import InputError
from engine.measure.detect import load_measurement
from engine.measure.file_scenario import FileOverrides, Resolved, resolve_scenario
from engine.measure.points import Measurement, Point
from engine.measure.predict import PENDING, Target, predict_targets, targets
from engine.measure.table import express
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog


def not_compared_reason(meas: Measurement) -> str | None:
    """Why a file is not compared, or None when it is."""
    if targets(meas.points, meas.kind):
        return None
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
class Line:
    """A row of a table of measurements: its prediction, or why there is none."""

    point: Point
    metric: str
    measured: float
    predicted: float | None = None
    reason: str | None = None
    scenario: Scenario | None = None
    assumed: tuple[str, ...] = ()

    @property
    def group(self) -> tuple[str, str]:
        """(the table it is from, its metric): how the errors are reported."""
        return (self.point.row.table if self.point.row else "", self.metric)

    @property
    def error_pct(self) -> float | None:
        if self.predicted is None:
            return None
        return (self.predicted - self.measured) / self.measured * 100


@dataclass(frozen=True)
class FileComparison:
    """One file: its rows, or why it is not compared (``skipped``). A table of measurements
    (one number a row, each its own scenario) has its ``lines`` too, the ones the engine cannot
    express among them."""

    measurement: Measurement
    rows: tuple[Row, ...] = ()
    resolved: Resolved | None = None
    skipped: str | None = None
    remarks: tuple[str, ...] = field(default_factory=tuple)
    lines: tuple[Line, ...] = ()

    def groups(self) -> dict[tuple[str, str], list[Line]]:
        out: dict[tuple[str, str], list[Line]] = {}
        for line in self.lines:
            out.setdefault(line.group, []).append(line)
        return out

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


def compare_table(
    meas: Measurement, catalog: Catalog, base: Scenario, overrides: FileOverrides | None = None
) -> FileComparison:
    """Every row of a table under its own scenario (:func:`engine.measure.table.express`)."""
    lines: list[Line] = []
    for p in meas.points:
        for metric, value in p.measured().items():
            how = express(p, catalog, base, overrides)
            if isinstance(how, str):
                lines.append(Line(p, metric, value, reason=how))
                continue
            target = Target(how.point or p, metric, value, meas.kind)
            try:
                predicted = float(predict_targets(how.scenario, [target])[0])
            except InputError as exc:
                lines.append(Line(p, metric, value, reason=str(exc)))
                continue
            lines.append(Line(p, metric, value, predicted, None, how.scenario, how.assumed))
    rows = tuple(
        Row(line.point, line.metric, line.measured, line.predicted)
        for line in lines
        if line.predicted is not None
    )
    return FileComparison(measurement=meas, rows=rows, lines=tuple(lines), remarks=meas.remarks)


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
    if meas.format == "public-tsv":
        return compare_table(meas, catalog, base, overrides)
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
