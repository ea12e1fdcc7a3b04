"""Workload pane: tokens, batch sizes, cost ratio, mode and the realistic factors (one field per
row of the factor table, :data:`engine.scenario.factors.FACTORS`)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from engine.physics.deployment import MAX_TOKENS, Efficiency
from engine.scenario.factors import FACTORS, Knob
from engine.scenario.resolve import MAX_GAMMA
from engine.scenario.scenario import Scenario
from engine.scenario.workload import parse_batch_sizes
from engine.storage.profiles import saved_profiles
from engine.views.dashboard import Dashboard
from tui.state import Draft, field_text
from tui.widgets import Choice, Field, number


def _factor_parser(knob: Knob) -> Callable[[str], float]:
    """The field's text (in the shown unit) checked against the table's range."""
    parse = number(float, 0.0, knob.high, knob.label)

    def inner(text: str) -> float:
        value = float(parse(text))
        knob.check(knob.to_si(value), knob.label)
        return value

    return inner


class WorkloadPane(Vertical):
    def __init__(self, draft: Draft, scenario: Scenario, defaults: Efficiency) -> None:
        """``defaults``: the built-in profile's factors, shown beside the fields."""
        super().__init__(id="workload-pane", classes="pane")
        self.border_title = "Workload"
        self.draft = draft
        self.scenario = scenario
        self.defaults = defaults

    def compose(self) -> ComposeResult:
        d, s = self.draft, self.scenario
        yield Field(
            "input_tokens",
            "input tok",
            field_text(d, s, "input_tokens"),
            number(int, 1, MAX_TOKENS, "input tokens"),
        )
        yield Field(
            "output_tokens",
            "output tok",
            field_text(d, s, "output_tokens"),
            number(int, 1, MAX_TOKENS, "output tokens"),
        )
        yield Field(
            "batch_sizes",
            "batches",
            field_text(d, s, "batch_sizes"),
            parse_batch_sizes,
            tooltip="a list 1,2,8 or a maximum 512 (powers of two up to it)",
        )
        yield Field(
            "gamma",
            "gamma",
            field_text(d, s, "gamma"),
            number(float, 0, MAX_GAMMA, "gamma"),
            tooltip="input/output token price ratio (the article uses 0.3)",
        )
        yield Choice(
            "mode",
            "mode",
            [("realistic", "realistic"), ("ideal", "ideal (roofline)")],
            d.mode,
            id="mode",
            tooltip="realistic: the fitted factors below; ideal: 100% of peak, no overheads",
        )
        yield Static("realistic factors", classes="subtitle")
        profiles = [("default", "default (fitted)"), *((p, p) for p in saved_profiles())]
        profiles.append(("custom", "custom factors"))  # given one by one, or edited below
        if d.profile not in dict(profiles):  # a file given by its path
            profiles.append((d.profile, d.profile))
        yield Choice(
            "profile",
            "profile",
            profiles,
            d.profile,
            id="profile",
            tooltip="a calibration profile: the built-in fit, or one saved by 'tokentui calibrate'",
        )
        defaults = self.defaults
        for knob in FACTORS:
            default = knob.shown(getattr(defaults, knob.field))
            yield Field(
                knob.key,
                knob.label,
                field_text(d, s, knob.key),
                _factor_parser(knob),
                tooltip=f"{knob.help}; default {default:.4g} ({knob.unit})",
            )
        shown = " · ".join(f"{k.label} {k.shown(getattr(defaults, k.field)):.3g}" for k in FACTORS)
        yield Static(f"defaults, fitted to vLLM runs: {shown}", classes="defaults")

    def show(self, draft: Draft, d: Dashboard) -> None:
        """Reflect a draft that changed elsewhere (mode key, preset, an edited factor)."""
        self.draft = draft
        self.query_one("#mode", Choice).show(draft.mode)
        self.query_one("#profile", Choice).show(draft.profile)
        ideal = draft.mode == "ideal"
        for knob in FACTORS:
            field = self.query_one(f"#field-{knob.key}", Field)
            if field.disabled != ideal:
                field.disabled = ideal
