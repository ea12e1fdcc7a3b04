"""The preset file: TOML, hand-editable, versioned.

Schema 2::

    schema = 2
    name = "my-setup"
    description = "70B on 8 H100s"     # optional, one line
    chart = "throughput"               # optional: one of CHARTS

    [model]                            # a catalog id ...
    id = "llama-3.3-70b"

    [gpu]                              # ... or a full definition, as in presets/gpus/*.toml
    id = "h100-sxm"

    [hardware]
    gpus = 8
    tp = 8                             # optional: default gpus

    [workload]
    kind = "static"                    # optional: the workload kind (engine.scenario.workload)
    input_tokens = 2035
    output_tokens = 300
    batch_sizes = [1, 8, 64]           # the kind's own fields; optional: default 1, 2, 4 ... 512
                                       # concurrency: concurrency = [1, 8, 32]
                                       # rate: rates = [2.0, 8.0, inf], num_requests = 1000
                                       # offline: num_requests = [1000]

    [options]                          # every field optional (the mode's, model's, GPU's default)
    mode = "realistic"
    flop_count = "flash"
    weight_dtype = "bf16"
    kv_dtype = "bf16"
    price_per_gpu_hour = 2.5
    gamma = 0.3

    [efficiency]                       # realistic mode only: any of Efficiency's fields, SI units;
    compute = 0.47                     # the rest are the default profile's
    step_overhead_s = 0.0012

    [engine]                           # the engine profile and any of EngineSettings' fields
    name = "vllm-v0"                   # optional: default vllm-v0
    max_num_seqs = 256

Schema 1 (tokentui before the workload kinds) had no ``kind`` and called ``[engine]``
``[serving]``; it is read as schema 2 (:func:`migrate_v1`). Its ideal-mode files carried the ideal
factors in ``[efficiency]``, which are dropped: ideal mode has no factors.

Reading turns the file into a :class:`~engine.scenario.inputs.ScenarioInput` (what ``--preset``
overlays options on) and checks every field; errors name the file, the table, the field and the
reason. Writing gives every field, resolved, so that a saved preset loads as the identical scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from engine.errors import InputError
from engine.physics.deployment import IDEAL
from engine.physics.specs import GPUSpec, ModelSpec
from engine.scenario.factors import FACTOR_BY_KEY, FACTORS, SETTING_BY_KEY, SETTINGS
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import Terms
from engine.scenario.scenario import Scenario
from engine.scenario.workload import DEFAULT_KIND, WORKLOADS
from engine.storage.catalog import (
    Catalog,
    gpu_from_dict,
    gpu_to_dict,
    model_from_dict,
    model_to_dict,
)
from engine.storage.tomlio import check_fields, check_finite

SCHEMA = 2
#: The charts the app can show; a preset remembers which one was on screen.
CHARTS: tuple[str, ...] = (
    "throughput",
    "bottlenecks",
    "cost",
    "context",
    "boundness",
    "roofline",
    "serving",
    "latency",
)
DEFAULT_CHART = "throughput"

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
    "engine": (dict, False),
}
_V1_TOP_FIELDS = {("serving" if k == "engine" else k): v for k, v in _TOP_FIELDS.items()}
_HARDWARE_FIELDS: dict[str, tuple[type, bool]] = {
    "gpus": (int, True),
    "tp": (int, False),
    "pp": (int, False),
    "ep": (int, False),
}
_WORKLOAD_COMMON: dict[str, tuple[type, bool]] = {
    "kind": (str, False),
    "input_tokens": (int, True),
    "output_tokens": (int, True),
}
#: The fields of each workload kind beyond the request shape, with their TOML type.
_WORKLOAD_OWN: dict[str, dict[str, tuple[type, bool]]] = {
    "static": {"batch_sizes": (list, False)},
    "concurrency": {"concurrency": (list, False)},
    "rate": {"rates": (list, False), "num_requests": (int, False)},
    "offline": {"num_requests": (list, False)},
}
_OPTION_FIELDS: dict[str, tuple[type, bool]] = {
    "mode": (str, False),
    "flop_count": (str, False),
    "weight_dtype": (str, False),
    "kv_dtype": (str, False),
    "price_per_gpu_hour": (float, False),
    "gamma": (float, False),
}
#: ``[efficiency]`` and ``[engine]``: the factor table's rows, keyed by field (SI units).
_EFFICIENCY_FIELDS: dict[str, tuple[type, bool]] = {k.field: (float, False) for k in FACTORS}
_ENGINE_TYPES: dict[str, type] = {
    k.field: bool if k.boolean else int if k.integer else float for k in SETTINGS
}
_ENGINE_FIELDS: dict[str, tuple[type, bool]] = {
    "name": (str, False),  # the engine profile (engine.scenario.engines)
    **{k: (t, False) for k, t in _ENGINE_TYPES.items()},
}

_SECTION = {
    "gpus": "hardware",
    "tp": "hardware",
    "pp": "hardware",
    "ep": "hardware",
    "load": "workload",
    "input_tokens": "workload",
    "output_tokens": "workload",
    "batch_sizes": "workload",
    "concurrency": "workload",
    "rates": "workload",
    "num_requests": "workload",
}


def _term(key: str, engine: str = "engine") -> str:
    if key in ("model", "gpu"):
        return f"[{key}]"
    if key == "load":
        return "[workload]: field 'kind'"
    if key == "engine":
        return f"[{engine}]: field 'name'"
    if key in FACTOR_BY_KEY:
        return f"[efficiency]: field {FACTOR_BY_KEY[key].field!r}"
    if key in SETTING_BY_KEY:
        return f"[{engine}]: field {key!r}"
    return f"[{_SECTION.get(key, 'options')}]: field {key!r}"


#: How the resolver names a preset's inputs (factor values are SI in the file).
PRESET_TERMS = Terms(_term, si_units=True, name_joint=True)
#: The same for a schema-1 file, whose engine settings are its ``[serving]`` table.
PRESET_V1_TERMS = Terms(lambda key: _term(key, "serving"), si_units=True, name_joint=True)


@dataclass(frozen=True)
class PresetData:
    """A preset file's contents, read and checked (not yet resolved), and how to name its fields
    when the resolver refuses them."""

    input: ScenarioInput
    name: str | None
    chart: str
    description: str
    terms: Terms = PRESET_TERMS


# ---------------------------------------------------------------------------------- reading


def migrate_v1(data: Mapping[str, Any], where: str = "preset") -> dict[str, Any]:
    """A schema-1 preset (its fields checked) as schema 2: ``[serving]`` becomes ``[engine]``,
    the workload's kind is the static batch, and an ideal-mode file's ``[efficiency]`` of ideal
    values is dropped (tokentui wrote them); other factors beside ideal mode are refused."""
    out = dict(data)
    if "serving" in out:
        out["engine"] = out.pop("serving")
    options = out.get("options")
    mode = options.get("mode") if isinstance(options, Mapping) else None
    eff = out.get("efficiency")
    if mode == "ideal" and isinstance(eff, Mapping):
        ideal = asdict(IDEAL)
        if all(k in ideal and v == ideal[k] for k, v in eff.items()):
            out.pop("efficiency")
        else:
            raise InputError(
                f"{where}: [efficiency] sets realistic factors, but [options] mode is 'ideal' "
                "(the roofline, which has none; schema 1 applied them to it anyway): set "
                'mode = "realistic" to use them, or remove [efficiency]'
            )
    return out


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


def read_preset(data: Mapping[str, Any], where: str, catalog: Catalog) -> PresetData:
    """Check preset data (either schema) field by field; ``where`` starts every message."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: a preset must be a TOML table, got {type(data).__name__}")
    schema = data.get("schema")
    terms = PRESET_TERMS
    is_int = isinstance(schema, int) and not isinstance(schema, bool)
    if is_int and schema > SCHEMA:  # type: ignore[operator]
        raise InputError(
            f"{where}: field 'schema' is {schema}, newer than this tokentui reads "
            f"({SCHEMA}); update tokentui to open it"
        )
    if schema != SCHEMA:  # 1, or not yet known to be valid: read the older layout
        check_fields(data, _V1_TOP_FIELDS, where)  # its own fields, named as it names them
        data = migrate_v1(data, where)
        terms = PRESET_V1_TERMS
    d = check_fields(data, _TOP_FIELDS, where)
    if d["schema"] < 1:
        raise InputError(f"{where}: field 'schema' must be 1 or {SCHEMA}, got {d['schema']}")
    finite = dict(d)
    if isinstance(d["workload"], Mapping) and "rates" in d["workload"]:  # inf: all at once
        finite["workload"] = {k: v for k, v in d["workload"].items() if k != "rates"}
    check_finite(finite, "", where)

    chart = d.get("chart", DEFAULT_CHART)
    if chart not in CHARTS:
        raise InputError(
            f"{where}: field 'chart' is {chart!r}, not one of the accepted: {', '.join(CHARTS)}"
        )
    model = _entry(d["model"], f"{where}: [model]", catalog.model, model_from_dict)
    gpu = _entry(d["gpu"], f"{where}: [gpu]", catalog.gpu, gpu_from_dict)
    hw = check_fields(d["hardware"], _HARDWARE_FIELDS, f"{where}: [hardware]")
    raw = d["workload"]
    kind = raw.get("kind", DEFAULT_KIND) if isinstance(raw, Mapping) else DEFAULT_KIND
    if kind not in WORKLOADS:
        raise InputError(
            f"{where}: [workload]: field 'kind' is {kind!r}, not one of the accepted: "
            f"{', '.join(WORKLOADS)}"
        )
    wl = check_fields(raw, {**_WORKLOAD_COMMON, **_WORKLOAD_OWN[kind]}, f"{where}: [workload]")
    opt = check_fields(d.get("options", {}), _OPTION_FIELDS, f"{where}: [options]")
    eff = check_fields(d.get("efficiency", {}), _EFFICIENCY_FIELDS, f"{where}: [efficiency]")
    engine_table = "serving" if terms is PRESET_V1_TERMS else "engine"
    eng = check_fields(d.get("engine", {}), _ENGINE_FIELDS, f"{where}: [{engine_table}]")
    batches = wl.get("batch_sizes")
    engine_name = eng.pop("name", None)
    axis = {
        k: tuple(wl[k]) if isinstance(wl[k], list) else (wl[k],)
        for k in ("concurrency", "rates", "num_requests")
        if k in wl
    }
    if kind == "rate" and "num_requests" in axis:
        axis["num_requests"] = (wl["num_requests"],)
    inp = ScenarioInput(
        model=model,
        gpu=gpu,
        gpus=hw["gpus"],
        tp=hw.get("tp"),
        pp=hw.get("pp"),
        ep=hw.get("ep"),
        load=kind,
        input_tokens=wl["input_tokens"],
        output_tokens=wl["output_tokens"],
        batch_sizes=None if batches is None else tuple(batches),
        **axis,  # type: ignore[arg-type]
        mode=opt.get("mode"),
        engine=engine_name,
        flop_count=opt.get("flop_count"),
        weight_dtype=opt.get("weight_dtype"),
        kv_dtype=opt.get("kv_dtype"),
        price_per_gpu_hour=opt.get("price_per_gpu_hour"),
        gamma=opt.get("gamma"),
        factors={k: float(v) for k, v in eff.items()},
        settings={k: _ENGINE_TYPES[k](v) for k, v in eng.items()},
    )
    return PresetData(inp, d.get("name"), chart, d.get("description", ""), terms)


