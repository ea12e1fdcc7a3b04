"""``tokentui models``, ``tokentui gpus`` and ``tokentui models import``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from engine.cli.base import say, warn
from engine.physics.arch import kv_bytes_per_token, param_counts, parameter_count
from engine.storage.catalog import default_catalog
from engine.storage.hfconfig import FAMILIES, import_hf_config
from engine.views.catalog_report import (
    engine_rows,
    engine_table,
    gpu_rows,
    gpu_table,
    model_rows,
    model_table,
)


def cmd_models(args: argparse.Namespace) -> int:
    cat = default_catalog()
    rows = model_rows(cat)
    say(json.dumps(rows, indent=2) if args.json else model_table(rows))
    if not args.json:
        warn(cat.errors)
    return 0


def cmd_gpus(args: argparse.Namespace) -> int:
    cat = default_catalog()
    rows = gpu_rows(cat)
    say(json.dumps(rows, indent=2) if args.json else gpu_table(rows))
    if not args.json:
        warn(cat.errors)
    return 0


def cmd_engines(args: argparse.Namespace) -> int:
    cat = default_catalog()
    rows = engine_rows(cat)
    say(json.dumps(rows, indent=2) if args.json else engine_table(rows))
    if not args.json:
        warn(cat.errors)
    return 0


def cmd_models_import(args: argparse.Namespace) -> int:
    model, path = import_hf_config(Path(args.file).expanduser(), args.id, overwrite=args.force)
    default_catalog(reload=True)
    say(
        f"imported {model.name} as model {model.id!r}: "
        f"{parameter_count(model) / 1e9:.2f} B params, "
        + (
            f"{param_counts(model).active / 1e9:.2f} B active ({model.experts_per_token} of "
            f"{model.num_experts} experts), "
            if model.is_moe
            else ""
        )
        + f"{model.num_layers} layers, KV {kv_bytes_per_token(model) / 1e3:.1f} kB/token; {path}"
    )
    return 0


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    models = sub.add_parser("models", help="list the models in the catalog")
    models.add_argument("--json", action="store_true")
    models.set_defaults(func=cmd_models)
    msub = models.add_subparsers(
        dest="models_command", metavar="COMMAND", parser_class=parser_class
    )
    p = msub.add_parser(
        "import",
        help=f"add a model from a Hugging Face config.json ({', '.join(FAMILIES)})",
    )
    p.add_argument("file", help="path to config.json")
    p.add_argument("--id", default=None, help="catalog id (default: from the model's name)")
    p.add_argument("--force", action="store_true", help="replace a user model of that id")
    p.set_defaults(func=cmd_models_import)

    gpus = sub.add_parser("gpus", help="list the GPUs in the catalog")
    gpus.add_argument("--json", action="store_true")
    gpus.set_defaults(func=cmd_gpus)

    engines = sub.add_parser(
        "engines", help="list the serving engines: their scheduler settings and factors"
    )
    engines.add_argument("--json", action="store_true")
    engines.set_defaults(func=cmd_engines)
