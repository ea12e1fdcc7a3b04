"""Saved efficiency profiles: the realistic factors fitted by ``tokentui calibrate``.

A profile is a TOML file in ``<config>/profiles/NAME.toml`` (``<config>`` is ``$TOKENTUI_HOME``
when set, else the user's config folder): ``schema``, ``name``, one key per realistic factor in its
shown unit (the keys of :data:`engine.scenario.factors.FACTORS`: ``compute_efficiency``,
``step_overhead_ms`` ...) and a ``[fit]`` table saying what it was fitted on. The built-in profile
(``presets/calibration/default.toml``) is the same format. Files are written atomically.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import tomli_w

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.scenario.factors import FACTOR_BY_KEY, FACTORS
from engine.storage.catalog import builtin_dir
from engine.storage.files import toml_files
from engine.storage.names import check_name
from engine.storage.paths import atomic_write, config_dir
from engine.storage.tomlio import check_fields, read_toml

#: 2: ``attention_token_ns`` and ``eager_layer_us`` added; ``attention_items`` counts sequences
#: in flight (schema 1 counted sequence x KV-head pairs; such files are read as they are).
PROFILE_SCHEMA = 2
#: Factors every profile gives (schema 1 had only these); the others default to the ideal value,
#: except the attention bandwidth, which defaults to the memory efficiency.
_REQUIRED = ("compute_efficiency", "memory_efficiency", "step_overhead_ms", "collective_latency_us")
_PROFILE_FIELDS: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, True),
    **{k.key: (float, k.key in _REQUIRED) for k in FACTORS},
    "fit": (dict, False),
}
#: Names a saved profile may not take: they mean something else to ``--profile``.
RESERVED_NAMES = ("default",)


def efficiency_from_dict(data: dict[str, Any], where: str) -> Efficiency:
    d = check_fields(data, _PROFILE_FIELDS, where)
    if d["schema"] > PROFILE_SCHEMA:
        raise InputError(
            f"{where}: schema {d['schema']} is newer than this tokentui reads ({PROFILE_SCHEMA})"
        )
    given = {k: float(v) for k, v in d.items() if k in FACTOR_BY_KEY}
    given.setdefault("attention_efficiency", given["memory_efficiency"])
    values: dict[str, float] = {}
    for key, value in given.items():
        knob = FACTOR_BY_KEY[key]
        values[knob.field] = float(knob.check(knob.to_si(value), f"{where}: field {key!r}"))
    return Efficiency(**values)


def efficiency_to_dict(eff: Efficiency, name: str) -> dict[str, Any]:
    out: dict[str, Any] = {"schema": PROFILE_SCHEMA, "name": name}
    out.update({k.key: k.shown(getattr(eff, k.field)) for k in FACTORS})
    return out


def load_profile(path: Path) -> Efficiency:
    return efficiency_from_dict(read_toml(path), str(path))


def default_profile_path() -> Path:
    return builtin_dir() / "calibration" / "default.toml"


@lru_cache(maxsize=1)
def default_efficiency() -> Efficiency:
    """The realistic mode's factors, fitted on the shared measurements (scripts/fit_defaults.py):
    what :func:`engine.scenario.resolve` is given as the default profile."""
    return load_profile(default_profile_path())


def profiles_dir() -> Path:
    return config_dir() / "profiles"


def check_profile_name(name: str) -> str:
    """A name to save a profile under: the names rule, and not a reserved name."""
    check_name(name, "profile name")
    if name in RESERVED_NAMES:
        raise InputError(
            f"profile name {name!r} is reserved (--profile {name} is the built-in profile); "
            "choose another"
        )
    return name


def saved_profiles() -> list[str]:
    """The names of the saved profiles (not the reserved ones: they name something else)."""
    return [p.stem for p in toml_files(profiles_dir()) if p.stem not in RESERVED_NAMES]


def profile_path(name_or_path: str) -> Path:
    """A saved profile by name ('default' is the built-in one), or a TOML file by path."""
    looks_like_path = "/" in name_or_path or os.sep in name_or_path
    if looks_like_path or name_or_path.endswith(".toml"):
        path = Path(name_or_path).expanduser()
        try:
            found = path.is_file()
        except OSError as exc:  # e.g. a name too long for the file system
            raise InputError(f"{str(path)[:80]}: cannot be read ({exc.strerror})") from None
        if not found:
            raise InputError(f"{path}: no such profile file", field="profile")
        return path
    saved = profiles_dir() / f"{name_or_path}.toml"
    if name_or_path in RESERVED_NAMES:
        if saved.is_file():  # saved before the name was reserved: it would be ignored silently
            raise InputError(
                f"{saved}: a saved profile named {name_or_path!r}, which is now always the "
                f"built-in profile; rename the file (e.g. to {name_or_path}-1.toml) to use it "
                f"as --profile {name_or_path}-1, or delete it to use the built-in one",
                field="profile",
            )
        return default_profile_path()
    try:
        if saved.is_file():
            return saved
    except OSError:  # a name no file can have (too long): not a saved profile
        pass
    names = ", ".join(["default", *saved_profiles()])
    shown = name_or_path if len(name_or_path) <= 80 else name_or_path[:40] + "..."
    raise InputError(
        f"unknown profile {shown!r} (accepted: {names}, or the path of a .toml file; "
        f"saved profiles live in {profiles_dir()})",
        field="profile",
    )


def load_named_profile(name_or_path: str) -> Efficiency:
    return load_profile(profile_path(name_or_path))


def save_profile(
    eff: Efficiency, name: str, fit_info: dict[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Write ``eff`` as profile ``name``; refuses to replace one unless ``overwrite``."""
    check_profile_name(name)
    folder = profiles_dir()
    path = folder / f"{name}.toml"
    if path.exists() and not overwrite:
        raise InputError(f"profile {name!r} exists ({path}); give --force to replace it")
    data = efficiency_to_dict(eff, name)
    if fit_info:
        data["fit"] = fit_info
    text = "# Written by 'tokentui calibrate'.\n" + tomli_w.dumps(data)
    atomic_write(path, text.encode(), overwrite=True)
    return path
