"""The options that describe a scenario, and the one way from them to a scenario.

``estimate`` and the app (``tokentui`` with no command) take the same options: :func:`add_args`
adds them (the realistic factors and engine settings from their tables), :func:`input_from_args`
turns the ones given into a :class:`~engine.scenario.inputs.ScenarioInput`, and
:func:`scenario_from_args` puts that on ``--preset`` (if any) and resolves it. No option has a
default of its own here: an option not given is None, and the resolver fills it in.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from engine.cli.base import layout_arguments, number, precision, switch
from engine.errors import InputError
from engine.physics.arch import FLOP_COUNTS
from engine.physics.deployment import MODES, EngineSettings
from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES
from engine.scenario.axes import (
    MAX_POINTS,
    format_batch_sizes,
    parse_batch_sizes,
    parse_counts,
    parse_rates,
)
from engine.scenario.factors import FACTORS, SETTINGS, Knob
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import DEFAULT_GAMMA, DEFAULT_GPU, DEFAULT_GPUS, DEFAULT_MODEL, resolve
from engine.scenario.scenario import Scenario
from engine.scenario.workload import DEFAULT_BATCHES, DEFAULT_CONCURRENCY, DEFAULT_REQUESTS
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset, load_preset
from engine.storage.profiles import default_efficiency, load_named_profile


def _batch_list(text: str) -> tuple[int, ...]:
    try:
        return parse_batch_sizes(text, "--batch")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _concurrency_list(text: str) -> tuple[int, ...]:
    try:
        return parse_batch_sizes(text, "--concurrency", key="concurrency")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _rate_list(text: str) -> tuple[float, ...]:
    try:
        return parse_rates(text, "--rate")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _request_counts(text: str) -> tuple[int, ...]:
    try:
        return parse_counts(text, "--num-requests", "num_requests")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


#: The options that pick the load kind, and the kind each picks.
LOAD_FLAGS = {"batch": "static", "concurrency": "concurrency", "rate": "rate", "offline": "offline"}


def _knob_arg(p: argparse.ArgumentParser, knob: Knob, what: str) -> None:
    if knob.boolean:
        p.add_argument(
            knob.flag,
            type=switch(knob.flag),
            default=None,
            metavar="on|off",
            help=f"{knob.help} ({what})",
        )
        return
    p.add_argument(
        knob.flag,
        type=number(knob.flag, integer=knob.integer),
        default=None,
        metavar="N" if knob.integer else "X",
        help=f"{knob.help} ({what})",
    )


def _setting_default(knob: Knob) -> str:
    value = getattr(EngineSettings(), knob.field)
    shown = ("on" if value else "off") if isinstance(value, bool) else f"{value:g}"
    return f"engine setting; vllm-v0's: {shown}"


def add_args(p: argparse.ArgumentParser) -> None:
    """The options that define a scenario (every one defaults to None: "not given")."""
    p.add_argument(
        "--preset",
        default=None,
        help="start from a preset: a name (see 'tokentui presets') or a .toml file; "
        "the options given beside it override it",
    )
    p.add_argument(
        "--model", default=None, help=f"model id (see 'tokentui models'; default {DEFAULT_MODEL})"
    )
    p.add_argument(
        "--gpu", default=None, help=f"GPU id (see 'tokentui gpus'; default {DEFAULT_GPU})"
    )
    gpus, tokens = number("--gpus", integer=True), number("token count", integer=True)
    p.add_argument(
        "--gpus", type=gpus, default=None, help=f"number of GPUs (default {DEFAULT_GPUS})"
    )
    layout_arguments(
        p,
        pp_help="pipeline-parallel stages: consecutive layers on each TP group (default 1; GPUs "
        "= TP x PP x replicas)",
        ep_help="expert parallelism for a mixture of experts: routed experts spread whole over EP "
        "GPUs (a multiple of TP; its replicas' attention serves their own requests) with an "
        "all-to-all per MoE layer (default 1: every expert sliced over the TP group)",
    )
    p.add_argument("--input-tokens", type=tokens, default=None, help="prompt tokens (default 2035)")
    p.add_argument("--output-tokens", type=tokens, default=None, help="output tokens (default 300)")
    p.add_argument(
        "--batch",
        type=_batch_list,
        default=None,
        help="static batches (the article's benchmark) of these sizes: one number (16: one batch "
        "of 16), a list (1,8,64), a doubling range A..B (1..512: 1,2,4,...,512) or every size "
        f"A-B (1-64); the forms combine (1-8,16..512); at most {MAX_POINTS:,} sizes "
        f"(default {format_batch_sizes(DEFAULT_BATCHES)})",
    )
    p.add_argument(
        "--concurrency",
        type=_concurrency_list,
        default=None,
        help="a closed loop of C users, each sending its next request when its last ends, at "
        "these levels: one number (32: one level of 32 users), a list (1,8,32), a doubling range "
        "A..B (1..256: 1,2,4,...,256) or every level A-B (1-64); the forms combine; at most "
        f"{MAX_POINTS:,} levels (default {format_batch_sizes(DEFAULT_CONCURRENCY)})",
    )
    p.add_argument(
        "--rate",
        type=_rate_list,
        default=None,
        help="Poisson arrivals at these rates, requests/s: 2,4,8,inf (inf: all at once)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="every request queued at t = 0, the engine picks its batch (maximum throughput)",
    )
    p.add_argument(
        "--num-requests",
        type=_request_counts,
        default=None,
        metavar="N",
        help=f"requests in a finite run: one for --rate, one or several for --offline (a list "
        f"100,1000 or a range, as --batch writes them; default {DEFAULT_REQUESTS:,})",
    )
    p.add_argument("--mode", choices=MODES, default=None, help="default realistic")
    p.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="the serving engine: its scheduler settings and fitted factors (see 'tokentui "
        "engines'; default vllm-v0, the engine the article measured)",
    )
    p.add_argument(
        "--price-per-gpu-hour",
        type=number("price"),
        default=None,
        help="USD per GPU-hour (default: the GPU's catalog price)",
    )
    p.add_argument(
        "--gamma",
        type=number("gamma"),
        default=None,
        help=f"input/output token cost ratio (default {DEFAULT_GAMMA}, the article's)",
    )
    p.add_argument(
        "--weight-dtype",
        type=precision(WEIGHT_DTYPES, "--weight-dtype"),
        default=None,
        help="weight precision (default: the model's, bf16)",
    )
    p.add_argument(
        "--kv-dtype",
        type=precision(KV_DTYPES, "--kv-dtype"),
        default=None,
        help="KV-cache precision (default bf16)",
    )
    p.add_argument(
        "--flop-count",
        choices=FLOP_COUNTS,
        default=None,
        help="article: the article's naive count; flash: causal flash attention, "
        "logits for the last token only (default: article in ideal, flash in realistic)",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="realistic factors from a profile saved by 'tokentui calibrate' (or a .toml file)",
    )
    for knob in SETTINGS:
        _knob_arg(p, knob, _setting_default(knob))
    for knob in FACTORS:
        _knob_arg(p, knob, "realistic factor; default: the profile's")


def _dest(knob: Knob) -> str:
    return knob.key


def input_from_args(args: argparse.Namespace) -> ScenarioInput:
    """The options given, as loose input (the profile named by ``--profile`` is loaded)."""

    def given(name: str) -> object:
        return getattr(args, name, None)

    profile = given("profile")
    kinds = [flag for flag in LOAD_FLAGS if given(flag) is not None]
    if len(kinds) > 1:
        raise InputError(
            f"give one load per call: {' and '.join('--' + k for k in kinds)} are two "
            f"(accepted: --batch, --concurrency, --rate or --offline)",
            field="load",
        )
    factors = {
        k.field: k.to_si(v)  # type: ignore[arg-type]
        for k in FACTORS
        if (v := given(_dest(k))) is not None
    }
    settings = {k.field: v for k in SETTINGS if (v := given(_dest(k))) is not None}
    return ScenarioInput(
        model=given("model"),  # type: ignore[arg-type]
        gpu=given("gpu"),  # type: ignore[arg-type]
        gpus=given("gpus"),  # type: ignore[arg-type]
        tp=given("tp"),  # type: ignore[arg-type]
        pp=given("pp"),  # type: ignore[arg-type]
        ep=given("ep"),  # type: ignore[arg-type]
        input_tokens=given("input_tokens"),  # type: ignore[arg-type]
        output_tokens=given("output_tokens"),  # type: ignore[arg-type]
        load=LOAD_FLAGS[kinds[0]] if kinds else None,
        batch_sizes=given("batch"),  # type: ignore[arg-type]
        concurrency=given("concurrency"),  # type: ignore[arg-type]
        rates=given("rate"),  # type: ignore[arg-type]
        num_requests=given("num_requests"),  # type: ignore[arg-type]
        mode=given("mode"),  # type: ignore[arg-type]
        engine=given("engine"),  # type: ignore[arg-type]
        flop_count=given("flop_count"),  # type: ignore[arg-type]
        weight_dtype=given("weight_dtype"),  # type: ignore[arg-type]
        kv_dtype=given("kv_dtype"),  # type: ignore[arg-type]
        price_per_gpu_hour=given("price_per_gpu_hour"),  # type: ignore[arg-type]
        gamma=given("gamma"),  # type: ignore[arg-type]
        profile=load_named_profile(str(profile)) if profile else None,
        profile_name=str(profile) if profile else None,
        factors=factors,
        settings=settings,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class FromArgs:
    """What the options describe: the loose input (a preset's, with the options on top), the
    preset it started from, and the scenario resolved from it."""

    input: ScenarioInput
    preset: Preset | None
    scenario: Scenario


def from_args(args: argparse.Namespace, catalog: Catalog) -> FromArgs:
    """The options, on top of ``--preset`` when given, resolved; :class:`InputError` when they
    do not describe a scenario."""
    inp = input_from_args(args)
    preset = None
    if getattr(args, "preset", None):
        preset = load_preset(args.preset, catalog)
        inp = preset.input.overlay(inp)
    return FromArgs(inp, preset, resolve(inp, catalog, default_efficiency()))


def scenario_from_args(args: argparse.Namespace, catalog: Catalog) -> Scenario:
    return from_args(args, catalog).scenario
