"""Workload pane: tokens, batch sizes, cost ratio, mode and the realistic factors."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from engine.profiles import default_efficiency, saved_profiles
from engine.scenario import MAX_TOKENS, format_batch_sizes, parse_batch_sizes
from tui.state import Draft
from tui.widgets import Choice, Field, number

# (field, label, scale from the engine's unit to the shown one, unit, low, high)
FACTORS: tuple[tuple[str, str, float, str, float, float], ...] = (
    ("compute", "compute", 1.0, "of peak", 0.01, 1.0),
    ("memory", "memory", 1.0, "of peak", 0.01, 1.0),
    ("attention", "attention", 1.0, "of peak", 0.01, 1.0),
    ("attention_token_s", "attn ns", 1e9, "ns per context token and layer", 0.0, 1e6),
    ("attention_items", "attn seqs", 1.0, "sequences for full attention speed", 0.0, 1e6),
    ("attention_floor", "attn floor", 1.0, "of full attention speed", 0.01, 1.0),
    ("step_overhead_s", "step ms", 1e3, "ms", 0.0, 1000.0),
    ("seq_overhead_s", "seq us", 1e6, "us", 0.0, 1e5),
    ("collective_latency_s", "coll. us", 1e6, "us", 0.0, 1e5),
    ("eager_layer_s", "eager us", 1e6, "us per layer past the CUDA-graph context", 0.0, 1e5),
)


FACTOR_SCALE = {name: scale for name, _, scale, *_ in FACTORS}


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
            format_batch_sizes(d.batch_sizes),
            parse_batch_sizes,
            tooltip="a list 1,2,8 or a maximum 512 (powers of two up to it)",
        )
        yield Field(
            "gamma",
            "gamma",
            f"{d.gamma:g}",
            number(float, 0, 1000, "gamma"),
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
        yield Choice(
            "profile",
            "profile",
            profiles,
            "default",
            id="profile",
            tooltip="a calibration profile: the built-in fit, or one saved by 'tokentui calibrate'",
        )
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
        shown = " · ".join(
            f"{label} {getattr(defaults, name) * scale:.3g}" for name, label, scale, *_ in FACTORS
        )
        yield Static(f"defaults, fitted to vLLM runs: {shown}", classes="defaults")

    def show(self, draft: Draft) -> None:
        """Reflect a draft that changed elsewhere (mode key, preset)."""
        self.draft = draft
        self.query_one("#mode", Choice).show(draft.mode)
        ideal = draft.mode == "ideal"
        for name, *_ in FACTORS:
            field = self.query_one(f"#field-eff-{name}", Field)
            if field.disabled != ideal:
                field.disabled = ideal


def _scaled(parse: Callable[[str], float], scale: float) -> Callable[[str], float]:
    """A parser for a value shown in ms, us or ns and kept in seconds."""

    def inner(text: str) -> float:
        return float(parse(text)) / scale

    return inner
