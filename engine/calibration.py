"""Efficiency profiles: the realistic model's factors, stored as TOML."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.catalog import builtin_dir, check_fields, read_toml
from engine.errors import InputError
from engine.scenario import Efficiency

PROFILE_SCHEMA = 1
_PROFILE_FIELDS: dict[str, tuple[type, bool]] = {
    "schema": (int, True),
    "name": (str, True),
    "compute_efficiency": (float, True),
    "memory_efficiency": (float, True),
    "step_overhead_ms": (float, True),
    "seq_overhead_us": (float, False),
    "collective_latency_us": (float, True),
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
            step_overhead_s=float(d["step_overhead_ms"]) * 1e-3,
            seq_overhead_s=float(d.get("seq_overhead_us", 0.0)) * 1e-6,
            collective_latency_s=float(d["collective_latency_us"]) * 1e-6,
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def efficiency_to_dict(eff: Efficiency, name: str) -> dict[str, Any]:
    return {
        "schema": PROFILE_SCHEMA,
        "name": name,
        "compute_efficiency": eff.compute,
        "memory_efficiency": eff.memory,
        "step_overhead_ms": eff.step_overhead_s * 1e3,
        "seq_overhead_us": eff.seq_overhead_s * 1e6,
        "collective_latency_us": eff.collective_latency_s * 1e6,
    }


def load_profile(path: Path) -> Efficiency:
    return efficiency_from_dict(read_toml(path), str(path))


def default_profile_path() -> Path:
    return builtin_dir() / "calibration" / "default.toml"


@lru_cache(maxsize=1)
def default_efficiency() -> Efficiency:
    """The realistic mode's factors, fitted on the shared measurements (see scripts/)."""
    return load_profile(default_profile_path())
