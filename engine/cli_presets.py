"""The command line of presets and the user catalog: ``tokentui presets list | show | export |
import | delete | rename``, ``tokentui models import``, and ``estimate --preset``.

Kept apart from engine/cli.py, which calls :func:`register` and, for ``--preset``,
:func:`scenario_from_preset_args`. Errors are :class:`InputError`; the CLI prints them on one line
and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.arch import kv_bytes_per_token, parameter_count
from engine.batch import run
from engine.catalog import Catalog, default_catalog
from engine.cli import PROG, ArgumentParser
from engine.errors import InputError
from engine.hfconfig import import_hf_config
from engine.memory import check_fits
from engine.presets import (
    Preset,
    builtin_names,
    check_name,
    delete_preset,
    is_builtin_entry,
    list_presets,
    load_file,
    load_preset,
    preset_to_toml,
    rename_preset,
    safe_name,
    save_preset,
    user_presets_dir,
)
from engine.profiles import default_efficiency
from engine.report import human_seconds, scenario_dict
from engine.scenario import IDEAL, Scenario, make_scenario

# ------------------------------------------------------------------------------ estimate --preset


def scenario_from_preset_args(args: argparse.Namespace, catalog: Catalog) -> Scenario:
    """The preset's scenario, with the options given beside ``--preset`` (those not None) on top.

    Rules where one option changes the meaning of another: a new ``--gpu`` brings its catalog
    price unless ``--price-per-gpu-hour`` is given; ``--gpus`` without ``--tp`` means TP = GPUs
    (as without a preset); another ``--mode`` brings that mode's efficiency and FLOP count.
    """
    s = load_preset(args.preset, catalog).scenario

    def given(name: str) -> Any:
        return getattr(args, name, None)

    model = catalog.model(given("model")) if given("model") is not None else s.model
    gpu = catalog.gpu(given("gpu")) if given("gpu") is not None else s.gpu
    gpus = given("gpus") if given("gpus") is not None else s.gpus
    tp = given("tp")
    if tp is None and given("gpus") is None:
        tp = s.tp  # else None: TP = GPUs
    mode = given("mode") or s.mode
    if mode != s.mode:
        efficiency = IDEAL if mode == "ideal" else default_efficiency()
        flop_count = None
    else:
        efficiency, flop_count = s.efficiency, s.flop_count
    factors = {
        "compute": given("compute_efficiency"),
        "memory": given("memory_efficiency"),
        "attention": given("attention_efficiency"),
        "step_overhead_s": _scaled(given("step_overhead_ms"), 1e-3),
        "collective_latency_s": _scaled(given("collective_latency_us"), 1e-6),
        "seq_overhead_s": _scaled(given("seq_overhead_us"), 1e-6),
        "attention_token_s": _scaled(given("attention_token_ns"), 1e-9),
        "eager_layer_s": _scaled(given("eager_layer_us"), 1e-6),
    }
    efficiency = replace(efficiency, **{k: v for k, v in factors.items() if v is not None})
    serving = s.serving
    for key in ("memory_utilization", "max_num_seqs"):
        if given(key) is not None:
            serving = replace(serving, **{key: given(key)})
    price = given("price_per_gpu_hour")
    if price is None:
        price = s.price_per_gpu_hour if gpu == s.gpu else gpu.price_per_hour
    return make_scenario(
        model,
        gpu,
        gpus=gpus,
        tp=tp,
        input_tokens=_either(given("input_tokens"), s.input_tokens),
        output_tokens=_either(given("output_tokens"), s.output_tokens),
        batch_sizes=given("batch") or s.batch_sizes,
        mode=mode,
        efficiency=efficiency,
        flop_count=given("flop_count") or flop_count,
        weight_dtype=given("weight_dtype") or s.weight_dtype,
        kv_dtype=given("kv_dtype") or s.kv_dtype,
        price_per_gpu_hour=price,
        gamma=_either(given("gamma"), s.gamma),
        serving=serving,
    )


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _either(value: Any, default: Any) -> Any:
    return default if value is None else value


# ------------------------------------------------------------------------------ presets


def _warn(errors: list[str]) -> None:
    for err in errors:
        print(f"{PROG}: warning: skipped {err}", file=sys.stderr)


def cmd_presets_list(args: argparse.Namespace) -> int:
    presets, errors = list_presets()
    if args.json:
        rows = [
            {
                "name": p.name,
                "builtin": p.builtin,
                "description": p.summary,
                "chart": p.chart,
                "path": str(p.path),
            }
            for p in presets
        ]
        print(json.dumps({"presets": rows, "errors": errors}, indent=2))
        return 0
    width = max([len(p.name) for p in presets] + [4])
    print(f"{'name':<{width}}  {'kind':<8}  description")
    for p in presets:
        print(f"{p.name:<{width}}  {'built-in' if p.builtin else 'user':<8}  {p.summary}")
    print(f"\nuser presets are saved in {user_presets_dir()}")
    _warn(errors)
    return 0


def _representative(s: Scenario) -> dict[str, Any] | None:
    """The point of the largest batch size that fits at once (else the smallest)."""
    points = run(s).points()
    fitting = [p for p in points if p["fits"]]
    return fitting[-1] if fitting else (points[0] if points else None)


def _show_lines(p: Preset) -> list[str]:
    s = p.scenario
    if p.builtin:
        kind = "built-in"
    else:
        kind = "user" if p.path and p.path.parent == user_presets_dir() else "file"
    model_from = "catalog" if is_builtin_entry(s.model) else "defined in the preset"
    gpu_from = "catalog" if is_builtin_entry(s.gpu) else "defined in the preset"
    e = s.efficiency
    lines = [
        f"{p.name} ({kind}): {p.summary}",
        f"  file       {p.path}",
        f"  model      {s.model.name} ({s.model.id}, {model_from}); "
        f"weights {s.weight_dtype}, KV cache {s.kv_dtype}",
        f"  hardware   {s.gpus} x {s.gpu.name} ({s.gpu.id}, {gpu_from}), TP {s.tp}"
        + (f", {s.replicas} replicas" if s.replicas > 1 else ""),
        f"  workload   {s.input_tokens:,} in / {s.output_tokens:,} out; "
        f"batches {', '.join(map(str, s.batch_sizes))}",
        f"  mode       {s.mode} ({s.flop_count} FLOP count)",
        f"  efficiency compute {e.compute:.2f}, memory {e.memory:.2f}, "
        f"attention {e.attention:.2f}; "
        f"overheads {e.step_overhead_s * 1e3:.2f} ms per step, "
        f"{e.seq_overhead_s * 1e6:.0f} us per sequence, "
        f"{e.collective_latency_s * 1e6:.0f} us per all-reduce",
        f"  serving    memory utilisation {s.serving.memory_utilization:g}, "
        f"max {s.serving.max_num_seqs} sequences, {s.serving.max_batched_tokens:,} tokens per step",
        f"  cost       ${s.price_per_gpu_hour:,.2f} per GPU-hour, gamma {s.gamma:g}",
        f"  chart      {p.chart}",
    ]
    try:
        plan = check_fits(s)
    except InputError as exc:
        return [*lines, f"  does not fit: {exc}"]
    point = _representative(s)
    if point is not None:
        lines.append(
            f"  at batch {point['batch']} (largest that fits at once: {plan.max_batch}): "
            f"TTFT {human_seconds(point['ttft_s'])}, TPOT {human_seconds(point['tpot_s'])}, "
            f"{point['total_tokens_per_s']:,.1f} tok/s, "
            f"${point['cost_per_1m_input_usd']:.3f} / 1M in, "
            f"${point['cost_per_1m_output_usd']:.3f} / 1M out"
        )
    return lines


def cmd_presets_show(args: argparse.Namespace) -> int:
    p = load_preset(args.name)
    if args.json:
        try:
            check_fits(p.scenario)
            point = _representative(p.scenario)
        except InputError:
            point = None
        data = {
            "name": p.name,
            "builtin": p.builtin,
            "path": str(p.path),
            "description": p.description,
            "chart": p.chart,
            "scenario": scenario_dict(p.scenario),
            "representative_point": point,
        }
        print(json.dumps(data, indent=2))
        return 0
    print("\n".join(_show_lines(p)))
    return 0


def cmd_presets_export(args: argparse.Namespace) -> int:
    sys.stdout.write(preset_to_toml(load_preset(args.name)))
    return 0


def cmd_presets_import(args: argparse.Namespace) -> int:
    path = Path(args.file).expanduser()
    preset = load_file(path)
    note = ""
    if args.name is not None:
        name = check_name(args.name)
    else:
        try:
            name = check_name(preset.name)
        except InputError:
            name = safe_name(preset.name)
            note = f" (made from {preset.name!r}, which is not a safe file name)"
    if name in builtin_names():
        raise InputError(
            f"{name!r} is a built-in preset and cannot be overwritten; "
            f"give another name with --name"
        )
    if (user_presets_dir() / f"{name}.toml").exists() and not args.force:
        raise InputError(
            f"a preset named {name!r} already exists; give another name with --name, "
            f"or replace it with --force"
        )
    saved = save_preset(preset, name, overwrite=args.force)
    print(f"imported {path} as preset {name!r}{note}: {saved.path}")
    return 0


def cmd_presets_delete(args: argparse.Namespace) -> int:
    path = delete_preset(args.name)
    print(f"deleted preset {args.name!r} ({path})")
    return 0


def cmd_presets_rename(args: argparse.Namespace) -> int:
    path = rename_preset(args.old, args.new)
    print(f"renamed preset {args.old!r} to {args.new!r} ({path})")
    return 0


# ------------------------------------------------------------------------------ models import


def cmd_models_import(args: argparse.Namespace) -> int:
    model, path = import_hf_config(Path(args.file).expanduser(), args.id, overwrite=args.force)
    default_catalog(reload=True)
    print(
        f"imported {model.name} as model {model.id!r}: "
        f"{parameter_count(model) / 1e9:.2f} B params, "
        f"{model.num_layers} layers, KV {kv_bytes_per_token(model) / 1e3:.1f} kB/token; {path}"
    )
    return 0


# ------------------------------------------------------------------------------ parsers


def register(sub: argparse._SubParsersAction[ArgumentParser]) -> None:
    """Add ``presets`` and ``models import`` to the command line built in engine/cli.py."""
    presets = sub.add_parser("presets", help="list, show, export, import, delete saved scenarios")
    presets.add_argument("--json", action="store_true", help="with no command: list as JSON")
    presets.set_defaults(func=cmd_presets_list)
    psub = presets.add_subparsers(
        dest="presets_command", metavar="COMMAND", parser_class=ArgumentParser
    )

    p = psub.add_parser("list", help="built-in and user presets (bad files are warned about)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_presets_list)

    p = psub.add_parser("show", help="what a preset holds, and its key predictions")
    p.add_argument("name", help="preset name, or the path of a .toml file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_presets_show)

    p = psub.add_parser("export", help="print a preset as TOML (self-contained)")
    p.add_argument("name", help="preset name, or the path of a .toml file")
    p.set_defaults(func=cmd_presets_export)

    p = psub.add_parser("import", help="check a preset file and save it as a user preset")
    p.add_argument("file", help="a preset .toml file")
    p.add_argument("--name", default=None, help="save under this name (default: the file's)")
    p.add_argument("--force", action="store_true", help="replace a user preset of that name")
    p.set_defaults(func=cmd_presets_import)

    p = psub.add_parser("delete", help="delete a user preset")
    p.add_argument("name")
    p.set_defaults(func=cmd_presets_delete)

    p = psub.add_parser("rename", help="rename a user preset")
    p.add_argument("old")
    p.add_argument("new")
    p.set_defaults(func=cmd_presets_rename)

    models = sub.choices["models"]
    msub = models.add_subparsers(
        dest="models_command", metavar="COMMAND", parser_class=ArgumentParser
    )
    p = msub.add_parser(
        "import", help="add a model from a Hugging Face config.json (Llama, Mistral, Qwen2)"
    )
    p.add_argument("file", help="path to config.json")
    p.add_argument("--id", default=None, help="catalog id (default: from the model's name)")
    p.add_argument("--force", action="store_true", help="replace a user model of that id")
    p.set_defaults(func=cmd_models_import)
