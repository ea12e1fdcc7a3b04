"""The headless command line: ``tokentui estimate | models | gpus``.

Bad input never shows a traceback: one line on stderr that says what is wrong and what is
accepted, and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NoReturn

from engine import __version__
from engine.arch import FLOP_COUNTS, kv_bytes_per_token, parameter_count, weight_bytes
from engine.batch import run
from engine.catalog import Catalog, default_catalog
from engine.errors import InputError
from engine.memory import check_fits
from engine.profiles import load_named_profile
from engine.report import estimate_dict, estimate_table
from engine.scenario import MODES, Scenario, Serving, make_scenario, parse_batch_sizes
from engine.specs import GIB, KV_DTYPES, WEIGHT_DTYPES

PROG = "tokentui"


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see '{self.prog} --help')")


def fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _batch_list(text: str) -> tuple[int, ...]:
    try:
        return parse_batch_sizes(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float(name: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {name} {text!r}: give a number") from None
        return value

    return parse


#: The value of each scenario option that is not given: the article's setup.
SCENARIO_DEFAULTS: dict[str, Any] = {
    "model": "llama-3.3-70b",
    "gpu": "h100-sxm",
    "gpus": 4,
    "input_tokens": 2035,
    "output_tokens": 300,
    "mode": "realistic",
    "gamma": 0.3,
    "kv_dtype": "bf16",
}


def add_scenario_args(p: argparse.ArgumentParser, defaults: bool = True) -> None:
    """The options that define a scenario; shared by ``estimate`` and the app. With
    ``defaults=False`` an option not given is None (so that a preset's value can stand)."""
    d: Callable[[str], Any] = (lambda k: SCENARIO_DEFAULTS[k]) if defaults else (lambda k: None)
    p.add_argument(
        "--preset",
        default=None,
        help="start from a preset: a name (see 'tokentui presets') or a .toml file; "
        "the options given beside it override it",
    )
    p.add_argument("--model", default=d("model"), help="model id (see 'tokentui models')")
    p.add_argument("--gpu", default=d("gpu"), help="GPU id (see 'tokentui gpus')")
    p.add_argument("--gpus", type=int, default=d("gpus"), help="number of GPUs (default 4)")
    p.add_argument("--tp", type=int, default=None, help="tensor-parallel degree (default: --gpus)")
    p.add_argument(
        "--input-tokens", type=int, default=d("input_tokens"), help="prompt tokens (default 2035)"
    )
    p.add_argument(
        "--output-tokens", type=int, default=d("output_tokens"), help="output tokens (default 300)"
    )
    p.add_argument(
        "--batch",
        type=_batch_list,
        default=None,
        help="batch sizes: a list 1,2,4 or a maximum 512 (powers of two up to it; default 512)",
    )
    p.add_argument("--mode", choices=MODES, default=d("mode"), help="default realistic")
    p.add_argument(
        "--price-per-gpu-hour",
        type=_positive_float("price"),
        default=None,
        help="USD per GPU-hour (default: the GPU's catalog price)",
    )
    p.add_argument(
        "--gamma",
        type=_positive_float("gamma"),
        default=d("gamma"),
        help="input/output token cost ratio (default 0.3, the article's)",
    )
    p.add_argument(
        "--weight-dtype",
        choices=WEIGHT_DTYPES,
        default=None,
        help="weight precision (default: the model's, bf16)",
    )
    p.add_argument(
        "--kv-dtype", choices=KV_DTYPES, default=d("kv_dtype"), help="KV-cache precision"
    )
    p.add_argument(
        "--flop-count",
        choices=FLOP_COUNTS,
        default=None,
        help="article: the article's naive count; flash: causal flash attention, "
        "logits for the last token only (default: article in ideal, flash in realistic)",
    )
    p.add_argument(
        "--memory-utilization",
        type=_positive_float("memory utilisation"),
        default=None,
        help="fraction of GPU memory the server may use (default 0.9)",
    )
    p.add_argument(
        "--max-num-seqs",
        type=int,
        default=None,
        help="scheduler cap on running sequences (default 256, vLLM's)",
    )
    p.add_argument(
        "--compute-efficiency",
        type=_positive_float("compute efficiency"),
        default=None,
        help="fraction of peak FLOP/s (realistic default: calibrated)",
    )
    p.add_argument(
        "--memory-efficiency",
        type=_positive_float("memory efficiency"),
        default=None,
        help="fraction of peak bandwidth (realistic default: calibrated)",
    )
    p.add_argument(
        "--attention-efficiency",
        type=_positive_float("attention efficiency"),
        default=None,
        help="fraction of peak bandwidth decode attention reaches reading the KV cache",
    )
    p.add_argument(
        "--step-overhead-ms",
        type=_positive_float("step overhead"),
        default=None,
        help="fixed time per forward step, ms",
    )
    p.add_argument(
        "--collective-latency-us",
        type=_positive_float("collective latency"),
        default=None,
        help="extra latency per all-reduce, microseconds",
    )
    p.add_argument(
        "--profile",
        default=None,
        metavar="NAME|PATH",
        help="realistic factors from a profile saved by 'tokentui calibrate' (or a .toml file)",
    )
    p.add_argument(
        "--seq-overhead-us",
        type=_positive_float("per-sequence overhead"),
        default=None,
        help="CPU time per running sequence per step, microseconds",
    )
    p.add_argument(
        "--attention-token-ns",
        type=_positive_float("attention time per token"),
        default=None,
        help="decode attention time per context token per layer beyond its KV bytes, nanoseconds",
    )
    p.add_argument(
        "--eager-layer-us",
        type=_positive_float("eager-mode time per layer"),
        default=None,
        help="time per layer of a decode step beyond the CUDA-graph context, microseconds",
    )


def scenario_from_args(args: argparse.Namespace, catalog: Catalog) -> Scenario:
    """The scenario the options describe; an option that is None takes its default, or, with
    ``--preset``, the preset's value (engine/cli_presets.py)."""
    if getattr(args, "preset", None):
        from engine.cli_presets import scenario_from_preset_args

        return scenario_from_preset_args(args, catalog)
    given = {k: v for k, v in vars(args).items() if v is not None}
    args = argparse.Namespace(**{**vars(args), **SCENARIO_DEFAULTS, **given})
    model = catalog.model(args.model)
    gpu = catalog.gpu(args.gpu)
    profile = getattr(args, "profile", None)
    if profile and args.mode == "ideal":
        raise InputError("--profile sets the realistic factors; it does not apply in ideal mode")
    base = make_scenario(
        model,
        gpu,
        gpus=args.gpus,
        tp=args.tp,
        mode=args.mode,
        efficiency=load_named_profile(profile) if profile else None,
    )
    eff = base.efficiency
    overrides = {
        "compute": args.compute_efficiency,
        "memory": args.memory_efficiency,
        "attention": args.attention_efficiency,
        "step_overhead_s": None if args.step_overhead_ms is None else args.step_overhead_ms / 1e3,
        "collective_latency_s": (
            None if args.collective_latency_us is None else args.collective_latency_us / 1e6
        ),
        "seq_overhead_s": None if args.seq_overhead_us is None else args.seq_overhead_us / 1e6,
        "attention_token_s": (
            None if args.attention_token_ns is None else args.attention_token_ns / 1e9
        ),
        "eager_layer_s": None if args.eager_layer_us is None else args.eager_layer_us / 1e6,
    }
    eff = replace(eff, **{k: v for k, v in overrides.items() if v is not None})
    serving = serving_from_args(args)
    return make_scenario(
        model,
        gpu,
        gpus=args.gpus,
        tp=args.tp,
        input_tokens=args.input_tokens,
        output_tokens=args.output_tokens,
        batch_sizes=args.batch or base.batch_sizes,
        mode=args.mode,
        efficiency=eff,
        flop_count=args.flop_count,
        weight_dtype=args.weight_dtype,
        kv_dtype=args.kv_dtype,
        price_per_gpu_hour=args.price_per_gpu_hour,
        gamma=args.gamma,
        serving=serving,
    )


def serving_from_args(args: argparse.Namespace) -> Serving:
    """The serving settings given on the command line, vLLM's defaults for the rest."""
    given = {"memory_utilization": args.memory_utilization, "max_num_seqs": args.max_num_seqs}
    return Serving(**{k: v for k, v in given.items() if v is not None})


def cmd_estimate(args: argparse.Namespace) -> int:
    s = scenario_from_args(args, default_catalog())
    check_fits(s)
    result = run(s)
    if args.json:
        print(json.dumps(estimate_dict(result), indent=2))
    else:
        print(estimate_table(result))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    cat = default_catalog()
    rows: list[dict[str, Any]] = []
    for m in sorted(cat.models.values(), key=lambda m: parameter_count(m)):
        rows.append(
            {
                "id": m.id,
                "name": m.name,
                "params": parameter_count(m),
                "weight_bytes": weight_bytes(m),
                "kv_bytes_per_token": int(kv_bytes_per_token(m)),
                "layers": m.num_layers,
                "hidden_size": m.hidden_size,
                "heads": m.num_attention_heads,
                "kv_heads": m.num_key_value_heads,
                "max_context": m.max_context,
                "aliases": list(m.aliases),
                "source": m.source,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{'id':<16} {'params':>8} {'weights':>8} {'KV/token':>9} {'layers':>6} "
        f"{'hidden':>6} {'heads':>8} {'context':>8}"
    )
    for r in rows:
        print(
            f"{r['id']:<16} {r['params'] / 1e9:>7.2f}B {r['weight_bytes'] / 1e9:>6.1f}GB "
            f"{r['kv_bytes_per_token'] / 1e3:>7.1f}kB {r['layers']:>6} {r['hidden_size']:>6} "
            f"{r['heads']:>3}/{r['kv_heads']:<4} {r['max_context']:>8}"
        )
    _print_catalog_errors(cat)
    return 0


def cmd_gpus(args: argparse.Namespace) -> int:
    cat = default_catalog()
    rows: list[dict[str, Any]] = []
    for g in sorted(cat.gpus.values(), key=lambda g: g.id):
        rows.append(
            {
                "id": g.id,
                "name": g.name,
                "memory_gib": g.memory_bytes / GIB,
                "memory_bandwidth_gbps": g.memory_bandwidth / 1e9,
                "peak_tflops": {p: v / 1e12 for p, v in g.peak_flops.items()},
                "machine_balance_bf16": g.machine_balance("bf16"),
                "interconnect": g.interconnect.kind,
                "interconnect_gbps": g.interconnect.bandwidth / 1e9,
                "price_per_hour": g.price_per_hour,
                "source": g.source,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        f"{'id':<15} {'memory':>7} {'GB/s':>6} {'bf16 TF':>8} {'fp8 TF':>7} {'balance':>7} "
        f"{'link GB/s':>9} {'$/h':>5}  interconnect"
    )
    for r in rows:
        fp8 = r["peak_tflops"].get("fp8")
        print(
            f"{r['id']:<15} {r['memory_gib']:>5.0f}GB {r['memory_bandwidth_gbps']:>6.0f} "
            f"{r['peak_tflops'].get('bf16', 0):>8.1f} {fp8 if fp8 else '-':>7} "
            f"{r['machine_balance_bf16']:>7.0f} {r['interconnect_gbps']:>9.0f} "
            f"{r['price_per_hour']:>5.2f}  {r['interconnect']}"
        )
    _print_catalog_errors(cat)
    return 0


def _print_catalog_errors(cat: Catalog) -> None:
    for err in cat.errors:
        print(f"{PROG}: warning: skipped {err}", file=sys.stderr)


#: The headless commands; any other command line opens the app.
COMMANDS = ("estimate", "models", "gpus", "presets", "compare", "calibrate")


def build_parser(commands: bool = True) -> ArgumentParser:
    """The whole command line; ``commands=False`` leaves the subcommands out (opening the app
    needs none of them, and registering them imports the measurement modules)."""
    parser = ArgumentParser(
        prog=PROG,
        description="What LLM inference costs and why. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    if not commands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=ArgumentParser)

    est = sub.add_parser("estimate", help="predict latency, throughput and cost over batch sizes")
    add_scenario_args(est, defaults=False)  # defaults filled in scenario_from_args
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.set_defaults(func=cmd_estimate)

    models = sub.add_parser("models", help="list the models in the catalog")
    models.add_argument("--json", action="store_true")
    models.set_defaults(func=cmd_models)

    gpus = sub.add_parser("gpus", help="list the GPUs in the catalog")
    gpus.add_argument("--json", action="store_true")
    gpus.set_defaults(func=cmd_gpus)

    from engine.cli_presets import register  # presets, models import (engine/cli_presets.py)

    register(sub)
    # Measured data against the engine: compare, calibrate (engine/cli_measure.py).
    from engine.cli_measure import register as register_measure_commands

    register_measure_commands(sub)
    return parser


def main(
    argv: Sequence[str] | None = None, launch_app: Callable[[argparse.Namespace], int] | None = None
) -> int:
    """Run a headless command; with none, hand the parsed options to ``launch_app``."""
    words = list(sys.argv[1:] if argv is None else argv)
    wants_commands = launch_app is None or any(
        w in COMMANDS or w in ("-h", "--help") for w in words
    )
    parser = build_parser(commands=wants_commands)
    if launch_app is not None:
        add_scenario_args(parser, defaults=False)
    args = parser.parse_args(argv)
    try:
        if getattr(args, "command", None):
            return int(args.func(args))
        if launch_app is None:
            parser.print_help()
            return 0
        return launch_app(args)
    except InputError as exc:
        fail(str(exc))
    except BrokenPipeError:  # e.g. `tokentui models | head`
        return 0
