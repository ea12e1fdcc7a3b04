"""``tokentui estimate``: the scenario's predictions over its load axis, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli import scenario_args
from engine.physics.memory import check_fits
from engine.storage.catalog import default_catalog
from engine.views.report import estimate_dict, estimate_table, jsonable


def cmd_estimate(args: argparse.Namespace) -> int:
    s = scenario_args.scenario_from_args(args, default_catalog())
    check_fits(s, s.context_tokens)
    result = s.run()
    if args.json:
        print(json.dumps(jsonable(estimate_dict(s, result)), indent=2, allow_nan=False))
    else:
        print(estimate_table(s, result))
    return 0


def register(sub: Any) -> None:
    est = sub.add_parser("estimate", help="predict latency, throughput and cost over batch sizes")
    scenario_args.add_args(est)
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.set_defaults(func=cmd_estimate)