# ---------------------------------------------------------------------------------- writing


def preset_dict(
    s: Scenario,
    name: str,
    chart: str,
    description: str,
    is_builtin: Callable[[ModelSpec | GPUSpec], bool],
) -> dict[str, Any]:
    """The TOML data of a preset of scenario ``s``: every field, resolved. A model or GPU is
    written by id when ``is_builtin`` says it is the built-in catalog's own entry, in full else."""
    out: dict[str, Any] = {"schema": SCHEMA, "name": name}
    if description:
        out["description"] = description
    out["chart"] = chart
    out["model"] = {"id": s.model.id} if is_builtin(s.model) else model_to_dict(s.model)
    out["gpu"] = {"id": s.gpu.id} if is_builtin(s.gpu) else gpu_to_dict(s.gpu)
    out["hardware"] = {"gpus": int(s.gpus), "tp": int(s.tp)}
    if s.pp > 1:
        out["hardware"]["pp"] = int(s.pp)
    if s.ep > 1:
        out["hardware"]["ep"] = int(s.ep)
    out["workload"] = {"kind": s.workload.KIND, **s.workload.as_dict()}
    out["options"] = {
        "mode": s.mode,
        "flop_count": s.flop_count,
        "weight_dtype": s.weight_dtype,
        "kv_dtype": s.kv_dtype,
        "price_per_gpu_hour": float(s.price_per_gpu_hour),
        "gamma": float(s.gamma),
    }
    if s.mode == "realistic":
        out["efficiency"] = {k: float(v) for k, v in asdict(s.efficiency).items()}
    out["engine"] = {
        "name": s.engine_name,
        **{k: t(getattr(s.engine, k)) for k, t in _ENGINE_TYPES.items()},
    }
    return out
