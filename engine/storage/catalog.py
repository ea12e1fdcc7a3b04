"""The catalog of models and GPUs: TOML files, one per entry, under ``presets/models`` and
``presets/gpus`` (shipped with the app). Adding an entry is dropping a file.

Every file is checked field by field; a bad file raises :class:`InputError` naming the file, the
field and the reason. :func:`load_catalog` collects such errors instead of failing, so that one bad
file never hides the good ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InputError
from engine.physics.specs import GIB, PEAK_PRECISIONS, GPUSpec, Interconnect, ModelSpec
from engine.scenario.engines import VLLM_V0, EngineProfile
from engine.storage.catalog_cache import cached
from engine.storage.engines import load_engine
from engine.storage.files import toml_files
from engine.storage.paths import config_dir
from engine.storage.tomlio import check_fields, check_range, check_text, check_type, read_toml

# field name -> (type, required); int fields refuse bools and floats.
_MODEL_FIELDS: dict[str, tuple[type, bool]] = {
    "id": (str, True),
    "name": (str, True),
    "family": (str, False),
    "hidden_size": (int, True),
    "num_layers": (int, True),
    "num_attention_heads": (int, True),
    "num_key_value_heads": (int, True),
    "head_dim": (int, False),
    "intermediate_size": (int, True),
    "vocab_size": (int, True),
    "tie_word_embeddings": (bool, True),
    "max_context": (int, True),
    "attention_bias": (bool, False),
    "dtype": (str, False),
    "num_experts": (int, False),
    "experts_per_token": (int, False),
    "moe_intermediate_size": (int, False),
    "shared_expert_size": (int, False),
    "dense_layers": (int, False),
    "router_bias": (bool, False),
    "mlp_bias": (bool, False),
    "kv_lora_rank": (int, False),
    "q_lora_rank": (int, False),
    "qk_rope_head_dim": (int, False),
    "v_head_dim": (int, False),
    "aliases": (list, False),
    "source": (str, True),
}
_GPU_FIELDS: dict[str, tuple[type, bool]] = {
    "id": (str, True),
    "name": (str, True),
    "vendor": (str, False),
    "memory_gib": (float, True),
    "max_memory_fraction": (float, False),
    "memory_bandwidth_gbps": (float, True),
    "price_per_hour": (float, True),
    "peak_tflops": (dict, True),
    "interconnect": (dict, True),
    "aliases": (list, False),
    "source": (str, True),
}
_INTERCONNECT_FIELDS: dict[str, tuple[type, bool]] = {
    "kind": (str, True),
    "bandwidth_gbps": (float, True),
    "latency_us": (float, True),
    "max_gpus": (int, True),
}
#: The physical range of each number of a GPU file, in its units: (low, high, low excluded). The
#: largest GPUs made hold 512 GiB, read 8 TB/s, peak at 10 PFLOP/s (dense fp4) and link 72 GPUs
#: at 900 GB/s; the bounds are three orders of magnitude beyond, so that they refuse only a typo
#: or a hostile file (an infinite memory, 10**400 GB/s), never a real part.
_GPU_RANGES: dict[str, tuple[float, float, bool]] = {
    "memory_gib": (0, 1e6, True),
    "memory_bandwidth_gbps": (0, 1e7, True),
    "price_per_hour": (0, 1e6, False),
    "max_memory_fraction": (0, 1, True),
    "peak_tflops": (0, 1e7, True),
    "interconnect.bandwidth_gbps": (0, 1e7, True),
    "interconnect.latency_us": (0, 1e6, False),
    "interconnect.max_gpus": (1, 1e6, False),
}
#: The most any size of a model file can be (hidden, layers, heads, vocabulary, experts ...):
#: 2**24, a hundred times the largest real one; the context 2**30 tokens (real: 10 million).
_MAX_MODEL_SIZE = 2**24
_MAX_CONTEXT = 2**30


#: Architecture fields a model file may give (0 or false when it does not): MoE and MLA details.
_OPTIONAL_ARCH = (
    "shared_expert_size",
    "dense_layers",
    "router_bias",
    "mlp_bias",
    "kv_lora_rank",
    "q_lora_rank",
    "qk_rope_head_dim",
    "v_head_dim",
)


def _aliases(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    aliases = data.get("aliases", [])
    if not all(isinstance(a, str) and a for a in aliases):
        raise InputError(f"{where}: field 'aliases' must be a list of non-empty strings")
    return tuple(aliases)


def _check_texts(d: Mapping[str, Any], where: str) -> None:
    """No control character in any text of an entry (its id, name, link kind, aliases ...)."""
    for key, value in d.items():
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str):
                check_text(text, f"{where}: field {key!r}")


def _check_model_sizes(d: Mapping[str, Any], where: str) -> None:
    for key, value in d.items():
        if _MODEL_FIELDS[key][0] is int:
            high = _MAX_CONTEXT if key == "max_context" else _MAX_MODEL_SIZE
            check_range(value, key, where, 0, high, low_open=False)


def model_from_dict(data: Mapping[str, Any], where: str = "model") -> ModelSpec:
    d = check_fields(data, _MODEL_FIELDS, where)
    _check_texts(d, where)
    _check_model_sizes(d, where)
    head_dim = d.get("head_dim", 0)
    if not head_dim:
        if d["hidden_size"] % d["num_attention_heads"]:
            raise InputError(
                f"{where}: missing field 'head_dim' (hidden_size / heads is not whole)"
            )
        head_dim = d["hidden_size"] // d["num_attention_heads"]
    try:
        return ModelSpec(
            id=d["id"],
            name=d["name"],
            family=d.get("family", "llama"),
            hidden_size=d["hidden_size"],
            num_layers=d["num_layers"],
            num_attention_heads=d["num_attention_heads"],
            num_key_value_heads=d["num_key_value_heads"],
            head_dim=head_dim,
            intermediate_size=d["intermediate_size"],
            vocab_size=d["vocab_size"],
            tie_word_embeddings=d["tie_word_embeddings"],
            max_context=d["max_context"],
            attention_bias=d.get("attention_bias", False),
            dtype=d.get("dtype", "bf16"),
            num_experts=d.get("num_experts", 1),
            experts_per_token=d.get("experts_per_token", 1),
            moe_intermediate_size=d.get("moe_intermediate_size", 0),
            **{k: d[k] for k in _OPTIONAL_ARCH if k in d},
            aliases=_aliases(d, where),
            source=d["source"],
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def model_to_dict(model: ModelSpec) -> dict[str, Any]:
    """The TOML form of a model (what :func:`model_from_dict` reads back)."""
    out: dict[str, Any] = {
        "id": model.id,
        "name": model.name,
        "family": model.family,
        "hidden_size": model.hidden_size,
        "num_layers": model.num_layers,
        "num_attention_heads": model.num_attention_heads,
        "num_key_value_heads": model.num_key_value_heads,
        "head_dim": model.head_dim,
        "intermediate_size": model.intermediate_size,
        "vocab_size": model.vocab_size,
        "tie_word_embeddings": model.tie_word_embeddings,
        "max_context": model.max_context,
        "attention_bias": model.attention_bias,
        "dtype": model.dtype,
    }
    if model.is_moe:
        out["num_experts"] = model.num_experts
        out["experts_per_token"] = model.experts_per_token
        if model.moe_intermediate_size:
            out["moe_intermediate_size"] = model.moe_intermediate_size
    for key in _OPTIONAL_ARCH:
        if getattr(model, key):
            out[key] = getattr(model, key)
    if model.aliases:
        out["aliases"] = list(model.aliases)
    out["source"] = model.source
    return out


def _check_gpu_numbers(d: Mapping[str, Any], where: str) -> None:
    numbers = {k: v for k, v in d.items() if not isinstance(v, dict)}
    numbers.update({f"interconnect.{k}": v for k, v in d["interconnect"].items()})
    numbers.update({f"peak_tflops.{k}": v for k, v in d["peak_tflops"].items()})
    for key, value in numbers.items():
        bounds = _GPU_RANGES.get(key) or _GPU_RANGES.get(key.split(".")[0])
        if bounds is not None:
            check_range(value, key, where, bounds[0], bounds[1], low_open=bounds[2])


def gpu_from_dict(data: Mapping[str, Any], where: str = "gpu") -> GPUSpec:
    d = check_fields(data, _GPU_FIELDS, where)
    link = check_fields(d["interconnect"], _INTERCONNECT_FIELDS, f"{where}: [interconnect]")
    peaks = d["peak_tflops"]
    for precision, value in peaks.items():
        if precision not in PEAK_PRECISIONS:
            raise InputError(
                f"{where}: unknown field 'peak_tflops.{precision}' "
                f"(accepted: {', '.join(PEAK_PRECISIONS)})"
            )
        if not check_type(value, float):
            raise InputError(f"{where}: field 'peak_tflops.{precision}' must be a number")
    _check_texts({**d, **{f"interconnect.{k}": v for k, v in link.items()}}, where)
    _check_gpu_numbers(d, where)
    try:
        return GPUSpec(
            id=d["id"],
            name=d["name"],
            vendor=d.get("vendor", ""),
            memory_bytes=float(d["memory_gib"]) * GIB,
            memory_bandwidth=float(d["memory_bandwidth_gbps"]) * 1e9,
            peak_flops={p: float(v) * 1e12 for p, v in peaks.items()},
            interconnect=Interconnect(
                kind=link["kind"],
                bandwidth=float(link["bandwidth_gbps"]) * 1e9,
                latency=float(link["latency_us"]) / 1e6,
                max_gpus=link["max_gpus"],
            ),
            price_per_hour=float(d["price_per_hour"]),
            max_memory_fraction=float(d.get("max_memory_fraction", 1.0)),
            aliases=_aliases(d, where),
            source=d["source"],
        )
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _clean(value: float) -> float | int:
    """A unit-converted float as a person would write it (1e-6 * 1e6 -> 1, not 1.0000000002)."""
    rounded = float(f"{value:.12g}")
    return int(rounded) if rounded.is_integer() else rounded


def gpu_to_dict(gpu: GPUSpec) -> dict[str, Any]:
    """The TOML form of a GPU (what :func:`gpu_from_dict` reads back)."""
    out: dict[str, Any] = {
        "id": gpu.id,
        "name": gpu.name,
        "vendor": gpu.vendor,
        "memory_gib": _clean(gpu.memory_bytes / GIB),
        "memory_bandwidth_gbps": _clean(gpu.memory_bandwidth / 1e9),
        "price_per_hour": gpu.price_per_hour,
    }
    if gpu.max_memory_fraction != 1.0:
        out["max_memory_fraction"] = gpu.max_memory_fraction
    out["peak_tflops"] = {p: _clean(v / 1e12) for p, v in gpu.peak_flops.items()}
    out["interconnect"] = {
        "kind": gpu.interconnect.kind,
        "bandwidth_gbps": _clean(gpu.interconnect.bandwidth / 1e9),
        "latency_us": _clean(gpu.interconnect.latency * 1e6),
        "max_gpus": gpu.interconnect.max_gpus,
    }
    if gpu.aliases:
        out["aliases"] = list(gpu.aliases)
    out["source"] = gpu.source
    return out


@dataclass
class Catalog:
    """Models and GPUs by id (aliases resolve to the same entry), plus the files that failed."""

    models: dict[str, ModelSpec] = field(default_factory=dict)
    gpus: dict[str, GPUSpec] = field(default_factory=dict)
    engines: dict[str, EngineProfile] = field(default_factory=lambda: {VLLM_V0.name: VLLM_V0})
    errors: list[str] = field(default_factory=list)
    _model_alias: dict[str, str] = field(default_factory=dict)
    _gpu_alias: dict[str, str] = field(default_factory=dict)

    def add_model(self, model: ModelSpec) -> None:
        self.models[model.id] = model
        for alias in model.aliases:
            self._model_alias[alias] = model.id

    def add_gpu(self, gpu: GPUSpec) -> None:
        self.gpus[gpu.id] = gpu
        for alias in gpu.aliases:
            self._gpu_alias[alias] = gpu.id

    def model(self, ident: str) -> ModelSpec:
        key = self._model_alias.get(ident, ident)
        if key not in self.models:
            raise InputError(
                f"unknown model {ident!r} (accepted: {', '.join(sorted(self.models))})"
                + self._unread("models")
            )
        return self.models[key]

    def gpu(self, ident: str) -> GPUSpec:
        key = self._gpu_alias.get(ident, ident)
        if key not in self.gpus:
            raise InputError(
                f"unknown GPU {ident!r} (accepted: {', '.join(sorted(self.gpus))})"
                + self._unread("gpus")
            )
        return self.gpus[key]

    def _unread(self, command: str) -> str:
        """For an unknown id: the files that were skipped (one of them may be the one meant)."""
        count = len(self.errors)
        if not count:
            return ""
        files = "a catalog file" if count == 1 else f"{count} catalog files"
        return f"; {files} could not be read: 'tokentui {command}' says why"

    def engine(self, name: str) -> EngineProfile:
        if name not in self.engines:
            raise InputError(
                f"unknown engine {name!r} (accepted: {', '.join(sorted(self.engines))})"
            )
        return self.engines[name]


def builtin_dir() -> Path:
    """The built-in data (catalog, presets, calibration): ``presets/`` beside ``engine/`` in a
    source checkout and an editable install, ``engine/_presets`` in an installed wheel (it is data,
    shipped inside the engine package, not a package of its own)."""
    engine_dir = Path(__file__).resolve().parents[1]
    candidates = (engine_dir / "_presets", engine_dir.parent / "presets")
    for folder in candidates:
        if (folder / "models").is_dir():
            return folder
    raise InputError(
        f"the built-in catalog is missing (looked in {' and '.join(map(str, candidates))}); "
        "reinstall tokentui"
    )


#: The catalog's folders, in the order they are read.
CATALOG_KINDS = ("models", "gpus", "engines")


def _load_dir(catalog: Catalog, folder: Path, kind: str) -> None:
    try:
        paths = toml_files(folder)
    except InputError as exc:
        catalog.errors.append(str(exc))
        return
    for path in paths:
        try:
            data = read_toml(path)
            if kind == "models":
                catalog.add_model(model_from_dict(data, where=str(path)))
            elif kind == "engines":
                profile = load_engine(path)
                if profile.name == VLLM_V0.name:
                    raise InputError(
                        f"{path}: {VLLM_V0.name!r} is built in (the default settings and "
                        f"profile); give the file another name"
                    )
                catalog.engines[profile.name] = profile
            else:
                catalog.add_gpu(gpu_from_dict(data, where=str(path)))
        except InputError as exc:
            catalog.errors.append(str(exc))


def load_catalog(extra_dirs: Iterable[Path] = ()) -> Catalog:
    """The built-in catalog, then each of ``extra_dirs`` (with ``models/`` and ``gpus/`` inside)
    whose entries add to it or replace built-in ones of the same id."""
    builtin = builtin_dir()
    catalog = cached(  # the shipped files, as last read (engine.storage.catalog_cache)
        [builtin / kind for kind in CATALOG_KINDS], Catalog, lambda: _load_all([builtin])
    )
    _load_into(catalog, extra_dirs)
    return catalog


def _load_all(dirs: Iterable[Path]) -> Catalog:
    catalog = Catalog()
    _load_into(catalog, dirs)
    return catalog


def _load_into(catalog: Catalog, dirs: Iterable[Path]) -> None:
    for base in dirs:
        for kind in CATALOG_KINDS:
            _load_dir(catalog, base / kind, kind)


_BUILTIN: Catalog | None = None
_DEFAULT: Catalog | None = None
_DEFAULT_HOME: Path | None = None


def builtin_catalog() -> Catalog:
    """The catalog shipped with the app alone (no user files), loaded once."""
    global _BUILTIN
    if _BUILTIN is None:
        _BUILTIN = load_catalog()
    return _BUILTIN


def default_catalog(reload: bool = False) -> Catalog:
    """The built-in catalog plus the user's ``models/`` and ``gpus/`` in
    :func:`engine.storage.paths.config_dir` (``$TOKENTUI_HOME`` is read at every call).

    Loaded once per user directory; ``reload=True`` reads the files again (after one was added).
    A bad user file is listed in ``errors`` and never hides the other entries.
    """
    global _DEFAULT, _DEFAULT_HOME
    home = config_dir()
    if reload or _DEFAULT is None or home != _DEFAULT_HOME:
        _DEFAULT, _DEFAULT_HOME = load_catalog([home]), home
    return _DEFAULT


def _words(text: str) -> set[str]:
    return set(re.split(r"[^a-z0-9]+", text.lower()))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _part_matches(part: str, token: str) -> bool:
    """A part of an id in a word of a name: 'sxm' in 'sxm5', '144gb' in NVML's '144g'."""
    if token == part or (token.startswith(part) and part.isalpha()):
        return True
    return part.endswith("gb") and token == part[:-1]


