"""From loose input to a scenario: the defaults, the mode rule and every check, in one place.

:func:`resolve` is called by the command line, ``--preset``, the preset files, ``compare`` for each
measured file, and the app for every edit. It never reads a file: the catalog to look ids up in
and the default realistic factors (the built-in calibration profile) are passed in. A refusal is an
:class:`InputError` whose message names the input in the caller's terms (:class:`Terms`: the flag
``--step-overhead-ms``, the preset key ``[efficiency]: field 'step_overhead_s'``, the app's label)
and whose ``field`` is the input's key.

The defaults are the article's setup: Llama 3.3 70B on 4 x H100 SXM (TP = GPUs), 2,035 tokens in
and 300 out, batches 1, 2, 4 ... 512, realistic mode, bf16 weights (the model's own) and KV cache,
the GPU's catalog price, gamma 0.3, the ``vllm-v0`` engine (vLLM V0's settings, the default
profile's factors).

An engine profile (``engine``) brings its settings and the factors it sets, on the default
profile; ``profile`` (a calibration profile) replaces the factors, and the given factors and
settings apply on top of either.

The mode rule: ``realistic`` starts from the given profile (else the default one) and applies the
given factors on top; ``ideal`` is the roofline itself, 100% of peak and no overheads, so a profile
or a factor given with it is refused rather than silently dropped. The FLOP count defaults to the
article's naive count in ideal mode and to causal flash attention in realistic mode.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from engine.errors import InputError
from engine.physics.arch import FLOP_COUNTS, check_ep, check_tp
from engine.physics.deployment import IDEAL, MODES, Efficiency, EngineSettings
from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES, GPUSpec, ModelSpec, canonical_dtype
from engine.scenario.engines import DEFAULT_ENGINE, EngineProfile
from engine.scenario.factors import FACTOR_BY_FIELD, SETTING_BY_FIELD
from engine.scenario.inputs import WORKLOAD_FIELDS, ScenarioInput
from engine.scenario.scenario import Scenario
from engine.scenario.workload import AXIS_FIELDS, WORKLOADS, workload_kind

DEFAULT_MODEL = "llama-3.3-70b"
DEFAULT_GPU = "h100-sxm"
DEFAULT_GPUS = 4
DEFAULT_GAMMA = 0.3
DEFAULT_KV_DTYPE = "bf16"
MAX_GPUS = 4096
MAX_PRICE = 1e6
MAX_GAMMA = 1e3


T = TypeVar("T", ModelSpec, GPUSpec)


class Lookup(Protocol):
    """What the resolver needs of a catalog (:class:`engine.storage.catalog.Catalog` is one)."""

    def model(self, ident: str) -> ModelSpec: ...

    def gpu(self, ident: str) -> GPUSpec: ...

    def engine(self, name: str) -> EngineProfile: ...


@dataclass(frozen=True)
class Terms:
    """How a front-end names the inputs in its messages: ``name(key)`` for each key of
    :class:`ScenarioInput` and of the factor tables; ``si_units`` when its factor values are in
    the fields' SI units (preset files) rather than the shown ones (flags, the app);
    ``name_joint`` to start a message about several fields (TP and the heads, the tokens and the
    context) with the field it is filed under, as a file's messages do."""

    name: Callable[[str], str]
    si_units: bool = False
    name_joint: bool = False

    def __call__(self, key: str) -> str:
        return self.name(key)

    def joint(self, key: str, message: str) -> InputError:
        """An error about several fields, filed under ``key``."""
        return InputError(f"{self(key)}: {message}" if self.name_joint else message, field=key)


def _flag(key: str) -> str:
    return {"batch_sizes": "--batch", "rates": "--rate", "load": "the load"}.get(
        key, "--" + key.replace("_", "-")
    )


#: The command line's names: the flags.
CLI_TERMS = Terms(_flag)


