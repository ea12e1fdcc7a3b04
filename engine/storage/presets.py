"""Presets: a whole scenario saved to disk and brought back exactly.

A preset is a resolved :class:`~engine.scenario.scenario.Scenario` plus the chart the app shows, a
name and an optional one-line description. Built-in presets ship in ``presets/scenarios/`` and
cannot be overwritten, deleted or renamed; user presets live in ``<config>/presets/NAME.toml``,
where ``<config>`` is :func:`engine.storage.paths.config_dir` (``$TOKENTUI_HOME`` or the
platform's user config directory). The file name is the preset's name; names follow
:mod:`engine.storage.names`. The file format is :mod:`engine.storage.preset_format`.

A saved preset writes every field, resolved, so that it loads as the identical scenario; a model or
GPU is written by id when it is the built-in catalog's own entry, unchanged, and in full otherwise
(so a file shared with a colleague carries its custom hardware). Reading checks every field; loading
never writes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomli_w

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.physics.specs import GPUSpec, ModelSpec
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import resolve
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog, builtin_catalog, builtin_dir, default_catalog
from engine.storage.files import toml_files
from engine.storage.names import check_name
from engine.storage.paths import atomic_write, config_dir
from engine.storage.preset_format import (
    CHARTS,
    DEFAULT_CHART,
    SCHEMA,
    preset_dict,
    read_preset,
)
from engine.storage.profiles import default_efficiency
from engine.storage.tomlio import read_toml


@dataclass(frozen=True)
class Preset:
    """A named scenario and the chart shown with it. ``builtin`` and ``path`` say where it came
    from (``path`` is None for a preset not yet saved); ``input`` is what the file gave (options
    beside ``--preset`` go on top of it), or the scenario itself in full."""

    name: str
    scenario: Scenario
    chart: str = DEFAULT_CHART
    description: str = ""
    builtin: bool = False
    path: Path | None = None
    given: ScenarioInput | None = None

    def __post_init__(self) -> None:
        if self.chart not in CHARTS:
            raise InputError(f"unknown chart {self.chart!r} (accepted: {', '.join(CHARTS)})")

    @property
    def input(self) -> ScenarioInput:
        return self.given if self.given is not None else ScenarioInput.of(self.scenario)

    @property
    def summary(self) -> str:
        """One line: the description's first line, or what the scenario is."""
        first = self.description.strip().splitlines()[0] if self.description.strip() else ""
        if first:
            return first
        s = self.scenario
        return (
            f"{s.model.name} on {s.gpus} x {s.gpu.name}, "
            f"{s.input_tokens:,} in / {s.output_tokens:,} out"
        )


# ------------------------------------------------------------------------------------ folders


def builtin_presets_dir() -> Path:
    """The built-in presets shipped with the app."""
    return builtin_dir() / "scenarios"


def user_presets_dir() -> Path:
    """``<config>/presets``; ``$TOKENTUI_HOME`` is read at every call."""
    return config_dir() / "presets"


def builtin_names() -> list[str]:
    return [p.stem for p in toml_files(builtin_presets_dir())]


def _user_files() -> list[Path]:
    return toml_files(user_presets_dir())


# ------------------------------------------------------------------------------------ the file


def is_builtin_entry(entry: ModelSpec | GPUSpec) -> bool:
    """True when ``entry`` is the built-in catalog's own entry and its id resolves to it here."""
    kind = "models" if isinstance(entry, ModelSpec) else "gpus"
    builtin: Mapping[str, Any] = getattr(builtin_catalog(), kind)
    current: Mapping[str, Any] = getattr(default_catalog(), kind)
    return bool(builtin.get(entry.id) == entry and current.get(entry.id) == entry)


def preset_to_toml_dict(preset: Preset) -> dict[str, Any]:
    """The preset as plain TOML data (what :func:`preset_from_toml_dict` reads back)."""
    return preset_dict(
        preset.scenario, preset.name, preset.chart, preset.description, is_builtin_entry
    )


def preset_to_toml(preset: Preset) -> str:
    """The text of a preset file."""
    header = (
        f"# tokentui preset (schema {SCHEMA}). Hand-editable; "
        f"'tokentui presets show {preset.name}' checks it.\n"
    )
    return header + tomli_w.dumps(preset_to_toml_dict(preset))


def preset_from_toml_dict(
    data: Mapping[str, Any],
    where: str,
    *,
    name: str | None = None,
    builtin: bool = False,
    path: Path | None = None,
    catalog: Catalog | None = None,
    default_profile: Efficiency | None = None,
) -> Preset:
    """Check and resolve preset data; ``where`` (the file) starts every error message.

    ``name`` overrides the file's ``name`` field (a preset in a presets folder is named by its
    file); ``catalog`` resolves model and GPU ids (default: :func:`default_catalog`);
    ``default_profile`` gives the realistic factors the file does not (default: the built-in).
    """
    catalog = default_catalog() if catalog is None else catalog
    read = read_preset(data, where, catalog)
    try:
        scenario = resolve(
            read.input,
            catalog,
            default_efficiency() if default_profile is None else default_profile,
            read.terms,
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}", field=exc.field) from None
    if name is None:
        name = read.name or (path.stem if path else "unnamed")
    return Preset(
        name=name,
        scenario=scenario,
        chart=read.chart,
        description=read.description,
        builtin=builtin,
        path=path,
        given=read.input,
    )


