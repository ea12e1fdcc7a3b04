"""Saved efficiency profiles: the realistic factors fitted by ``tokentui calibrate``.

A profile is a TOML file (:func:`engine.calibration.efficiency_to_dict`, plus a ``[fit]`` table
saying what it was fitted on) in ``<config>/profiles/NAME.toml``, where ``<config>`` is
``$TOKENTUI_HOME`` when set (tests and scripts point it elsewhere), else the user's config folder
(``platformdirs.user_config_dir("tokentui")``). Files are written atomically: a temporary file in
the same folder, then :func:`os.replace`.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import tomli_w

from engine.catalog import builtin_dir, check_fields, read_toml
from engine.errors import InputError
from engine.scenario import Efficiency
from engine.userdata import atomic_write, config_dir

#: 2: ``attention_token_ns`` and ``eager_layer_us`` added; ``attention_items`` counts sequences
#: in flight (schema 1 counted sequence x KV-head pairs; such files are read as they are).
PROFILE_SCHEMA = 2
_PROFILE_FIELDS: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, True),
    "compute_efficiency": (float, True),
    "memory_efficiency": (float, True),
    "attention_efficiency": (float, False),
    "attention_token_ns": (float, False),
    "attention_items": (float, False),
    "attention_floor": (float, False),
    "step_overhead_ms": (float, True),
    "seq_overhead_us": (float, False),
    "collective_latency_us": (float, True),
    "eager_layer_us": (float, False),
    "fit": (dict, False),
}


def efficiency_from_dict(data: dict[str, Any], where: str) -> Efficiency:
    d = check_fields(data, _PROFILE_FIELDS, where)
    if d["schema"] > PROFILE_SCHEMA:
        raise InputError(
            f"{where}: schema {d['schema']} is newer than this tokentui reads ({PROFILE_SCHEMA})"
        )
    try:
        return Efficiency(
            compute=float(d["compute_efficiency"]),
            memory=float(d["memory_efficiency"]),
            attention=float(d.get("attention_efficiency", d["memory_efficiency"])),
            attention_token_s=float(d.get("attention_token_ns", 0.0)) * 1e-9,
            attention_items=float(d.get("attention_items", 0.0)),
            attention_floor=float(d.get("attention_floor", 1.0)),
            step_overhead_s=float(d["step_overhead_ms"]) * 1e-3,
            seq_overhead_s=float(d.get("seq_overhead_us", 0.0)) * 1e-6,
            collective_latency_s=float(d["collective_latency_us"]) * 1e-6,
            eager_layer_s=float(d.get("eager_layer_us", 0.0)) * 1e-6,
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def efficiency_to_dict(eff: Efficiency, name: str) -> dict[str, Any]:
    return {
        "schema": PROFILE_SCHEMA,
        "name": name,
        "compute_efficiency": eff.compute,
        "memory_efficiency": eff.memory,
        "attention_efficiency": eff.attention,
        "attention_token_ns": eff.attention_token_s * 1e9,
        "attention_items": eff.attention_items,
        "attention_floor": eff.attention_floor,
        "step_overhead_ms": eff.step_overhead_s * 1e3,
        "seq_overhead_us": eff.seq_overhead_s * 1e6,
        "collective_latency_us": eff.collective_latency_s * 1e6,
        "eager_layer_us": eff.eager_layer_s * 1e6,
    }


def load_profile(path: Path) -> Efficiency:
    return efficiency_from_dict(read_toml(path), str(path))


def default_profile_path() -> Path:
    return builtin_dir() / "calibration" / "default.toml"


@lru_cache(maxsize=1)
def default_efficiency() -> Efficiency:
    """The realistic mode's factors, fitted on the shared measurements (see scripts/)."""
    return load_profile(default_profile_path())


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def profiles_dir() -> Path:
    return config_dir() / "profiles"


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name.endswith(".toml"):
        raise InputError(
            f"invalid profile name {name!r}: use letters, digits, '.', '_' and '-' "
            "(up to 64, starting with a letter or digit, without .toml)"
        )
    return name


def saved_profiles() -> list[str]:
    folder = profiles_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def profile_path(name_or_path: str) -> Path:
    """A saved profile by name ('default' is the built-in one), or a TOML file by path."""
    looks_like_path = "/" in name_or_path or os.sep in name_or_path
    if looks_like_path or name_or_path.endswith(".toml"):
        path = Path(name_or_path).expanduser()
        if not path.is_file():
            raise InputError(f"{path}: no such profile file")
        return path
    saved = profiles_dir() / f"{name_or_path}.toml"
    if saved.is_file():
        return saved
    if name_or_path == "default":
        return default_profile_path()
    names = ", ".join(["default", *saved_profiles()])
    raise InputError(
        f"unknown profile {name_or_path!r} (accepted: {names}, or the path of a .toml file; "
        f"saved profiles live in {profiles_dir()})"
    )


def load_named_profile(name_or_path: str) -> Efficiency:
    return load_profile(profile_path(name_or_path))


def save_profile(
    eff: Efficiency, name: str, fit_info: dict[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Write ``eff`` as profile ``name``; refuses to replace one unless ``overwrite``."""
    check_name(name)
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
