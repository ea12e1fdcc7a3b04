"""Workload pane: tokens, batch sizes, cost ratio, mode and the realistic factors."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Select, Static

from engine.calibration import default_efficiency
from engine.scenario import MAX_TOKENS
from tui.state import Draft, format_batches, parse_batches
from tui.widgets import Edit, Field, number

# (field, label, scale from the engine's unit to the shown one, unit, low, high)
FACTORS: tuple[tuple[str, str, float, str, float, float], ...] = (
    ("compute", "compute", 1.0, "of peak", 0.01, 1.0),
    ("memory", "memory", 1.0, "of peak", 0.01, 1.0),
    ("attention", "attention", 1.0, "of peak", 0.01, 1.0),
    ("step_overhead_s", "step ms", 1e3, "ms", 0.0, 1000.0),
    ("seq_overhead_s", "seq us", 1e6, "us", 0.0, 1e5),
    ("collective_latency_s", "coll. us", 1e6, "us", 0.0, 1e5),
)


class WorkloadPane(Vertical):
    def __init__(self, draft: Draft) -> None:
        super().__init__(id="workload-pane", classes="pane")
        self.border_title = "Workload"
        self.draft = draft

    def compose(self) -> ComposeResult:
        d = self.draft
        yield Field(
            "input_tokens",
            "input tok",
            str(d.input_tokens),
            number(int, 1, MAX_TOKENS, "input tokens"),
        )
        yield Field(
            "output_tokens",
            "output tok",
            str(d.output_tokens),
            number(int, 1, MAX_TOKENS, "output tokens"),
        )
        yield Field(
            "batch_sizes",
            "batches",
            format_batches(d.batch_sizes),
            parse_batches,
            tooltip="a list 1,2,8 or a maximum 512 (powers of two up to it)",
        )
        yield Field(
            "gamma",
            "gamma",
            f"{d.gamma:g}",
            number(float, 0, 1000, "gamma"),
            tooltip="input/output token price ratio (the article uses 0.3)",
        )
        yield Select(
            [("mode: realistic", "realistic"), ("mode: ideal (roofline)", "ideal")],
            value=d.mode,
            allow_blank=False,
            compact=True,
            id="mode",
        )
        yield Static("realistic factors (defaults fitted to vLLM runs)", classes="subtitle")
        defaults = default_efficiency()
        for name, label, scale, unit, low, high in FACTORS:
            value = getattr(d.efficiency, name) * scale
            default = getattr(defaults, name) * scale
            yield Field(
                f"eff.{name}",
                label,
                f"{value:.4g}",
                _scaled(number(float, low, high, label), scale),
                tooltip=f"default {default:.4g} {unit}",
            )

    @on(Select.Changed, "#mode")
    def _mode(self, event: Select.Changed) -> None:
        event.stop()
        if event.value != self.draft.mode:
            self.post_message(Edit("mode", event.value))

    def show(self, draft: Draft) -> None:
        """Reflect a draft that changed elsewhere (mode key, preset)."""
        self.draft = draft
        mode = self.query_one("#mode", Select)
        if mode.value != draft.mode:
            with mode.prevent(Select.Changed):
                mode.value = draft.mode
        for name, *_ in FACTORS:
            field = self.query_one(f"#field-eff-{name}", Field)
            field.disabled = draft.mode == "ideal"


def _scaled(parse: object, scale: float) -> object:
    def inner(text: str) -> float:
        return float(parse(text)) / scale  # type: ignore[operator]

    return inner
