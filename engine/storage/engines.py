"""Engine profiles as files: ``presets/engines/NAME.toml`` (and the user's ``engines/``).

The format::

    schema = 1
    name = "trtllm"
    title = "TensorRT-LLM 0.17 (trtllm-bench, C++ runtime)"
    notes = "..."                       # optional, one paragraph

    [settings]                          # EngineSettings fields, as a preset's [engine] (SI units)
    max_num_seqs = 2048
    chunked_prefill = true

    [sources]                           # optional: setting -> where in the engine it is set
    max_num_seqs = "tensorrt_llm/bench/build/build.py @ v0.17"

    [efficiency]                        # optional: factors, as a calibration profile names them
    compute_efficiency = 0.61           # (shown units: step_overhead_ms ...); the rest are the
    step_overhead_ms = 0.9              # default profile's

    [fit]                               # optional: written by scripts/fit_engines.py
    data = "..."                        # (and scripts/fit_llamacpp.py)
    fitted = ["compute_efficiency", "step_overhead_ms"]
    held = ["seq_overhead_us"]          # set here, not fitted
    objective = "..."
    [fit.median_error_pct]              # and held_out_median_error_pct: name -> % error

Every field is checked; a bad file is an :class:`InputError` naming the file and the field, kept
in the catalog's ``errors`` so that it never hides the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.scenario.engines import EngineProfile
from engine.scenario.factors import FACTOR_BY_KEY, FACTORS, SETTING_BY_FIELD, SETTINGS
from engine.storage.names import check_name
from engine.storage.tomlio import check_fields, check_finite, check_text, read_toml

ENGINE_SCHEMA = 1
_FIELDS: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, True),
    "title": (str, True),
    "notes": (str, False),
    "settings": (dict, False),
    "sources": (dict, False),
    "efficiency": (dict, False),
    "fit": (dict, False),
}
_SETTING_TYPES: dict[str, type] = {
    k.field: bool if k.boolean else int if k.integer else float for k in SETTINGS
}
_FACTOR_FIELDS: dict[str, tuple[type, bool]] = {k.key: (float, False) for k in FACTORS}
_FIT_FIELDS: dict[str, tuple[type, bool]] = {
    "script": (str, False),
    "data": (str, True),
    "fitted": (list, True),
    "median_error_pct": (dict, False),
    "held": (list, False),  # factors set by the profile but not fitted
    "objective": (str, False),  # what the fit minimised
    "held_out_median_error_pct": (dict, False),  # rows the fit never saw
}


def engine_from_dict(data: dict[str, Any], where: str) -> EngineProfile:
    d = check_fields(data, _FIELDS, where)
    check_text(d["title"], f"{where}: field 'title'")
    check_text(d.get("notes", ""), f"{where}: field 'notes'")
    check_finite(d, "", where)
    if d["schema"] > ENGINE_SCHEMA:
        raise InputError(
            f"{where}: schema {d['schema']} is newer than this tokentui reads ({ENGINE_SCHEMA})"
        )
    try:
        check_name(d["name"], "engine name")
    except InputError as exc:
        raise InputError(f"{where}: field 'name': {exc}") from None
    types = {k: (t, False) for k, t in _SETTING_TYPES.items()}
    raw = check_fields(d.get("settings", {}), types, f"{where}: [settings]")
    settings = {
        k: SETTING_BY_FIELD[k].check(v, f"{where}: [settings]: field {k!r}", si_units=True)
        for k, v in raw.items()
    }
    settings = {k: bool(v) if _SETTING_TYPES[k] is bool else v for k, v in settings.items()}
    sources = d.get("sources", {})
    bad = next((k for k, v in sources.items() if not isinstance(v, str)), None)
    if bad is not None:
        raise InputError(f"{where}: [sources]: field {bad!r} must be a string")
    for key, value in sources.items():
        check_text(key, f"{where}: [sources]: a key")
        check_text(value, f"{where}: [sources]: field {key!r}")
    eff = check_fields(d.get("efficiency", {}), _FACTOR_FIELDS, f"{where}: [efficiency]")
    factors = {}
    for key, value in eff.items():
        knob = FACTOR_BY_KEY[key]
        factors[knob.field] = float(
            knob.check(knob.to_si(float(value)), f"{where}: [efficiency]: field {key!r}")
        )
    fit = check_fields(d.get("fit", {"data": "", "fitted": []}), _FIT_FIELDS, f"{where}: [fit]")
    fitted = tuple(str(k) for k in fit["fitted"])
    unknown = next((k for k in fitted if k not in FACTOR_BY_KEY), None)
    if unknown is not None:
        raise InputError(f"{where}: [fit]: field 'fitted' names no factor {unknown!r}")
    return EngineProfile(
        name=d["name"],
        title=d["title"],
        settings=settings,
        factors=factors,
        sources=dict(sources),
        fitted=fitted,
        fitted_on=fit["data"],
        notes=d.get("notes", ""),
    )


def load_engine(path: Path) -> EngineProfile:
    profile = engine_from_dict(read_toml(path), str(path))
    if profile.name != path.stem:
        raise InputError(f"{path}: field 'name' is {profile.name!r}, the file is {path.stem!r}")
    return profile
