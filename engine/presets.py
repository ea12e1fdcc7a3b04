"""Presets: a whole scenario saved to disk as TOML and brought back exactly.

A preset is a resolved :class:`~engine.scenario.Scenario` plus the chart the app shows, a name and
an optional one-line description. Built-in presets ship in ``presets/scenarios/`` and cannot be
overwritten, deleted or renamed; user presets live in ``<config>/presets/NAME.toml``, where
``<config>`` is :func:`engine.userdata.config_dir` (``$TOKENTUI_HOME`` or the platform's user
config directory). The file name is the preset's name.

The file (schema 1), hand-editable::

    schema = 1
    name = "my-setup"
    description = "70B on 8 H100s"     # optional, one line
    chart = "throughput"               # optional: one of CHARTS

    [model]                            # a catalog id ...
    id = "llama-3.3-70b"

    [gpu]                              # ... or a full definition, as in presets/gpus/*.toml
    id = "my-gpu"
    name = "My GPU"
    ...

    [hardware]
    gpus = 8
    tp = 8                             # optional: default gpus

    [workload]
    input_tokens = 2035
    output_tokens = 300
    batch_sizes = [1, 8, 64]           # optional: default 1, 2, 4 ... 512

    [options]                          # every field optional (the mode's, model's, GPU's default)
    mode = "realistic"
    flop_count = "flash"
    weight_dtype = "bf16"
    kv_dtype = "bf16"
    price_per_gpu_hour = 2.5
    gamma = 0.3

    [efficiency]                       # optional, any subset of Efficiency's fields (SI units);
    compute = 0.47                     # the rest are the mode's defaults
    step_overhead_s = 0.0012

    [serving]                          # optional, any subset of Serving's fields
    memory_utilization = 0.9

A saved preset writes every field, resolved, so that it loads as the identical scenario; a model or
GPU is written by id when it is the built-in catalog's own entry, unchanged, and in full otherwise
(so a file shared with a colleague carries its custom hardware). Reading checks every field: a
malformed file, a wrong type, a missing field, an unknown key or a newer schema raises
:class:`InputError` naming the file, the field and the reason. Loading never writes.

API (for the CLI and the app): :class:`Preset`; :func:`load_preset` (a name or a path: what
``--preset`` opens); :func:`list_presets` (presets and the errors of bad files);
:func:`save_preset`, :func:`delete_preset`, :func:`rename_preset`; :func:`check_name` (refuse
with a reason) and :func:`safe_name` (make a file name to show before saving);
:func:`preset_to_toml` / :func:`preset_from_toml_dict` (the file format).
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, TypeVar

import tomli_w

from engine.arch import FLOP_COUNTS, check_tp
from engine.catalog import (
    Catalog,
    builtin_catalog,
    builtin_dir,
    check_fields,
    default_catalog,
    gpu_from_dict,
    gpu_to_dict,
    model_from_dict,
    model_to_dict,
    read_toml,
)
from engine.errors import InputError
from engine.profiles import default_efficiency
from engine.scenario import (
    DEFAULT_BATCHES,
    IDEAL,
    MAX_BATCH,
    MAX_GPUS,
    MAX_TOKENS,
    MODES,
    Efficiency,
    Scenario,
    Serving,
    make_scenario,
)
from engine.specs import KV_DTYPES, WEIGHT_DTYPES, GPUSpec, ModelSpec
from engine.userdata import atomic_write, config_dir

SCHEMA = 1
#: The charts the app can show; a preset remembers which one was on screen.
CHARTS: tuple[str, ...] = ("throughput", "bottlenecks", "cost", "context", "boundness", "roofline")
DEFAULT_CHART = "throughput"
MAX_NAME_LENGTH = 64

_TOP_FIELDS: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, False),
    "description": (str, False),
    "chart": (str, False),
    "model": (dict, True),
    "gpu": (dict, True),
    "hardware": (dict, True),
    "workload": (dict, True),
    "options": (dict, False),
    "efficiency": (dict, False),
    "serving": (dict, False),
}
_HARDWARE_FIELDS: dict[str, tuple[type, bool]] = {"gpus": (int, True), "tp": (int, False)}
_WORKLOAD_FIELDS: dict[str, tuple[type, bool]] = {
    "input_tokens": (int, True),
    "output_tokens": (int, True),
    "batch_sizes": (list, False),
}
_OPTION_FIELDS: dict[str, tuple[type, bool]] = {
    "mode": (str, False),
    "flop_count": (str, False),
    "weight_dtype": (str, False),
    "kv_dtype": (str, False),
    "price_per_gpu_hour": (float, False),
    "gamma": (float, False),
}
_EFFICIENCY_FIELDS: dict[str, tuple[type, bool]] = {
    f.name: (float, False) for f in fields(Efficiency)
}
_SERVING_TYPES: dict[str, type] = {
    "memory_utilization": float,
    "max_num_seqs": int,
    "max_batched_tokens": int,
    "block_size": int,
    "runtime_reserve_gib": float,
    "graph_max_context": int,
}
_SERVING_FIELDS: dict[str, tuple[type, bool]] = {k: (t, False) for k, t in _SERVING_TYPES.items()}

_NAME_RE = re.compile(r"[a-z0-9._-]+")
#: Device names Windows refuses as file names, with or without an extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


@dataclass(frozen=True)
class Preset:
    """A named scenario and the chart shown with it. ``builtin`` and ``path`` say where it came
    from (``path`` is None for a preset not yet saved)."""

    name: str
    scenario: Scenario
    chart: str = DEFAULT_CHART
    description: str = ""
    builtin: bool = False
    path: Path | None = None

    def __post_init__(self) -> None:
        if self.chart not in CHARTS:
            raise InputError(f"unknown chart {self.chart!r} (accepted: {', '.join(CHARTS)})")

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


# ------------------------------------------------------------------------------------ names


def check_name(name: object, what: str = "preset name") -> str:
    """``name`` if it is a safe file name, else :class:`InputError` with the reason.

    Accepted: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit, not ending with
    '.', not ending in '.toml' and not a Windows device name (con, nul, com1 ...).
    """
    if not isinstance(name, str):
        raise InputError(f"a {what} must be a string, got {name!r}")
    if not name.strip():
        raise InputError(f"a {what} must not be empty")
    control = next((c for c in name if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if control is not None:
        raise InputError(f"{what} {name!r} contains the control character U+{ord(control):04X}")
    if "/" in name or "\\" in name:
        raise InputError(
            f"{what} {name!r} must not contain a slash (it names a file in the presets folder; "
            f"to load a file elsewhere, give its path ending in .toml)"
        )
    if name in (".", ".."):
        raise InputError(f"{what} {name!r} is a path component, not a name")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"{what} {name[:20]!r}... is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
        )
    if name.lower().endswith(".toml"):
        raise InputError(
            f"{what} {name!r} must not end in .toml (a name, not a file; "
            f"e.g. {name[:-5]!r}, or give a path such as ./{name} to load that file)"
        )
    if not _NAME_RE.fullmatch(name):
        raise InputError(
            f"{what} {name!r} may contain only lowercase letters a-z, digits, '.', '_' and '-'"
            + _suggest(name, what)
        )
    if name[0] in "._-":
        raise InputError(
            f"{what} {name!r} must start with a letter or a digit" + _suggest(name, what)
        )
    if name.endswith("."):
        raise InputError(f"{what} {name!r} must not end with '.'" + _suggest(name, what))
    if name.split(".")[0] in _RESERVED:
        raise InputError(f"{what} {name!r} is a reserved device name on Windows")
    return name


def _suggest(name: str, what: str) -> str:
    try:
        return f" (e.g. {safe_name(name, what)!r})"
    except InputError:
        return ""


def safe_name(text: str, what: str = "preset name") -> str:
    """A safe file name made from any text ("Llama 70B / 4x H100" -> "llama-70b-4x-h100"), to
    show before saving. :class:`InputError` when the text has no letter or digit to keep."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9._-]+", "-", s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"-{2,}", "-", s)
    s = s.strip("._-")
    if s.endswith(".toml"):
        s = s[: -len(".toml")].rstrip("._-")
    s = s[:MAX_NAME_LENGTH].rstrip("._-")
    if not s:
        raise InputError(
            f"cannot make a {what} from {text!r}: it has no letter or digit "
            f"(use a-z, 0-9, '.', '_' and '-')"
        )
    if s.split(".")[0] in _RESERVED:
        s = f"{s[: MAX_NAME_LENGTH - 2]}-1"
    return check_name(s, what)


