"""The loose input of a scenario: what a person gave, every field optional ("use the default").

One :class:`ScenarioInput` is what the command line's options, a preset file, ``compare``'s
per-file choices and the app's fields all build; :func:`engine.scenario.resolve.resolve` turns it
into a :class:`~engine.scenario.scenario.Scenario`, with the defaults and every check in one place.
Values are tokens, GPUs, dollars per GPU-hour; realistic factors and engine settings are keyed by
their field, in SI units (``step_overhead_s = 0.0017``): a front-end converts what people type with
the factor table (:mod:`engine.scenario.factors`), which also phrases any refusal in their unit.

:meth:`ScenarioInput.overlay` puts one input on another (``--preset`` and the options beside it):
the given fields win, and a few fields that depend on another are reset with it, so that they
mean what they would have meant without the base:

- a new ``gpu`` brings its catalog price, unless a price is given too;
- ``gpus`` without ``tp`` means TP = GPUs (and, without ``pp``, one stage and no expert
  parallelism);
- another ``mode`` brings that mode's factors and FLOP count (the base's are for the other mode);
- a ``profile`` replaces the base's factors (the options' own factors apply on top);
- another ``engine`` brings its settings and factors (the base's were another engine's): the
  base's engine settings, profile and factors are dropped;
- another ``load`` (kind) drops the base's load axis (a preset's batch sizes are not a rate's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from engine.physics.deployment import Efficiency
from engine.physics.specs import GPUSpec, ModelSpec
from engine.scenario.engines import DEFAULT_ENGINE
from engine.scenario.scenario import Scenario
from engine.scenario.workload import AXIS_FIELDS, DEFAULT_KIND

#: The fields of the request shape and the load axes (the workload kind reads them).
WORKLOAD_FIELDS = ("input_tokens", "output_tokens", *AXIS_FIELDS)


@dataclass(frozen=True)
class ScenarioInput:
    model: str | ModelSpec | None = None  # a catalog id, or a definition (a preset's own)
    gpu: str | GPUSpec | None = None
    gpus: int | None = None
    tp: int | None = None  # None: all GPUs (of a pipeline stage) in one tensor-parallel group
    pp: int | None = None  # pipeline stages; None: 1
    ep: int | None = None  # expert-parallel groups in a TP group; None: 1 (experts sliced)
    load: str | None = None  # the workload kind (engine.scenario.workload.WORKLOADS)
    input_tokens: int | None = None
    output_tokens: int | None = None
    batch_sizes: tuple[int, ...] | None = None  # a static load's axis
    concurrency: tuple[int, ...] | None = None  # a closed loop's
    rates: tuple[float, ...] | None = None  # a Poisson load's (requests/s, inf: all at once)
    num_requests: tuple[int, ...] | None = None  # a rate's run length; the offline axis
    mode: str | None = None
    engine: str | None = None  # an engine profile's name (None: vllm-v0)
    flop_count: str | None = None  # None: the mode's (article in ideal, flash in realistic)
    weight_dtype: str | None = None  # None: the model's
    kv_dtype: str | None = None
    price_per_gpu_hour: float | None = None  # None: the GPU's catalog price
    gamma: float | None = None
    profile: Efficiency | None = None  # the realistic factors to start from (None: the default)
    profile_name: str | None = None  # where ``profile`` came from, for messages
    factors: Mapping[str, float] = field(default_factory=dict)  # Efficiency field -> SI value
    settings: Mapping[str, float] = field(default_factory=dict)  # EngineSettings field -> value

    @classmethod
    def of(cls, s: Scenario) -> ScenarioInput:
        """Every field of a resolved scenario: resolving it gives ``s`` back."""
        workload: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in s.workload.as_dict().items()
        }
        return cls(
            model=s.model,
            gpu=s.gpu,
            gpus=s.gpus,
            tp=s.tp,
            pp=s.pp,
            ep=s.ep,
            load=s.workload.KIND,
            mode=s.mode,
            engine=s.engine_name,
            flop_count=s.flop_count,
            weight_dtype=s.weight_dtype,
            kv_dtype=s.kv_dtype,
            price_per_gpu_hour=s.price_per_gpu_hour,
            gamma=s.gamma,
            profile=s.efficiency if s.mode == "realistic" else None,
            settings=asdict(s.engine),
            **workload,
        )

    def given(self) -> dict[str, Any]:
        """The fields that are set (factors and settings when not empty)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and not (isinstance(value, Mapping) and not value):
                out[f.name] = value
        return out

    def overlay(self, top: ScenarioInput) -> ScenarioInput:
        """``top``'s given fields on this input, with the resets of the module docstring."""
        changes = {k: v for k, v in top.given().items() if k not in ("factors", "settings")}
        base = self
        if (
            top.gpu is not None
            and _ident(top.gpu) != _ident(self.gpu)
            and top.price_per_gpu_hour is None
        ):
            base = replace(base, price_per_gpu_hour=None)
        if top.gpus is not None and top.tp is None:
            base = replace(base, tp=None)
            if top.pp is None:
                base = replace(base, pp=None, ep=None)
        if top.mode is not None and top.mode != (self.mode or "realistic"):
            base = replace(base, flop_count=None, profile=None, profile_name=None, factors={})
        if top.profile is not None:
            base = replace(base, factors={})
        if top.engine is not None and top.engine != (self.engine or DEFAULT_ENGINE):
            base = replace(base, settings={}, profile=None, profile_name=None, factors={})
        if top.load is not None and top.load != (self.load or DEFAULT_KIND):
            base = replace(base, **dict.fromkeys(AXIS_FIELDS))  # type: ignore[arg-type]
        merged = replace(base, **changes)
        return replace(
            merged,
            factors={**base.factors, **top.factors},
            settings={**base.settings, **top.settings},
        )


def _ident(entry: str | ModelSpec | GPUSpec | None) -> str | None:
    return entry if entry is None or isinstance(entry, str) else entry.id
