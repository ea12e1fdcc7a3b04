"""Model pane: the catalog with filter, precision, and the chosen model's key facts."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult

from engine.physics.arch import param_counts
from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES, ModelSpec
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.views.dashboard import Dashboard
from engine.views.format import human_bytes
from tui.panes.catalog_list import CatalogList, Entry
from tui.panes.jumps import key_of
from tui.state import Draft
from tui.widgets import Choice, Facts, SidePane

#: The model list's groups, in the order shown, each with the words of the ``family`` values
#: (Hugging Face's ``model_type``: qwen2, qwen3_moe, mixtral, deepseek_v3, gpt_oss) it takes.
MODEL_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Llama", ("llama",)),
    ("Qwen", ("qwen",)),
    ("Mistral", ("mistral", "mixtral", "ministral", "codestral")),
    ("Gemma", ("gemma",)),
    ("DeepSeek", ("deepseek",)),
    ("gpt-oss", ("gpt_oss",)),
    ("Other", ()),
)


def _group_of(text: str) -> str | None:
    text = text.lower().replace("-", "_")
    return next((g for g, starts in MODEL_GROUPS if any(s in text for s in starts)), None)


def model_group(model: ModelSpec) -> str:
    """The heading ``model`` is listed under: its family; a model of the Llama layout (the
    default family) that is not called Llama goes by its name (a Yi, a distilled DeepSeek)."""
    group = _group_of(model.family)
    if group in (None, "Llama") and "llama" not in model.name.lower():
        group = _group_of(model.name)
    return group or "Other"


def _billions(n: int) -> str:
    return f"{n / 1e9:.0f}" if n >= 10e9 else f"{n / 1e9:.1f}"


def model_entries(models: Iterable[ModelSpec]) -> list[Entry]:
    """The model list: by group, then by size, then by name; a mixture of experts noted with
    its total and active parameters ("MoE 47/13B": 46.7 B in all, 12.9 B per token)."""
    order = [g for g, _ in MODEL_GROUPS]
    rows = sorted(
        ((model_group(m), param_counts(m), m) for m in models),
        key=lambda r: (order.index(r[0]), r[1].total, r[2].name.lower()),
    )
    return [
        Entry(
            m.id,
            m.name,
            group,
            f"MoE {_billions(c.total)}/{_billions(c.active)}B" if m.is_moe else "",
            m.family,
        )
        for group, c, m in rows
    ]


class ModelPane(SidePane):
    def __init__(self, catalog: Catalog, draft: Draft, scenario: Scenario) -> None:
        super().__init__(id="model-pane", classes="pane")
        self.border_title = "Model"
        self.catalog = catalog
        self.draft = draft
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        entries = model_entries(self.catalog.models.values())
        yield CatalogList(
            "model", entries, self.scenario.model.id, what="models", key=key_of("model")
        )
        yield Facts(id="model-facts", classes="facts")
        yield Choice(
            "weight_dtype",
            "weights",
            [(d, d) for d in WEIGHT_DTYPES],
            self.scenario.weight_dtype,
            id="weight-dtype",
            tooltip="precision of the weights (int4 is weight-only: the math stays 16-bit)",
        )
        yield Choice(
            "kv_dtype",
            "KV cache",
            [(d, d) for d in KV_DTYPES],
            self.scenario.kv_dtype,
            id="kv-dtype",
        )

    def refresh_catalog(self) -> None:
        self.query_one(CatalogList).set_entries(model_entries(self.catalog.models.values()))

    def show(self, draft: Draft, d: Dashboard) -> None:
        self.draft = draft
        self.query_one(CatalogList).select(d.scenario.model.id)
        self.query_one("#weight-dtype", Choice).show(d.scenario.weight_dtype)
        self.query_one("#kv-dtype", Choice).show(d.scenario.kv_dtype)
        m = d.scenario.model
        # Five lines of at most 26 characters: the height is fixed, so no relayout.
        if m.is_moe:
            active = param_counts(m).active / 1e9
            shape = f"{m.experts_per_token}/{m.num_experts} experts · {active:.1f} B act."
        else:
            shape = (
                f"hidden {m.hidden_size:,} · heads {m.num_attention_heads}/{m.num_key_value_heads}"
            )
        mla = " (MLA)" if m.is_mla else ""
        self.query_one("#model-facts", Facts).show(
            Text.assemble(
                (f"{d.params / 1e9:.2f} B", "bold"),
                f" params, {m.num_layers} layers\n{shape}\nweights ",
                (human_bytes(d.weight_bytes), "bold"),
                f" ({d.scenario.weight_dtype})\nKV ",
                (f"{d.kv_bytes_per_token / 1e3:.0f} kB", "bold"),
                f"/token{mla}\ncontext {m.max_context:,} tokens",
            )
        )
