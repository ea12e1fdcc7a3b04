"""Model pane: the catalog with filter, precision, and the chosen model's key facts."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Select, Static

from engine.catalog import Catalog
from engine.dashboard import Dashboard
from engine.report import human_bytes
from engine.specs import KV_DTYPES, WEIGHT_DTYPES
from tui.panes.catalog_list import CatalogList
from tui.state import Draft
from tui.widgets import Edit


class ModelPane(Vertical):
    def __init__(self, catalog: Catalog, draft: Draft) -> None:
        super().__init__(id="model-pane", classes="pane")
        self.border_title = "Model"
        self.catalog = catalog
        self.draft = draft

    def compose(self) -> ComposeResult:
        entries = [(m.id, m.name) for m in self.catalog.models.values()]
        yield CatalogList("model", entries, self.draft.model, what="models")
        yield Static(id="model-facts", classes="facts")
        yield Select(
            [(f"weights {d}", d) for d in WEIGHT_DTYPES],
            value=self.draft.weight_dtype or "bf16",
            allow_blank=False,
            compact=True,
            id="weight-dtype",
            tooltip="precision of the weights (int4 is weight-only: the math stays 16-bit)",
        )
        yield Select(
            [(f"KV cache {d}", d) for d in KV_DTYPES],
            value=self.draft.kv_dtype,
            allow_blank=False,
            compact=True,
            id="kv-dtype",
        )

    @on(Select.Changed)
    def _precision(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "weight-dtype" and event.value != self.draft.weight_dtype:
            self.post_message(Edit("weight_dtype", event.value))
        elif event.select.id == "kv-dtype" and event.value != self.draft.kv_dtype:
            self.post_message(Edit("kv_dtype", event.value))

    def show(self, draft: Draft, d: Dashboard) -> None:
        self.draft = draft
        self.query_one(CatalogList).select(draft.model)
        for sel_id, value in (
            ("#weight-dtype", d.scenario.weight_dtype),
            ("#kv-dtype", d.scenario.kv_dtype),
        ):
            select = self.query_one(sel_id, Select)
            if select.value != value:
                with select.prevent(Select.Changed):
                    select.value = value
        m = d.scenario.model
        self.query_one("#model-facts", Static).update(
            f"[b]{d.params / 1e9:.2f} B[/] params · {m.num_layers} layers\n"
            f"hidden {m.hidden_size:,} · {m.num_attention_heads}/{m.num_key_value_heads} heads\n"
            f"[b]{human_bytes(d.weight_bytes)}[/] {d.scenario.weight_dtype} · "
            f"[b]{d.kv_bytes_per_token / 1e3:.0f} kB[/] KV/tok\n"
            f"max context {m.max_context:,}"
        )