# ------------------------------------------------------------------------------------ folders


def builtin_presets_dir() -> Path:
    """The built-in presets shipped with the app."""
    return builtin_dir() / "scenarios"


def user_presets_dir() -> Path:
    """``<config>/presets``; ``$TOKENTUI_HOME`` is read at every call."""
    return config_dir() / "presets"


def builtin_names() -> list[str]:
    folder = builtin_presets_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def _user_files() -> list[Path]:
    folder = user_presets_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))


# ------------------------------------------------------------------------------------ to TOML


def is_builtin_entry(entry: ModelSpec | GPUSpec) -> bool:
    """True when ``entry`` is the built-in catalog's own entry and its id resolves to it here."""
    kind = "models" if isinstance(entry, ModelSpec) else "gpus"
    builtin: Mapping[str, Any] = getattr(builtin_catalog(), kind)
    current: Mapping[str, Any] = getattr(default_catalog(), kind)
    return bool(builtin.get(entry.id) == entry and current.get(entry.id) == entry)


def preset_to_toml_dict(preset: Preset) -> dict[str, Any]:
    """The preset as plain TOML data (what :func:`preset_from_toml_dict` reads back)."""
    s = preset.scenario
    out: dict[str, Any] = {"schema": SCHEMA, "name": preset.name}
    if preset.description:
        out["description"] = preset.description
    out["chart"] = preset.chart
    out["model"] = {"id": s.model.id} if is_builtin_entry(s.model) else model_to_dict(s.model)
    out["gpu"] = {"id": s.gpu.id} if is_builtin_entry(s.gpu) else gpu_to_dict(s.gpu)
    out["hardware"] = {"gpus": int(s.gpus), "tp": int(s.tp)}
    out["workload"] = {
        "input_tokens": int(s.input_tokens),
        "output_tokens": int(s.output_tokens),
        "batch_sizes": [int(b) for b in s.batch_sizes],
    }
    out["options"] = {
        "mode": s.mode,
        "flop_count": s.flop_count,
        "weight_dtype": s.weight_dtype,
        "kv_dtype": s.kv_dtype,
        "price_per_gpu_hour": float(s.price_per_gpu_hour),
        "gamma": float(s.gamma),
    }
    out["efficiency"] = {f.name: float(getattr(s.efficiency, f.name)) for f in fields(Efficiency)}
    out["serving"] = {k: t(getattr(s.serving, k)) for k, t in _SERVING_TYPES.items()}
    return out