def load_file(
    path: Path, *, name: str | None = None, builtin: bool = False, catalog: Catalog | None = None
) -> Preset:
    """Read and check one preset file (never writes it)."""
    return preset_from_toml_dict(
        read_toml(path), str(path), name=name, builtin=builtin, path=path, catalog=catalog
    )


# ------------------------------------------------------------------------------------ the store


def _looks_like_path(text: str) -> bool:
    seps = [s for s in ("/", "\\", os.sep, os.altsep) if s]
    return any(s in text for s in seps) or text.lower().endswith(".toml")


def load_preset(name_or_path: str, catalog: Catalog | None = None) -> Preset:
    """A preset by name (built-in first, then the user's), or from a file when the argument is a
    path (it contains a slash or ends in .toml): what ``tokentui --preset`` opens."""
    if _looks_like_path(name_or_path):
        return load_file(Path(name_or_path).expanduser(), catalog=catalog)
    name = check_name(name_or_path)
    path = builtin_presets_dir() / f"{name}.toml"
    if path.is_file():
        return load_file(path, name=name, builtin=True, catalog=catalog)
    path = user_presets_dir() / f"{name}.toml"
    if path.is_file():
        return load_file(path, name=name, catalog=catalog)
    known = [*builtin_names(), *(p.stem for p in _user_files())]
    raise InputError(
        f"unknown preset {name!r} (accepted: {', '.join(known)}; "
        f"or the path of a .toml file, e.g. ./{name}.toml)"
    )


def list_presets(catalog: Catalog | None = None) -> tuple[list[Preset], list[str]]:
    """All presets, built-in first then the user's, each group by name; and one message per file
    that could not be read (a bad file never hides the good ones)."""
    presets: list[Preset] = []
    errors: list[str] = []
    builtin = builtin_names()
    for name in builtin:
        try:
            presets.append(
                load_file(
                    builtin_presets_dir() / f"{name}.toml", name=name, builtin=True, catalog=catalog
                )
            )
        except InputError as exc:
            errors.append(str(exc))
    try:
        files = _user_files()
    except InputError as exc:
        return presets, [*errors, str(exc)]
    for path in files:
        try:
            check_name(path.stem)
        except InputError as exc:
            errors.append(f"{path}: the file name is not a preset name ({exc}); rename the file")
            continue
        if path.stem in builtin:
            errors.append(
                f"{path}: has the name of a built-in preset, which takes precedence; "
                f"rename the file"
            )
            continue
        try:
            presets.append(load_file(path, name=path.stem, catalog=catalog))
        except InputError as exc:
            errors.append(str(exc))
    return presets, errors


def _refuse_builtin(name: str, action: str) -> None:
    if name in builtin_names():
        raise InputError(f"{name!r} is a built-in preset and cannot be {action}")


def save_preset(preset: Preset, name: str | None = None, *, overwrite: bool = False) -> Preset:
    """Save ``preset`` as a user preset named ``name`` (default: its own), atomically; returns it
    as saved. Refuses a bad name, a built-in's name, and an existing preset unless ``overwrite``."""
    name = check_name(preset.name if name is None else name)
    if name in builtin_names():
        raise InputError(
            f"{name!r} is a built-in preset and cannot be overwritten; choose another name"
        )
    path = user_presets_dir() / f"{name}.toml"
    if path.exists() and not overwrite:
        raise InputError(
            f"a preset named {name!r} already exists ({path}); choose another name or overwrite it"
        )
    saved = replace(preset, name=name, builtin=False, path=path)
    atomic_write(path, preset_to_toml(saved).encode("utf-8"), overwrite=overwrite)
    return saved


def _user_path(name: str) -> Path:
    path = user_presets_dir() / f"{name}.toml"
    if not path.is_file():
        users = ", ".join(p.stem for p in _user_files()) or "none yet"
        raise InputError(f"no user preset named {name!r} (user presets: {users})")
    return path


def delete_preset(name: str) -> Path:
    """Delete a user preset (a bad file too); returns the path deleted."""
    name = check_name(name)
    _refuse_builtin(name, "deleted")
    path = _user_path(name)
    try:
        path.unlink()
    except OSError as exc:
        raise InputError(f"{path}: cannot be deleted ({exc})") from None
    return path


def rename_preset(old: str, new: str) -> Path:
    """Rename a user preset: the file moves, unchanged. Refuses built-in names on either side and
    an existing ``new``. Returns the new path."""
    old, new = check_name(old), check_name(new)
    _refuse_builtin(old, "renamed (save a copy under another name instead)")
    if new in builtin_names():
        raise InputError(f"{new!r} is the name of a built-in preset; choose another name")
    src = _user_path(old)
    dst = user_presets_dir() / f"{new}.toml"
    if new == old:
        return src
    if dst.exists():
        raise InputError(f"a preset named {new!r} already exists ({dst}); choose another name")
    try:
        os.rename(src, dst)
    except OSError as exc:
        raise InputError(f"{src}: cannot be renamed to {dst.name} ({exc})") from None
    return dst
