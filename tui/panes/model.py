"""Model pane: the catalog with filter, precision, and the chosen model's key facts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.views.dashboard import Dashboard
from engine.views.format import human_bytes
from tui.panes.catalog_list import CatalogList
from tui.state import Draft
from tui.widgets import Choice, Facts


class ModelPane(Vertical):
    def __init__(self, catalog: Catalog, draft: Draft, scenario: Scenario) -> None:
        super().__init__(id="model-pane", classes="pane")
        self.border_title = "Model"
        self.catalog = catalog
        self.draft = draft
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        entries = [(m.id, m.name) for m in self.catalog.models.values()]
        yield CatalogList("model", entries, self.scenario.model.id, what="models")
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
        self.query_one(CatalogList).set_entries(
            [(m.id, m.name) for m in self.catalog.models.values()]
        )

    def show(self, draft: Draft, d: Dashboard) -> None:
        self.draft = draft
        self.query_one(CatalogList).select(d.scenario.model.id)
        self.query_one("#weight-dtype", Choice).show(d.scenario.weight_dtype)
        self.query_one("#kv-dtype", Choice).show(d.scenario.kv_dtype)
        m = d.scenario.model
        # Five lines of at most 26 characters: the height is fixed, so no relayout.
        self.query_one("#model-facts", Facts).show(
            f"[b]{d.params / 1e9:.2f} B[/] params, {m.num_layers} layers\n"
            f"hidden {m.hidden_size:,} · heads {m.num_attention_heads}/{m.num_key_value_heads}\n"
            f"weights [b]{human_bytes(d.weight_bytes)}[/] ({d.scenario.weight_dtype})\n"
            f"KV [b]{d.kv_bytes_per_token / 1e3:.0f} kB[/]/token\n"
            f"context {m.max_context:,} tokens"
        )