def preset_to_toml(preset: Preset) -> str:
    """The text of a preset file."""
    header = (
        f"# tokentui preset (schema {SCHEMA}). Hand-editable; "
        f"'tokentui presets show {preset.name}' checks it.\n"
    )
    return header + tomli_w.dumps(preset_to_toml_dict(preset))


# ------------------------------------------------------------------------------------ from TOML


def _finite(value: Any, key: str, where: str) -> None:
    """TOML allows inf and nan; no field of a preset does."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{where}: field {key!r} must be a finite number, got {value}")
    if isinstance(value, dict):
        for k, v in value.items():
            _finite(v, f"{key}.{k}" if key else k, where)
    elif isinstance(value, list):
        for v in value:
            _finite(v, key, where)


def _num(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def _in_range(value: int | float, low: float, high: float, key: str, where: str) -> None:
    if not low <= value <= high:
        raise InputError(
            f"{where}: field {key!r} must be from {_num(low)} to {_num(high)}, got {value!r}"
        )


def _one_of(value: str, accepted: tuple[str, ...], key: str, where: str) -> None:
    if value not in accepted:
        raise InputError(
            f"{where}: field {key!r} is {value!r}, not one of the accepted: {', '.join(accepted)}"
        )


_Entry = TypeVar("_Entry", ModelSpec, GPUSpec)
_EITHER = " (the table holds either a catalog id alone, or a full definition as in the catalog)"


def _entry(
    table: dict[str, Any],
    where: str,
    by_id: Callable[[str], _Entry],
    from_dict: Callable[[dict[str, Any], str], _Entry],
) -> _Entry:
    """A ``[model]`` or ``[gpu]`` table: a catalog id alone, or a full definition."""
    if set(table) == {"id"}:
        if not isinstance(table["id"], str):
            raise InputError(f"{where}: field 'id' must be a string, got {table['id']!r}")
        try:
            return by_id(table["id"])
        except InputError as exc:
            raise InputError(f"{where}: field 'id': {exc}") from None
    try:
        return from_dict(table, where)
    except InputError as exc:
        raise InputError(f"{exc}{_EITHER}") from None


def _model(table: dict[str, Any], where: str, catalog: Catalog) -> ModelSpec:
    return _entry(table, f"{where}: [model]", catalog.model, model_from_dict)


def _gpu(table: dict[str, Any], where: str, catalog: Catalog) -> GPUSpec:
    return _entry(table, f"{where}: [gpu]", catalog.gpu, gpu_from_dict)


def preset_from_toml_dict(
    data: Mapping[str, Any],
    where: str,
    *,
    name: str | None = None,
    builtin: bool = False,
    path: Path | None = None,
    catalog: Catalog | None = None,
) -> Preset:
    """Check and resolve preset data; ``where`` (the file) starts every error message.

    ``name`` overrides the file's ``name`` field (a preset in a presets folder is named by its
    file); ``catalog`` resolves model and GPU ids (default: :func:`default_catalog`).
    """
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: a preset must be a TOML table, got {type(data).__name__}")
    schema = data.get("schema")
    if isinstance(schema, int) and not isinstance(schema, bool) and schema > SCHEMA:
        raise InputError(
            f"{where}: field 'schema' is {schema}, newer than this tokentui reads ({SCHEMA}); "
            f"update tokentui to open it"
        )
    d = check_fields(data, _TOP_FIELDS, where)
    if d["schema"] < 1:
        raise InputError(f"{where}: field 'schema' must be {SCHEMA}, got {d['schema']}")
    _finite(dict(d), "", where)
    if catalog is None:
        catalog = default_catalog()

    chart = d.get("chart", DEFAULT_CHART)
    _one_of(chart, CHARTS, "chart", where)
    model = _model(d["model"], where, catalog)
    gpu = _gpu(d["gpu"], where, catalog)

    w = f"{where}: [hardware]"
    hw = check_fields(d["hardware"], _HARDWARE_FIELDS, w)
    _in_range(hw["gpus"], 1, MAX_GPUS, "gpus", w)
    if "tp" in hw:
        _in_range(hw["tp"], 1, MAX_GPUS, "tp", w)

    w = f"{where}: [workload]"
    wl = check_fields(d["workload"], _WORKLOAD_FIELDS, w)
    _in_range(wl["input_tokens"], 1, MAX_TOKENS, "input_tokens", w)
    _in_range(wl["output_tokens"], 1, MAX_TOKENS, "output_tokens", w)
    batches = wl.get("batch_sizes", list(DEFAULT_BATCHES))
    if not batches or not all(isinstance(b, int) and not isinstance(b, bool) for b in batches):
        raise InputError(
            f"{w}: field 'batch_sizes' must be a non-empty list of whole numbers, got {batches!r}"
        )
    for b in batches:
        _in_range(b, 1, MAX_BATCH, "batch_sizes", w)

    w = f"{where}: [options]"
    opt = check_fields(d.get("options", {}), _OPTION_FIELDS, w)
    mode = opt.get("mode", "realistic")
    _one_of(mode, MODES, "mode", w)
    for key, accepted in (
        ("flop_count", FLOP_COUNTS),
        ("weight_dtype", WEIGHT_DTYPES),
        ("kv_dtype", KV_DTYPES),
    ):
        if key in opt:
            _one_of(opt[key], accepted, key, w)
    if "price_per_gpu_hour" in opt:
        _in_range(opt["price_per_gpu_hour"], 0, 1e6, "price_per_gpu_hour", w)
    if "gamma" in opt:
        _in_range(opt["gamma"], 0, 1e3, "gamma", w)

    w = f"{where}: [efficiency]"
    given = check_fields(d.get("efficiency", {}), _EFFICIENCY_FIELDS, w)
    base = IDEAL if mode == "ideal" else default_efficiency()
    try:
        efficiency = replace(base, **{k: float(v) for k, v in given.items()})
    except InputError as exc:
        raise InputError(f"{w}: {exc}") from None

    w = f"{where}: [serving]"
    sv = check_fields(d.get("serving", {}), _SERVING_FIELDS, w)
    try:
        serving = Serving(**{k: _SERVING_TYPES[k](v) for k, v in sv.items()})
    except InputError as exc:
        raise InputError(f"{w}: {exc}") from None

    # the checks that join fields, named here (make_scenario makes them again)
    gpus, tp = hw["gpus"], hw.get("tp", hw["gpus"])
    w = f"{where}: [hardware]"
    if gpus % tp:
        raise InputError(
            f"{w}: field 'tp': {gpus} GPUs cannot be split into tensor-parallel groups of {tp} "
            f"(gpus must be a multiple of tp)"
        )
    try:
        check_tp(model, tp)
    except InputError as exc:
        raise InputError(f"{w}: field 'tp': {exc}") from None
    context = wl["input_tokens"] + wl["output_tokens"]
    if context > model.max_context:
        raise InputError(
            f"{where}: [workload]: fields 'input_tokens' + 'output_tokens' ({context:,}) exceed "
            f"the {model.max_context:,}-token context of {model.id}"
        )
    try:
        scenario = make_scenario(
            model,
            gpu,
            gpus=hw["gpus"],
            tp=hw.get("tp"),
            input_tokens=wl["input_tokens"],
            output_tokens=wl["output_tokens"],
            batch_sizes=batches,
            mode=mode,
            efficiency=efficiency,
            flop_count=opt.get("flop_count"),
            weight_dtype=opt.get("weight_dtype"),
            kv_dtype=opt.get("kv_dtype", "bf16"),
            price_per_gpu_hour=opt.get("price_per_gpu_hour"),
            gamma=opt.get("gamma", 0.3),
            serving=serving,
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    if name is None:
        name = d.get("name") or (path.stem if path else "unnamed")
    return Preset(
        name=name,
        scenario=scenario,
        chart=chart,
        description=d.get("description", ""),
        builtin=builtin,
        path=path,
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
    except OSError as exc:
        return presets, [*errors, f"{user_presets_dir()}: cannot be read ({exc})"]
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
