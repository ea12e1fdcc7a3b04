"""``tokentui estimate``: the scenario's predictions over its load axis, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli import scenario_args
from engine.physics.memory import check_fits
from engine.storage.catalog import default_catalog
from engine.views.report import estimate_dict, estimate_table, jsonable
from engine.views.simulation_report import simulate_point, simulation_dict, simulation_table


def cmd_estimate(args: argparse.Namespace) -> int:
    s = scenario_args.scenario_from_args(args, default_catalog())
    check_fits(s, s.context_tokens)
    result = s.run()
    point = simulate_point(s, result) if args.simulate else None
    if args.json:
        data = estimate_dict(s, result)
        if point is not None:
            data["simulation"] = simulation_dict(point)
        print(json.dumps(jsonable(data), indent=2, allow_nan=False))
    else:
        print(estimate_table(s, result))
        if point is not None:
            print()
            print(simulation_table(point))
    return 0


def register(sub: Any) -> None:
    est = sub.add_parser("estimate", help="predict latency, throughput and cost over batch sizes")
    scenario_args.add_args(est)
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.add_argument(
        "--simulate",
        action="store_true",
        help="also run the last point of a serving load step by step (the scheduler simulator: "
        "slow, exact for fixed lengths) and show the analytical model's gap to it",
    )
    est.set_defaults(func=cmd_estimate)
