"""What the user has typed (a :class:`Draft`), and how the app names its fields in messages.

A draft is the scenario's loose input (:class:`engine.scenario.ScenarioInput`: every field may be
"use the default") plus the realistic factors, which it keeps while the app shows ideal mode so that
switching back restores them. :meth:`Draft.scenario` resolves it with the one resolver, or raises
:class:`engine.errors.InputError` naming the field by its label; the app keeps showing the last
valid scenario meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from engine.physics.deployment import Efficiency
from engine.scenario.axes import format_batch_sizes, format_counts, format_rates
from engine.scenario.factors import FACTOR_BY_KEY, SETTING_BY_KEY
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import CLI_TERMS, Lookup, Terms, resolve
from engine.scenario.scenario import Scenario
from engine.scenario.workload import AXIS_FIELDS, DEFAULT_KIND, WORKLOADS, Workload

_LABELS = {
    "model": "model",
    "gpu": "GPU",
    "gpus": "GPUs",
    "tp": "TP",
    "pp": "PP",
    "ep": "EP",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "load": "load",
    "batch_sizes": "batches",
    "concurrency": "concurrency",
    "rates": "rates",
    "num_requests": "requests",
    "engine": "engine",
    "price_per_gpu_hour": "$ / GPU-h",
    "gamma": "gamma",
    "mode": "mode",
    "weight_dtype": "weights",
    "kv_dtype": "KV cache",
    "profile": "profile",
    **{k.key: k.label for k in FACTOR_BY_KEY.values()},
    **{k.key: k.label for k in SETTING_BY_KEY.values()},
}
#: How the app names its inputs in messages: by the field's label.
APP_TERMS = Terms(lambda key: _LABELS.get(key) or CLI_TERMS(key))
#: Fields whose empty text means "the default" (shown as a placeholder).
AUTO_FIELDS = ("tp", "pp", "ep", "price_per_gpu_hour")


@dataclass(frozen=True)
class Draft:
    input: ScenarioInput
    realistic: Efficiency  # the realistic factors, kept while the app shows ideal mode
    #: where the realistic factors come from: "default" (the built-in profile), a saved
    #: profile's name or path, or "custom" (given one by one: flags, a preset, the fields)
    profile: str = "default"

    @classmethod
    def start(cls, inp: ScenarioInput, scenario: Scenario, default: Efficiency) -> Draft:
        """The draft of an input that resolved to ``scenario``: its factors move into
        ``realistic`` (those of the scenario in realistic mode; the profile given, else the
        default, in ideal mode)."""
        realistic = (
            scenario.efficiency if scenario.mode == "realistic" else (inp.profile or default)
        )
        plain = replace(inp, profile=None, profile_name=None, factors={})
        label = inp.profile_name or ("custom" if inp.factors else "default")
        return cls(_by_id(plain), realistic, label)

    @property
    def mode(self) -> str:
        return self.input.mode or "realistic"

    @property
    def kind(self) -> str:
        """The workload kind: static, concurrency, rate or offline."""
        return self.input.load or DEFAULT_KIND

    def with_value(self, name: str, value: Any) -> Draft:
        """A copy with one field changed: an input, a realistic factor or an engine setting
        (by its key, in the shown unit)."""
        if name in FACTOR_BY_KEY:
            knob = FACTOR_BY_KEY[name]
            si = knob.check(knob.to_si(value), APP_TERMS(name))
            if si == getattr(self.realistic, knob.field):
                return self
            realistic = replace(self.realistic, **{knob.field: si})
            return replace(self, realistic=realistic, profile="custom")
        if name in SETTING_BY_KEY:
            settings = {**self.input.settings, name: value}
            return replace(self, input=replace(self.input, settings=settings))
        if name == "load":  # another kind drops the axis (its defaults until one is typed)
            return replace(self, input=self.input.overlay(ScenarioInput(load=value)))
        return replace(self, input=replace(self.input, **{name: value}))

    def with_engine(self, name: str, realistic: Efficiency) -> Draft:
        """On another engine: its settings (the ones typed are dropped, as ``--engine`` beside a
        preset drops the preset's) and ``realistic``, its factors on the default profile."""
        inp = self.input.overlay(ScenarioInput(engine=name))
        return Draft(inp, realistic, "default")

    def resolved_input(self, mode: str | None = None) -> ScenarioInput:
        """The loose input to resolve, in ``mode`` (default: the draft's)."""
        mode = mode or self.mode
        inp = self.input if mode == self.mode else replace(self.input, mode=mode, flop_count=None)
        return replace(inp, profile=self.realistic if mode == "realistic" else None)

    def scenario(self, catalog: Lookup, default: Efficiency) -> Scenario:
        return resolve(self.resolved_input(), catalog, default, APP_TERMS)

    def other_mode(self, catalog: Lookup, default: Efficiency) -> Scenario:
        """The same scenario in the other mode, with that mode's factors and FLOP count."""
        other = "ideal" if self.mode == "realistic" else "realistic"
        return resolve(self.resolved_input(other), catalog, default, APP_TERMS)


def _by_id(inp: ScenarioInput) -> ScenarioInput:
    """Models and GPUs by id (the app's lists hold the catalog; a preset's own entries join it)."""
    model = inp.model if inp.model is None or isinstance(inp.model, str) else inp.model.id
    gpu = inp.gpu if inp.gpu is None or isinstance(inp.gpu, str) else inp.gpu.id
    return replace(inp, model=model, gpu=gpu)


def field_text(draft: Draft, scenario: Scenario, name: str) -> str:
    """What the field ``name`` shows: the value typed, else the scenario's (empty for the fields
    whose default is shown as a placeholder)."""
    if name in FACTOR_BY_KEY:
        knob = FACTOR_BY_KEY[name]
        return f"{knob.shown(getattr(draft.realistic, knob.field)):.4g}"
    if name in SETTING_BY_KEY:
        return f"{getattr(scenario.engine, name):g}"
    value = getattr(draft.input, name)
    if value is None:
        if name in AUTO_FIELDS:
            return ""
        if name in AXIS_FIELDS:
            value = getattr(_axis_source(draft, scenario, name), name)
        else:
            value = getattr(scenario, name)
    if name in ("batch_sizes", "concurrency"):
        return format_batch_sizes(tuple(value))
    if name == "rates":
        return format_rates(tuple(value))
    if name == "num_requests":
        return str(value) if isinstance(value, int) else format_counts(tuple(value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def _axis_source(draft: Draft, scenario: Scenario, name: str) -> Workload:
    """Where an axis field's default comes from: the scenario's workload when it is of the draft's
    kind and has that axis, else a default workload of a kind that has it."""
    if draft.kind == scenario.workload.KIND and name in scenario.workload.OWN:
        return scenario.workload
    kind = WORKLOADS.get(draft.kind)
    if kind is None or name not in kind.OWN:
        kind = next(k for k in WORKLOADS.values() if name in k.OWN)
    return kind.from_input({}, APP_TERMS)
