"""``tokentui plan``: SLO planning. Over the GPU counts, TP degrees and weight precisions that fit,
the most closed-loop users each layout serves within latency bounds, its throughput and its cost
per token, cheapest first (:mod:`engine.scenario.plan`).

It takes ``estimate``'s options (the model, the GPU, the request shape, ``--engine``, the price,
factors, settings, ``--mode``, ``--preset``), but the load is what it searches: ``--batch``,
``--concurrency``, ``--rate``, ``--offline`` and ``--num-requests`` are refused. ``--gpus`` and
``--tp`` are lists here (the counts and degrees to search), ``--weight-dtype`` the one precision.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from typing import Any

from engine.cli import scenario_args
from engine.cli.base import ArgumentParser, precision, say
from engine.errors import InputError
from engine.physics.specs import WEIGHT_DTYPES
from engine.scenario.axes import parse_whole_list
from engine.scenario.plan import DEFAULT_PERCENTILE, MAX_LIST, PERCENTILES, Slo, plan
from engine.scenario.resolve import MAX_GPUS
from engine.storage.catalog import default_catalog
from engine.storage.presets import load_preset
from engine.storage.profiles import default_efficiency
from engine.views.plan_report import plan_dict, plan_table
from engine.views.report import jsonable

#: (flag, metric, seconds per unit, unit, what it bounds) of each bound.
SLO_FLAGS = (
    ("--ttft-ms", "ttft", 1e-3, "ms", "the time to first token"),
    ("--itl-ms", "itl", 1e-3, "ms", "the inter-token latency (the time between two tokens)"),
    ("--tpot-ms", "tpot", 1e-3, "ms", "a request's time per output token after the first"),
    ("--e2e-s", "e2e", 1.0, "s", "a request's end-to-end latency"),
)
ACCEPTED = "--ttft-ms, --itl-ms, --tpot-ms or --e2e-s (with --percentile p99|p50|mean)"
#: The load options of estimate, refused here: (flag, dest).
LOAD_OPTIONS = (
    ("--batch", "refused_batch"),
    ("--concurrency", "refused_concurrency"),
    ("--rate", "refused_rate"),
    ("--offline", "refused_offline"),
    ("--num-requests", "refused_num_requests"),
)


#: The least bound accepted, a microsecond, in the flag's unit (no step is shorter; and a smaller
#: number of milliseconds would underflow to 0 seconds).
LEAST = {"ms": 1e-3, "s": 1e-6}


def _bound(flag: str, unit: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        least = LEAST[unit]
        if not (math.isfinite(value) and value >= least):
            raise argparse.ArgumentTypeError(
                f"invalid {flag} {text!r}: give a positive number of {unit} (at least {least:g}: "
                f"a microsecond), e.g. {'500' if unit == 'ms' else '30'}"
            )
        return value

    parse.__name__ = flag
    return parse


def _list(flag: str, what: str) -> Callable[[str], tuple[int, ...]]:
    """GPU counts or TP degrees, written as ``--batch`` writes batch sizes (one number, a list,
    a doubling range 1..8, every number 1-8)."""

    def parse(text: str) -> tuple[int, ...]:
        try:
            return parse_whole_list(text, flag, flag.lstrip("-"), MAX_GPUS, what, most=MAX_LIST)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = flag
    return parse


def cmd_plan(args: argparse.Namespace) -> int:
    for flag, dest in LOAD_OPTIONS:
        if getattr(args, dest, None) is not None:
            raise InputError(
                f"{flag} sets the load, which plan searches itself (the most closed-loop users "
                f"within the SLO): drop it"
            )
    slos = [
        Slo(metric, value * scale, args.percentile)
        for flag, metric, scale, _, _ in SLO_FLAGS
        if (value := getattr(args, flag.lstrip("-").replace("-", "_"))) is not None
    ]
    if not slos:
        raise InputError(f"give at least one SLO: {ACCEPTED}")
    catalog = default_catalog()
    inp = scenario_args.input_from_args(args)
    if args.preset:
        preset = load_preset(args.preset, catalog)
        inp = preset.input.overlay(inp)
    result = plan(
        inp,
        catalog,
        default_efficiency(),
        slos,
        gpu_counts=args.plan_gpus,
        tp_degrees=args.plan_tp,
        weight_dtypes=(args.weight_dtype,) if args.weight_dtype else None,
        percentile=args.percentile,
    )
    if args.json:
        say(json.dumps(jsonable(plan_dict(result)), indent=2, allow_nan=False))
    else:
        say(plan_table(result))
    return 0


def register(sub: Any) -> None:
    p: ArgumentParser = sub.add_parser(
        "plan",
        help="the layouts that serve the most users within latency SLOs, cheapest first",
        description="SLO planning: over GPU counts, TP degrees and weight precisions that fit, "
        "the most closed-loop users each layout serves within every bound given (every "
        "concurrency up to it meeting them), its output tokens/s (all GPUs, per GPU, per user) "
        "and $ per 1M tokens, sorted by $ per 1M output tokens, the cheapest marked. Give at "
        f"least one bound: {ACCEPTED}. Layouts that do not fit are skipped and counted. The "
        "other options are estimate's; a preset gives the model, GPU, request shape, engine, "
        "price and factors, while its layout, weight precision and load are searched. The load "
        "options (--batch, --concurrency, --rate, --offline, --num-requests) are refused: plan "
        "picks the load.",
        conflict_handler="resolve",
    )
    scenario_args.add_args(p)  # then the options plan reads otherwise replace estimate's
    slo = p.add_argument_group("SLO (at least one bound)")
    for flag, _, _, unit, what in SLO_FLAGS:
        slo.add_argument(
            flag,
            type=_bound(flag, unit),
            default=None,
            metavar="X",
            help=f"at most X {unit} for {what}, at --percentile",
        )
    slo.add_argument(
        "--percentile",
        choices=PERCENTILES,
        default=DEFAULT_PERCENTILE,
        help="the statistic every bound applies to (default p99, as MLPerf's server SLOs): TTFT "
        "has a mean, p50 and p99; ITL a mean and p99 (p50 bounds the mean, no median being "
        "modelled); TPOT is a request's mean at all three; E2E is TTFT at the percentile + "
        "(n - 1) TPOT",
    )
    search = p.add_argument_group("the layouts searched")
    search.add_argument(
        "--gpus",
        dest="plan_gpus",
        type=_list("--gpus", "GPU counts"),
        default=None,
        metavar="N,N,...",
        help="the GPU counts: a list 1,2,4,8, one number, a doubling range 1..8 or every count "
        "1-8 (default: 1, 2, 4 ... up to the GPUs one interconnect domain of the GPU reaches, 8 "
        "for an NVLink board)",
    )
    search.add_argument(
        "--tp",
        dest="plan_tp",
        type=_list("--tp", "TP degrees"),
        default=None,
        metavar="N,N,...",
        help="the tensor-parallel degrees, written as --gpus (default: every degree the model's "
        "heads allow that divides a GPU count; the GPUs beyond one TP group are data-parallel "
        "replicas)",
    )
    search.add_argument(
        "--weight-dtype",
        type=precision(WEIGHT_DTYPES, "--weight-dtype"),
        default=None,
        help="only this weight precision (default: the model's own, fp8 where the GPU has fp8 "
        "tensor cores (else int8 where it has int8 ones), and int4 weight-only)",
    )
    for flag, dest in LOAD_OPTIONS:
        p.add_argument(flag, dest=dest, nargs="?", const="", default=None, help=argparse.SUPPRESS)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_plan)
