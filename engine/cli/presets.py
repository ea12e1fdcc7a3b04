"""``tokentui presets list | show | export | import | delete | rename``.

Errors are :class:`InputError`; the CLI prints them on one line and exits with code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from engine.cli.base import say, warn
from engine.errors import InputError
from engine.storage.names import check_name, safe_name
from engine.storage.presets import (
    builtin_names,
    delete_preset,
    list_presets,
    load_file,
    load_preset,
    preset_to_toml,
    rename_preset,
    save_preset,
    user_presets_dir,
)
from engine.views.preset_report import list_rows, list_table, show_dict, show_lines


def cmd_presets_list(args: argparse.Namespace) -> int:
    presets, errors = list_presets()
    if args.json:
        say(json.dumps({"presets": list_rows(presets), "errors": errors}, indent=2))
        return 0
    say(list_table(presets))
    warn(errors)
    return 0


def cmd_presets_show(args: argparse.Namespace) -> int:
    p = load_preset(args.name)
    if args.json:
        say(json.dumps(show_dict(p), indent=2))
    else:
        say("\n".join(show_lines(p)))
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
    say(f"imported {path} as preset {name!r}{note}: {saved.path}")
    return 0


def cmd_presets_delete(args: argparse.Namespace) -> int:
    path = delete_preset(args.name)
    say(f"deleted preset {args.name!r} ({path})")
    return 0


def cmd_presets_rename(args: argparse.Namespace) -> int:
    path = rename_preset(args.old, args.new)
    say(f"renamed preset {args.old!r} to {args.new!r} ({path})")
    return 0


def register(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``presets`` and its subcommands."""
    presets = sub.add_parser("presets", help="list, show, export, import, delete saved scenarios")
    presets.add_argument("--json", action="store_true", help="with no command: list as JSON")
    presets.set_defaults(func=cmd_presets_list)
    psub = presets.add_subparsers(
        dest="presets_command", metavar="COMMAND", parser_class=parser_class
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
