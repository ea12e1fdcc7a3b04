"""``tokentui compare``: measured benchmark files against the engine's predictions.

Hardware a file does not record comes from the flags, else ``estimate``'s defaults (4 x h100-sxm,
TP = GPUs); every table says where it came from. Exit code 0 when something was compared; 2, with
one line on stderr, for bad input, or when none of the files could be compared.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli import measure_args
from engine.cli.base import say
from engine.errors import InputError
from engine.measure.compare import (
    Comparison,
    FileComparison,
    compare_measurement,
    load_files,
    skip_file,
)
from engine.physics.deployment import MODES
from engine.storage.catalog import Catalog, default_catalog
from engine.views.compare_report import compare_dict, compare_text


def run_compare(args: argparse.Namespace, catalog: Catalog) -> Comparison:
    base = measure_args.base_scenario(args, catalog, args.mode)
    files = []
    for meas, reason in load_files(args.files):
        if reason:
            files.append(skip_file(meas, reason))
        else:
            overrides = measure_args.overrides(meas, args, catalog)
            files.append(compare_measurement(meas, catalog, base, overrides))
    return Comparison(tuple(files))


def _why_not(f: FileComparison) -> str:
    if f.skipped:
        return f.skipped
    reasons = dict.fromkeys(line.reason for line in f.lines if line.reason)
    if len(f.lines) == 1:
        return f"its one row cannot be expressed ({'; '.join(map(str, reasons))})"
    return f"none of its {len(f.lines):,} rows can be expressed ({'; '.join(map(str, reasons))})"


def cmd_compare(args: argparse.Namespace) -> int:
    if args.worst < 0:
        raise InputError(f"--worst must be 0 or more, got {args.worst}")
    summary = run_compare(args, default_catalog())
    if not summary.compared:
        reasons = "; ".join(f"{f.label}: {_why_not(f)}" for f in summary.files)
        raise InputError(f"nothing to compare: {reasons}")
    if args.json:
        say(json.dumps(compare_dict(summary, args.mode, args.profile, args.worst), indent=2))
    else:
        say(compare_text(summary, args.worst))
    return 0


def register(sub: Any) -> None:
    cmp = sub.add_parser(
        "compare",
        help="compare measured benchmark files with the engine's predictions",
        description="For every measured point: the predicted value and the error; MAPE per "
        "file and overall; the worst points.",
    )
    measure_args.add_args(cmp)
    cmp.add_argument("--mode", choices=MODES, default="realistic", help="default realistic")
    cmp.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="realistic factors from a saved profile (default: the built-in one)",
    )
    cmp.add_argument("--worst", type=int, default=5, metavar="N", help="worst points listed")
    cmp.add_argument("--json", action="store_true", help="print one JSON object")
    cmp.set_defaults(func=cmd_compare)
