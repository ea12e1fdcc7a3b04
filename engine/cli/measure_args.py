"""The options ``compare`` and ``calibrate`` share: the files, the hardware flags that override what
a file records, and the base scenario a file's missing parts come from (``estimate``'s defaults)."""

from __future__ import annotations

import argparse

from engine.cli import scenario_args
from engine.cli.base import layout_arguments, number, precision
from engine.measure.file_scenario import FileOverrides, resolve_model
from engine.measure.points import Measurement
from engine.physics.deployment import EngineSettings
from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES
from engine.scenario.factors import FACTOR_BY_SHORT, FACTORS, SETTING_BY_KEY
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import DEFAULT_GPU, DEFAULT_GPUS, resolve
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.storage.profiles import default_efficiency


def _gpus_for(text: str) -> tuple[str, int]:
    model, sep, n = text.partition("=")
    if not sep or not model or not n.isdigit() or int(n) < 1:
        raise argparse.ArgumentTypeError(
            f"invalid --gpus-for {text!r}: give MODEL=N, e.g. llama-3.1-8b=1"
        )
    return model, int(n)


def factor_names(text: str) -> tuple[str, ...]:
    """``--factors``: short names, comma-separated, or 'all'."""
    if text.strip() == "all":
        return tuple(k.short for k in FACTORS)
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    bad = [n for n in names if n not in FACTOR_BY_SHORT]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown factor {bad[0] if bad else text!r} "
            f"(accepted: {', '.join(FACTOR_BY_SHORT)}, or 'all')"
        )
    return names


def add_args(p: argparse.ArgumentParser) -> None:
    """The files and the hardware flags."""
    p.add_argument("files", nargs="+", metavar="FILE", help="benchmark files (format detected)")
    p.add_argument(
        "--model", default=None, help="catalog model id (default: the one the file names)"
    )
    p.add_argument(
        "--gpu",
        default=None,
        help=f"GPU id (default: the one the file records, else {DEFAULT_GPU})",
    )
    p.add_argument(
        "--gpus",
        type=number("--gpus", integer=True),
        default=None,
        help=f"number of GPUs (default: as the file records, else {DEFAULT_GPUS})",
    )
    layout_arguments(
        p,
        pp_help="pipeline stages the files' runs used (llama.cpp's layer split over N GPUs: N; "
        "default 1)",
        ep_help="expert-parallel degree the files' runs used (default 1)",
    )
    p.add_argument(
        "--gpus-for",
        type=_gpus_for,
        action="append",
        default=[],
        metavar="MODEL=N",
        help="GPUs (and TP) for the files of one model, e.g. llama-3.1-8b=1 (repeatable)",
    )
    p.add_argument(
        "--weight-dtype",
        type=precision(WEIGHT_DTYPES, "--weight-dtype"),
        default=None,
        help="weight precision (default: from the file's model tag, else the model's)",
    )
    p.add_argument(
        "--kv-dtype",
        type=precision(KV_DTYPES, "--kv-dtype"),
        default=None,
        help="KV-cache precision",
    )
    p.add_argument(
        "--engine",
        default=None,
        metavar="NAME",
        help="the serving engine of every file (default: the file's server where it says, NIM: "
        "trtllm, vllm bench serve: vllm, a table row: its engine column; else vllm-v0)",
    )
    for key in ("memory_utilization", "max_num_seqs"):
        knob = SETTING_BY_KEY[key]
        p.add_argument(
            knob.flag,
            type=number(knob.flag, integer=knob.integer),
            default=None,
            help=f"{knob.help} (engine setting; default {getattr(EngineSettings(), knob.field):g})",
        )


def base_scenario(args: argparse.Namespace, catalog: Catalog, mode: str) -> Scenario:
    """What a file does not record comes from here: ``estimate``'s defaults, the GPU flag, the
    mode, the profile and the engine settings given."""
    given = scenario_args.input_from_args(args)
    inp = ScenarioInput(
        gpu=args.gpu,
        mode=mode,
        profile=given.profile,
        profile_name=given.profile_name,
        settings=given.settings,
    )
    return resolve(inp, catalog, default_efficiency())


def overrides(meas: Measurement, args: argparse.Namespace, catalog: Catalog) -> FileOverrides:
    """The flags that override what ``meas`` records (``--gpus-for`` by the file's model)."""
    per_model = {catalog.model(m).id: n for m, n in args.gpus_for}
    # a table's rows name their own models (and GPUs): --gpus-for does not apply to it
    model_id = None if meas.format == "public-tsv" else resolve_model(meas, catalog, args.model)
    return FileOverrides(
        model=args.model,
        gpu=args.gpu,
        gpus=per_model.get(model_id, args.gpus) if model_id else args.gpus,
        tp=args.tp,
        pp=args.pp,
        ep=args.ep,
        weight_dtype=args.weight_dtype,
        kv_dtype=args.kv_dtype,
        engine=args.engine,
        factors_given=bool(getattr(args, "profile", None)),
        settings=scenario_args.input_from_args(args).settings,
    )