def resolve(
    inp: ScenarioInput,
    catalog: Lookup,
    default_profile: Efficiency,
    terms: Terms = CLI_TERMS,
) -> Scenario:
    """The scenario ``inp`` describes, every default filled in and every value checked."""
    model = _entry(inp.model, DEFAULT_MODEL, catalog.model, "model")
    gpu = _entry(inp.gpu, DEFAULT_GPU, catalog.gpu, "gpu")
    gpus = _whole(inp.gpus, DEFAULT_GPUS, "gpus", MAX_GPUS, terms)
    pp = _whole(inp.pp, 1, "pp", MAX_GPUS, terms)
    if pp > model.num_layers:
        raise terms.joint(
            "pp",
            f"PP {pp} is more pipeline stages than the {model.num_layers} layers of {model.id}",
        )
    if gpus % pp:
        raise terms.joint(
            "pp",
            f"{gpus} GPU{'s' if gpus != 1 else ''} cannot be split into {pp} pipeline stages "
            "(GPUs must be a multiple of PP)",
        )
    tp = _whole(inp.tp, gpus // pp, "tp", MAX_GPUS, terms)
    if gpus % (tp * pp):
        layout = f"TP {tp} x PP {pp}" if pp > 1 else f"tensor-parallel groups of {tp}"
        raise terms.joint(
            "tp",
            f"{gpus} GPU{'s' if gpus != 1 else ''} cannot be split into {layout} (GPUs must be a "
            f"multiple of TP x PP; "
            f"the groups beyond the first are replicas)",
        )
    try:
        check_tp(model, tp)
    except InputError as exc:
        raise terms.joint("tp", str(exc)) from None
    ep = _whole(inp.ep, 1, "ep", MAX_GPUS, terms)
    try:
        check_ep(model, tp, ep, gpus // pp)
    except InputError as exc:
        raise terms.joint("ep", str(exc)) from None
    mode = inp.mode or "realistic"
    _one_of(mode, MODES, "mode", terms)
    kind = workload_kind(inp.load, terms("load"))
    stray = next(
        (k for k in AXIS_FIELDS if getattr(inp, k) is not None and k not in kind.OWN), None
    )
    if stray is not None:
        owners = [w.KIND for w in WORKLOADS.values() if stray in w.OWN]
        raise InputError(
            f"{terms(stray)} is the axis of a {' or '.join(owners)} load, not of this "
            f"{kind.KIND} load (one load kind per scenario)",
            field=stray,
        )
    workload = kind.from_input({k: getattr(inp, k) for k in WORKLOAD_FIELDS}, terms)
    if workload.context_tokens > model.max_context:
        raise terms.joint(
            "input_tokens",
            f"input + output tokens ({workload.context_tokens:,}) exceed the "
            f"{model.max_context:,}-token context of {model.id}",
        )
    try:
        engine = catalog.engine(DEFAULT_ENGINE if inp.engine is None else inp.engine)
    except InputError as exc:
        raise InputError(f"{terms('engine')}: {exc}", field="engine") from None
    if mode == "realistic" and engine.factors:
        default_profile = replace(default_profile, **engine.factors)
    efficiency = _efficiency(inp, mode, default_profile, terms)
    flop_count = inp.flop_count or ("article" if mode == "ideal" else "flash")
    _one_of(flop_count, FLOP_COUNTS, "flop_count", terms)
    weight_dtype = canonical_dtype(inp.weight_dtype or model.dtype)  # 'F16' is fp16, ...
    _one_of(weight_dtype, WEIGHT_DTYPES, "weight_dtype", terms)
    kv_dtype = canonical_dtype(inp.kv_dtype or DEFAULT_KV_DTYPE)
    _one_of(kv_dtype, KV_DTYPES, "kv_dtype", terms)
    price = gpu.price_per_hour if inp.price_per_gpu_hour is None else inp.price_per_gpu_hour
    price = _number(price, "price_per_gpu_hour", MAX_PRICE, terms)
    gamma = _number(DEFAULT_GAMMA if inp.gamma is None else inp.gamma, "gamma", MAX_GAMMA, terms)
    return Scenario(
        model=model,
        gpu=gpu,
        gpus=gpus,
        tp=tp,
        pp=pp,
        ep=ep,
        mode=mode,  # type: ignore[arg-type]
        efficiency=efficiency,
        flop_count=flop_count,  # type: ignore[arg-type]
        weight_dtype=weight_dtype,
        kv_dtype=kv_dtype,
        price_per_gpu_hour=price,
        gamma=gamma,
        engine=_engine(inp, engine, terms),
        workload=workload,
        engine_name=engine.name,
    )


def _entry(entry: str | T | None, default: str, lookup: Callable[[str], T], key: str) -> T:
    if entry is None:
        entry = default
    if not isinstance(entry, str):
        return entry
    try:
        return lookup(entry)
    except InputError as exc:
        raise InputError(str(exc), field=key) from None


def _whole(value: object, default: int, key: str, high: int, terms: Terms) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(
            f"{terms(key)} must be a whole number from 1 to {high:,}, got {value!r}", field=key
        )
    if not 1 <= value <= high:
        raise InputError(f"{terms(key)} must be from 1 to {high:,}, got {value}", field=key)
    return value


def _number(value: object, key: str, high: float, terms: Terms) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(
            f"{terms(key)} must be a number from 0 to {high:g}, got {value!r}", field=key
        )
    if not 0 <= value <= high:
        raise InputError(f"{terms(key)} must be from 0 to {high:g}, got {value:g}", field=key)
    return float(value)


def _one_of(value: str, accepted: tuple[str, ...], key: str, terms: Terms) -> None:
    if value not in accepted:
        raise InputError(
            f"{terms(key)} is {value!r}, not one of the accepted: {', '.join(accepted)}", field=key
        )


def _efficiency(
    inp: ScenarioInput, mode: str, default_profile: Efficiency, terms: Terms
) -> Efficiency:
    """The mode rule (see the module docstring)."""
    unknown = sorted(set(inp.factors) - set(FACTOR_BY_FIELD))
    if unknown:
        raise InputError(f"unknown realistic factor {unknown[0]!r}", field=unknown[0])
    if mode == "ideal":
        if inp.profile is not None:
            what = f" ({inp.profile_name})" if inp.profile_name else ""
            raise InputError(
                f"{terms('profile')}{what} sets the realistic factors; it does not apply in "
                f"ideal mode",
                field="profile",
            )
        if inp.factors:
            knob = FACTOR_BY_FIELD[next(iter(inp.factors))]
            raise InputError(
                f"{terms(knob.key)} is a realistic factor; it does not apply in ideal mode (the "
                f"roofline itself: 100% of peak, no overheads)",
                field=knob.key,
            )
        return IDEAL
    base = inp.profile or default_profile
    if inp.profile is not None:  # a profile read from a file was checked there; this one too
        where = inp.profile_name or "the profile"
        for knob in FACTOR_BY_FIELD.values():
            knob.check(getattr(base, knob.field), f"{where}: {knob.key}")
    changes = {
        f: FACTOR_BY_FIELD[f].check(v, terms(FACTOR_BY_FIELD[f].key), terms.si_units)
        for f, v in inp.factors.items()
    }
    return replace(base, **changes)


def _engine(inp: ScenarioInput, profile: EngineProfile, terms: Terms) -> EngineSettings:
    unknown = sorted(set(inp.settings) - set(SETTING_BY_FIELD))
    if unknown:
        raise InputError(f"unknown engine setting {unknown[0]!r}", field=unknown[0])
    changes = {
        f: SETTING_BY_FIELD[f].check(v, terms(SETTING_BY_FIELD[f].key), terms.si_units)
        for f, v in inp.settings.items()
    }
    return EngineSettings(**{**profile.settings, **changes})
