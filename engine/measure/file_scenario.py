"""Which scenario a measured file's points are predicted under.

Hardware a file does not record comes from the caller's choice (command-line flags), else the base
scenario (the CLI's defaults, or the app's current scenario); the file's model comes from the name
it records. What was used, and where each part came from, is returned with the scenario. The
scenario itself is built by the one resolver (:func:`engine.scenario.resolve`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.errors import InputError
from engine.measure.names import quantization_from_name
from engine.measure.names import resolve_model_name as _resolve_name
from engine.measure.points import Measurement
from engine.physics.arch import parameter_count
from engine.physics.memory import check_fits
from engine.physics.specs import WEIGHT_DTYPES
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import CLI_TERMS, Terms, resolve
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog, match_gpu_name

#: Ollama's default tags (``llama3.1:8b``) are 4-bit (Q4_K_M) GGUF files.
OLLAMA_DEFAULT_QUANT = ("q4_k_m", "Q4_K_M")

_FILE_WORDS = {
    "gpus": "the number of GPUs",
    "tp": "the tensor-parallel degree",
    "pp": "the pipeline stages",
    "ep": "the expert-parallel degree",
    "input_tokens": "a point's input tokens",
    "output_tokens": "a point's output tokens",
}


def file_terms(sources: dict[str, str]) -> Terms:
    """A file's scenario is made of flags and of what the file records: a value from a flag is
    named by the flag, one from the file in words."""

    def name(key: str) -> str:
        if sources.get(key) == "flag":
            return CLI_TERMS(key)
        return _FILE_WORDS.get(key) or CLI_TERMS(key)

    return Terms(name)


@dataclass(frozen=True)
class FileOverrides:
    """What the user chose explicitly (command-line flags); None: the file's, else the base's."""

    model: str | None = None
    gpu: str | None = None
    gpus: int | None = None
    tp: int | None = None
    pp: int | None = None
    ep: int | None = None
    weight_dtype: str | None = None
    kv_dtype: str | None = None
    engine: str | None = None
    factors_given: bool = False  # --profile: the base's factors stand, whatever the engine
    settings: Mapping[str, Any] = field(default_factory=dict)  # engine settings given as flags


def _model_ids(catalog: Catalog) -> list[str]:
    ids = list(catalog.models)
    for m in catalog.models.values():
        ids.extend(m.aliases)
    return ids


def resolve_model(meas: Measurement, catalog: Catalog, explicit: str | None = None) -> str:
    """The catalog id of the file's model: ``explicit`` if given, else from the names the file
    records (a llama-bench file also by its parameter count). Unknown or ambiguous: an error
    that asks for ``--model``."""
    if explicit:
        return catalog.model(explicit).id
    names = [meas.model_name, str(meas.notes.get("model_type", ""))]
    for name in names:
        if name and (found := _resolve_name(name, _model_ids(catalog))):
            return catalog.model(found).id
    n_params = meas.notes.get("model_n_params")
    if isinstance(n_params, int) and n_params > 0:
        near = sorted(
            m.id
            for m in catalog.models.values()
            if abs(parameter_count(m) - n_params) <= 0.01 * n_params
        )
        if len(near) == 1:
            return near[0]
        if near:
            raise InputError(
                f"{meas.path}: {meas.model_name or 'the model'} ({n_params / 1e9:.2f} B "
                f"parameters) could be {' or '.join(near)}; give --model ID"
            )
    recorded = next((n for n in names if n), "")
    if not recorded:
        raise InputError(f"{meas.path}: the file does not record its model; give --model ID")
    raise InputError(
        f"{meas.path}: cannot tell which catalog model {recorded!r} is "
        f"(catalog: {', '.join(sorted(catalog.models))}); give --model ID"
    )


def _weight_dtype(
    meas: Measurement, overrides: FileOverrides
) -> tuple[str | None, str, str | None]:
    """(precision or None for the model's own, where it came from, a remark)."""
    if overrides.weight_dtype:
        return overrides.weight_dtype, "flag", None
    if meas.weight_dtype:
        return meas.weight_dtype, "file", None
    for name in (str(meas.notes.get("model_type", "")), meas.model_name):
        dtype, tag = quantization_from_name(name)
        if tag and dtype is None:
            raise InputError(
                f"{meas.path}: weight quantisation {tag} has no engine precision "
                f"(accepted: {', '.join(WEIGHT_DTYPES)}); give --weight-dtype"
            )
        if dtype:
            return dtype, "file", f"weights {dtype} (from {tag!r} in the model name)"
    if meas.format == "ollama":
        dtype, tag = OLLAMA_DEFAULT_QUANT
        return dtype, "file", f"weights {dtype}: Ollama's default tags are {tag}"
    return None, "default", None


@dataclass(frozen=True)
class Resolved:
    """The scenario a file's points are predicted under, and where each part came from
    ('flag', 'file' or the base's label, e.g. 'default')."""

    scenario: Scenario
    sources: dict[str, str]
    remarks: tuple[str, ...] = ()


def resolve_scenario(
    meas: Measurement,
    catalog: Catalog,
    base: Scenario,
    overrides: FileOverrides = FileOverrides(),
    base_label: str = "default",
) -> Resolved:
    """The scenario for ``meas``: ``overrides`` first, then what the file records, then ``base``
    (its GPU, GPU count and TP, mode, efficiency, engine settings and KV precision)."""
    remarks: list[str] = []
    model_id = resolve_model(meas, catalog, overrides.model)
    model = catalog.model(model_id)
    sources = {"model": "flag" if overrides.model else "file"}

    if overrides.gpu:
        gpu, sources["gpu"] = catalog.gpu(overrides.gpu), "flag"
    elif meas.gpu_name:
        gid = match_gpu_name(meas.gpu_name, catalog.gpus)
        if gid is None:
            raise InputError(
                f"{meas.path}: the file's GPU {meas.gpu_name!r} is not in the catalog; give "
                f"--gpu ID (accepted: {', '.join(sorted(catalog.gpus))})"
            )
        gpu, sources["gpu"] = catalog.gpu(gid), "file"
    else:
        gpu, sources["gpu"] = base.gpu, base_label

    pp = overrides.pp or 1
    ep = overrides.ep or 1
    if overrides.gpus is not None:
        gpus, sources["gpus"] = overrides.gpus, "flag"
        tp = gpus // pp if overrides.tp is None else overrides.tp
    elif meas.gpus:
        gpus, sources["gpus"] = meas.gpus, "file"
        pp = overrides.pp or meas.pp or 1
        tp = overrides.tp if overrides.tp is not None else (meas.tp or gpus // pp)
    else:
        gpus, sources["gpus"] = base.gpus, base_label
        tp = base.tp if overrides.tp is None else overrides.tp
        pp = base.pp if overrides.pp is None else pp
        ep = base.ep if overrides.ep is None else ep
    sources["tp"] = "flag" if overrides.tp is not None else sources["gpus"]
    sources["pp"] = "flag" if overrides.pp is not None else sources["gpus"]
    sources["ep"] = "flag" if overrides.ep is not None else sources["gpus"]

    weight_dtype, sources["weight_dtype"], remark = _weight_dtype(meas, overrides)
    if remark:
        remarks.append(remark)
    if overrides.kv_dtype:
        kv_dtype, sources["kv_dtype"] = overrides.kv_dtype, "flag"
    elif meas.kv_dtype:
        kv_dtype, sources["kv_dtype"] = meas.kv_dtype, "file"
    else:
        kv_dtype, sources["kv_dtype"] = base.kv_dtype, base_label

    # the engine: the flag's, else the file's server, else the base's
    if overrides.engine:
        engine, sources["engine"] = overrides.engine, "flag"
    elif meas.engine:
        engine, sources["engine"] = meas.engine, "file"
    else:
        engine, sources["engine"] = base.engine_name, base_label
    if engine == "llamacpp" and gpu.vendor == "apple" and sources["engine"] != "flag":
        engine = "llamacpp-metal"  # llama.cpp on an Apple GPU: its Metal profile
    own = engine != base.engine_name  # another engine: its settings and factors
    settings = {**({} if own else asdict(base.engine)), **overrides.settings}
    keep = base.mode == "realistic" and (not own or overrides.factors_given)
    if meas.step_tokens:
        settings["max_batched_tokens"] = meas.step_tokens

    longest = max(meas.points, key=lambda p: p.context_tokens + p.input_tokens + p.output_tokens)
    total = longest.context_tokens + longest.input_tokens + longest.output_tokens
    if total > model.max_context:
        raise InputError(
            f"{meas.path}: a point of {total:,.0f} tokens exceeds the "
            f"{model.max_context:,}-token context of {model.id}"
        )
    shortest = min(meas.points, key=lambda p: p.context_tokens + p.input_tokens + p.output_tokens)
    inp = ScenarioInput(
        model=model,
        gpu=gpu,
        gpus=gpus,
        tp=tp,
        pp=pp,
        ep=ep,
        input_tokens=max(1, round(shortest.context_tokens + shortest.input_tokens)),
        output_tokens=max(1, round(shortest.output_tokens)),
        mode=base.mode,
        engine=engine,
        profile=base.efficiency if keep else None,
        flop_count=base.flop_count,
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        price_per_gpu_hour=base.price_per_gpu_hour if gpu.id == base.gpu.id else None,
        gamma=base.gamma,
        settings=settings,
    )
    try:
        s = resolve(inp, catalog, base.efficiency, file_terms(sources))
        check_fits(s, s.context_tokens)
    except InputError as exc:
        raise InputError(f"{meas.path}: {exc}", field=exc.field) from None
    return Resolved(s, sources, tuple(remarks))