def _ends_a_word(gid: str, name: str) -> bool:
    """The id inside the name does not run on into more letters or digits ('l4' is not in
    'NVIDIA L40')."""
    pattern = r"[^a-z0-9]*".join(re.escape(c) for c in _norm(gid))
    return re.search(pattern + r"(?![a-z0-9])", name.lower()) is not None


def match_gpu_name(name: str, ids: Iterable[str], memory_bytes: float | None = None) -> str | None:
    """The catalog id of a GPU as a driver or a results file names it ('NVIDIA GeForce RTX 4090',
    'NVIDIA H100 80GB HBM3', 'NVIDIA A100-SXM4-40GB', 'Apple M2 Ultra', NIM's 'H100_80G'), or None.

    Every part of an id is a word of the name ('sxm' matches 'SXM5'), or the id is in it; the
    longest such id wins. nvidia-smi calls the SXM H100 'H100 80GB HBM3' (the PCIe card says
    PCIe); an A100 named without its memory is told apart by ``memory_bytes``.
    """
    ids = list(ids)
    tokens = _words(name)
    text = _norm(name)
    matches = []
    apple = any(re.fullmatch(r"m[1-9]", t) for t in tokens)  # 'M2 Ultra 76-Core GPU 192GB'
    for gid in ids:
        parts = gid.split("-")
        if apple and parts[0] == "apple":
            parts = parts[1:]  # Apple's chips go by their own names
        words = all(any(_part_matches(p, t) for t in tokens) for p in parts)
        if words or (text and _norm(gid) in text and _ends_a_word(gid, name)):
            matches.append(gid)
    if not matches and "h100" in tokens:
        matches = [g for g in ids if g == ("h100-pcie" if "pcie" in tokens else "h100-sxm")]
    if not matches and "a100" in tokens and memory_bytes is not None:
        want = "a100-80gb" if memory_bytes > 60 * 1024**3 else "a100-40gb"
        matches = [g for g in ids if g == want]
    return max(matches, key=len) if matches else None
