"""``tokentui calibrate``: fit the realistic factors to measured files; save them as a profile.

Exit code 0 when fitted; 2, with one line on stderr, for bad input or too little data. A fit of
many files takes a while (the 165 sweep files: about 90 s): on a terminal a status line on stderr
says how far it has got (:class:`CalibrateProgress`); piped, nothing is added.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.cli import measure_args
from engine.cli.base import say
from engine.cli.progress import StatusLine, elapsed
from engine.errors import InputError
from engine.measure.calibration import DEFAULT_FACTORS, FitCase, FitProgress, fit_determined
from engine.measure.compare import load_files
from engine.measure.file_scenario import resolve_scenario
from engine.measure.table import table_fit_cases
from engine.scenario.factors import FACTOR_BY_SHORT, FACTORS
from engine.storage.catalog import default_catalog
from engine.storage.profiles import check_profile_name, profiles_dir, save_profile
from engine.views.calibrate_report import calibrate_text, display_path, fit_info
from engine.views.compare_report import hardware_text
from engine.views.format import count


class CalibrateProgress:
    """What ``calibrate`` is doing, on a :class:`StatusLine`: reading the files, fitting (the
    round, the iteration, the time so far), computing the errors for the report."""

    def __init__(self, line: StatusLine, clock: Callable[[], float] = time.monotonic) -> None:
        self.line = line
        self.clock = clock
        self.start = clock()
        self.points = 0

    def _show(self, text: str, force: bool = False) -> None:
        self.line.show(f"{text}  {elapsed(self.clock() - self.start)}", force)

    def reading(self, done: int, total: int) -> None:
        self._show(f"reading the files: {done}/{total}", force=done == 0)

    def fitting(self, cases: list[FitCase]) -> None:
        self.points = sum(len(c.targets) for c in cases)
        self._show(f"fitting to {count(self.points, 'point')} in {count(len(cases), 'file')}", True)

    def __call__(self, p: FitProgress) -> None:
        self._show(
            f"fitting {count(p.factors, 'factor')} to {count(self.points, 'point')}: round "
            f"{p.round}, iteration {p.iteration} (at most {p.max_iterations})"
        )

    def reporting(self) -> None:
        self._show("computing the errors, file by file", force=True)


def cmd_calibrate(args: argparse.Namespace) -> int:
    with StatusLine(sys.stderr) as line:
        return _calibrate(args, CalibrateProgress(line))


def _calibrate(args: argparse.Namespace, progress: CalibrateProgress) -> int:
    catalog = default_catalog()
    if args.save:
        check_profile_name(args.save)
        existing = profiles_dir() / f"{args.save}.toml"
        if existing.exists() and not args.force:
            raise InputError(
                f"profile {args.save!r} exists ({existing}); give --force to replace it"
            )
    base = measure_args.base_scenario(args, catalog, "realistic")
    start = base.efficiency
    cases: list[FitCase] = []
    skipped: list[str] = []
    hardware: list[str] = []
    progress.reading(0, len(args.files))
    files = load_files(args.files)
    for done, (meas, reason) in enumerate(files, 1):
        progress.reading(done, len(files))
        if reason:
            skipped.append(f"{meas.path}: {reason}")
            continue
        if meas.format == "public-tsv":  # one case per setup and load, each its own scenario
            rows, reasons = table_fit_cases(
                meas, catalog, base, measure_args.overrides(meas, args, catalog)
            )
            cases.extend(rows)
            hardware.append(f"{Path(meas.path).name}: each row's own ({count(len(rows), 'setup')})")
            skipped.extend(f"{meas.path}: {count(n, 'row')}: {why}" for why, n in reasons.items())
            continue
        resolved = resolve_scenario(
            meas, catalog, base, measure_args.overrides(meas, args, catalog)
        )
        cases.append(FitCase(meas.path, resolved.scenario, meas.points, meas.kind))
        hardware.append(f"{Path(meas.path).name}: {hardware_text(resolved)}")
    free = tuple(FACTOR_BY_SHORT[f].field for f in args.factors)
    progress.fitting(cases)
    try:
        result = fit_determined(cases, start, free=free, progress=progress)
    except InputError as exc:
        if skipped:
            raise InputError(f"{exc}; not used: {'; '.join(skipped)}") from None
        raise
    progress.reporting()
    text = calibrate_text(result, cases, start, skipped, args.profile)
    progress.line.clear()
    say(text)
    if args.save:
        path = save_profile(
            result.efficiency,
            args.save,
            fit_info(result, cases, start, hardware, args.profile),
            overwrite=args.force,
        )
        say(f"\nsaved profile {args.save!r} to {display_path(path)}")
        say(f"use it: tokentui estimate --profile {args.save}")
    else:
        say("\nnot saved (give --save NAME to keep it as a profile)")
    return 0


def register(sub: Any) -> None:
    cal = sub.add_parser(
        "calibrate",
        help="fit the realistic factors to measured benchmark files and save them as a profile",
        description="Least-squares fit of a few physical factors to the measured tokens/s; "
        "reports MAPE before and after, and which factors the data cannot pin down.",
    )
    measure_args.add_args(cal)
    cal.add_argument("--save", default=None, metavar="NAME", help="save the fit as profile NAME")
    cal.add_argument("--force", action="store_true", help="replace a saved profile of that name")
    defaults = DEFAULT_FACTORS
    cal.add_argument(
        "--factors",
        type=measure_args.factor_names,
        default=defaults,
        metavar="F1,F2|all",
        help=f"factors to fit (default {','.join(defaults)}; "
        f"accepted: {', '.join(k.short for k in FACTORS)}, all)",
    )
    cal.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="start from this profile; the factors not fitted keep its values (default: built-in)",
    )
    cal.set_defaults(func=cmd_calibrate)
