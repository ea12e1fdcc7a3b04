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
from pathlib import Path
from typing import Any

import tomli_w

from engine.calibration import default_profile_path, efficiency_to_dict, load_profile
from engine.errors import InputError
from engine.scenario import Efficiency
from engine.userdata import atomic_write, config_dir

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
