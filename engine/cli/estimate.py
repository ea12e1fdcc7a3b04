"""``tokentui estimate``: the scenario's predictions over its load axis, as a table or JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from engine.cli import scenario_args
from engine.cli.base import number, say
from engine.errors import InputError
from engine.physics.memory import check_fits
from engine.scenario.scenario import Scenario
from engine.storage.catalog import default_catalog
from engine.storage.presets import load_preset
from engine.views.report import estimate_dict, estimate_table, jsonable
from engine.views.side_by_side import side_by_side_dict, side_by_side_table
from engine.views.simulation_report import simulate_point, simulation_dict, simulation_table


def cmd_estimate(args: argparse.Namespace) -> int:
    catalog = default_catalog()
    s = scenario_args.scenario_from_args(args, catalog)
    if args.compare_preset:
        return _side_by_side(load_preset(args.compare_preset, catalog).scenario, s, args)
    if args.compare_at is not None:
        raise InputError("--compare-at picks the load of --compare-preset's comparison; give both")
    check_fits(s, s.context_tokens)
    result = s.run()
    point = simulate_point(s, result) if args.simulate else None
    if args.json:
        data = estimate_dict(s, result)
        if point is not None:
            data["simulation"] = simulation_dict(point)
        say(json.dumps(jsonable(data), indent=2, allow_nan=False))
    else:
        say(estimate_table(s, result))
        if point is not None:
            say()
            say(simulation_table(point))
    return 0


def _side_by_side(pinned: Scenario, s: Scenario, args: argparse.Namespace) -> int:
    """The preset (A) against this scenario (B) at one load: what the app's pin shows."""
    if args.simulate:
        raise InputError("--simulate runs one scenario; leave it out with --compare-preset")
    if args.compare_at is not None and args.compare_at <= 0:
        raise InputError(
            "--compare-at must be a load above 0 (a batch, users or a rate), "
            f"not {args.compare_at:g}"
        )
    name = args.compare_preset
    if args.json:
        data = side_by_side_dict(pinned, s, args.compare_at)
        say(json.dumps(jsonable({"preset": name, **data}), indent=2, allow_nan=False))
    else:
        label = name if len(name) <= 12 else "A"
        say(side_by_side_table(pinned, s, args.compare_at, names=(label, "this")))
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
    est.add_argument(
        "--compare-preset",
        metavar="NAME",
        default=None,
        help="compare this scenario with the preset NAME (or a preset file) at one load, side "
        "by side: each metric, the ratio and the side it favours",
    )
    est.add_argument(
        "--compare-at",
        type=number("--compare-at"),
        default=None,
        metavar="LOAD",
        help="with --compare-preset: the load to compare at, a point of this scenario's load "
        "axis (the nearest; default the middle of those that fit)",
    )
    est.set_defaults(func=cmd_estimate)
