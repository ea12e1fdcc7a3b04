"""What the user has typed (a :class:`Draft`) and the last valid scenario built from it.

A draft holds loose values (ids, numbers) that may not yet form a valid scenario — e.g. after the
model changed and before TP is fixed. :meth:`Draft.scenario` builds the scenario or raises
:class:`engine.InputError`; the app keeps showing the last valid one meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from engine import Efficiency, Scenario, Serving, make_scenario
from engine.catalog import Catalog
from engine.profiles import default_efficiency
from engine.scenario import DEFAULT_BATCHES, format_batch_sizes

CHARTS: tuple[tuple[str, str], ...] = (
    ("throughput", "Throughput"),
    ("bottlenecks", "Bottlenecks"),
    ("cost", "Cost"),
    ("context", "Context"),
    ("boundness", "Boundness"),
    ("roofline", "Roofline"),
)
CHART_IDS = tuple(c for c, _ in CHARTS)


@dataclass(frozen=True)
class Draft:
    model: str = "llama-3.3-70b"
    gpu: str = "h100-sxm"
    gpus: int = 4
    tp: int | None = None  # None: all GPUs in one TP group
    input_tokens: int = 2035
    output_tokens: int = 300
    batch_sizes: tuple[int, ...] = DEFAULT_BATCHES
    mode: str = "realistic"
    flop_count: str | None = None  # None: the mode's (article in ideal, flash in realistic)
    price_per_gpu_hour: float | None = None  # None: the GPU's catalog price
    gamma: float = 0.3
    weight_dtype: str | None = None
    kv_dtype: str = "bf16"
    efficiency: Efficiency = field(default_factory=default_efficiency)  # the realistic factors
    serving: Serving = field(default_factory=Serving)

    def scenario(self, catalog: Catalog) -> Scenario:
        model = catalog.model(self.model)
        gpu = catalog.gpu(self.gpu)
        return make_scenario(
            model,
            gpu,
            gpus=self.gpus,
            tp=self.tp,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            batch_sizes=self.batch_sizes,
            mode=self.mode,
            efficiency=None if self.mode == "ideal" else self.efficiency,
            flop_count=self.flop_count,
            weight_dtype=self.weight_dtype,
            kv_dtype=self.kv_dtype,
            price_per_gpu_hour=self.price_per_gpu_hour,
            gamma=self.gamma,
            serving=self.serving,
        )

    def with_value(self, name: str, value: Any) -> Draft:
        """A copy with one field changed; efficiency fields are addressed as ``eff.<name>``."""
        if name.startswith("eff."):
            return replace(self, efficiency=replace(self.efficiency, **{name[4:]: value}))
        if name not in {f.name for f in fields(self)}:
            raise KeyError(name)
        return replace(self, **{name: value})

    @classmethod
    def from_scenario(cls, s: Scenario, realistic: Efficiency | None = None) -> Draft:
        return cls(
            model=s.model.id,
            gpu=s.gpu.id,
            gpus=s.gpus,
            tp=s.tp,
            input_tokens=s.input_tokens,
            output_tokens=s.output_tokens,
            batch_sizes=s.batch_sizes,
            mode=s.mode,
            flop_count=None
            if s.flop_count == ("article" if s.mode == "ideal" else "flash")
            else s.flop_count,
            price_per_gpu_hour=s.price_per_gpu_hour,
            gamma=s.gamma,
            weight_dtype=s.weight_dtype,
            kv_dtype=s.kv_dtype,
            efficiency=s.efficiency
            if s.mode == "realistic"
            else (realistic or default_efficiency()),
            serving=s.serving,
        )


def field_text(draft: Draft, name: str) -> str:
    """How a field shows the draft's value (what the user would type for it)."""
    if name.startswith("eff."):
        from tui.panes.workload import FACTOR_SCALE

        return f"{getattr(draft.efficiency, name[4:]) * FACTOR_SCALE[name[4:]]:.4g}"
    value = getattr(draft, name)
    if name == "batch_sizes":
        return format_batch_sizes(value)
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)
