"""GPU pane: the catalog with filter; count, tensor-parallel degree, price; key facts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical

from engine.physics.specs import GIB
from engine.scenario.resolve import MAX_GPUS, MAX_PRICE
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.views.dashboard import Dashboard
from tui.panes.catalog_list import CatalogList
from tui.state import Draft, field_text
from tui.widgets import Facts, Field, number


def _tp(text: str) -> int | None:
    text = text.strip()
    return None if text in ("", "auto") else number(int, 1, MAX_GPUS, "TP")(text)


class GPUPane(Vertical):
    def __init__(self, catalog: Catalog, draft: Draft, scenario: Scenario) -> None:
        super().__init__(id="gpu-pane", classes="pane")
        self.border_title = "GPU"
        self.catalog = catalog
        self.draft = draft
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        entries = [(g.id, g.name.split(" (")[0]) for g in self.catalog.gpus.values()]
        d, s = self.draft, self.scenario
        yield CatalogList("gpu", entries, s.gpu.id, what="GPUs")
        yield Field(
            "gpus",
            "GPUs",
            field_text(d, s, "gpus"),
            number(int, 1, MAX_GPUS, "GPUs"),
            tooltip="how many GPUs; beyond one TP group they are replicas",
        )
        yield Field(
            "tp",
            "TP",
            field_text(d, s, "tp"),
            _tp,
            placeholder="= GPUs",
            tooltip="tensor-parallel degree; empty: all GPUs",
        )
        yield Field(
            "price_per_gpu_hour",
            "$ / GPU-h",
            field_text(d, s, "price_per_gpu_hour"),
            _price,
            placeholder="catalog price",
        )
        yield Facts(id="gpu-facts", classes="facts")

    def refresh_catalog(self) -> None:
        self.query_one(CatalogList).set_entries(
            [(g.id, g.name.split(" (")[0]) for g in self.catalog.gpus.values()]
        )

    def show(self, draft: Draft, d: Dashboard) -> None:
        self.draft = draft
        self.query_one(CatalogList).select(d.scenario.gpu.id)
        s, g = d.scenario, d.scenario.gpu
        link = g.interconnect
        # Five lines of at most 26 characters: the height is fixed, so no relayout.
        replicas = f" x{s.replicas}" if s.replicas > 1 else ""
        self.query_one("#gpu-facts", Facts).show(
            f"[b]{g.memory_bytes / GIB:.0f} GB[/] · [b]{g.memory_bandwidth / 1e12:.2f} TB/s[/]\n"
            f"[b]{s.gpu.peak(s.weight_dtype) / 1e12:,.0f}[/] TFLOP/s "
            f"{g.compute_precision(s.weight_dtype)} dense\n"
            f"{link.kind.split(' (')[0]} {link.bandwidth / 1e9:.0f} GB/s\n"
            f"balance [b]{g.machine_balance(s.weight_dtype):.0f}[/] FLOP/byte\n"
            f"TP {s.tp}{replicas} · ${s.price_per_gpu_hour:g}/GPU-h"
        )


def _price(text: str) -> float | None:
    text = text.strip().lstrip("$")
    return None if text == "" else number(float, 0, MAX_PRICE, "price")(text)
