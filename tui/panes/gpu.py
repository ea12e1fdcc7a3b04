"""GPU pane: the catalog with filter; count, tensor-parallel degree, price; key facts."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from rich.text import Text
from textual.app import ComposeResult

from engine.errors import terminal_safe
from engine.physics.specs import GIB, GPUSpec
from engine.scenario.resolve import MAX_GPUS, MAX_PRICE
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.views.dashboard import Dashboard
from engine.views.format import layout_words
from tui.panes.catalog_list import CatalogList, Entry
from tui.panes.jumps import key_of
from tui.state import Draft, field_text
from tui.widgets import Facts, Field, SidePane, number

#: The GPU list's groups, in the order shown.
GPU_GROUPS = (
    "NVIDIA data centre",
    "NVIDIA workstation",
    "NVIDIA GeForce",
    "AMD",
    "Apple",
    "Other",
)
#: A vendor named by a GPU file's ``vendor`` or, where that is empty, guessed from its id and name.
_VENDORS = (
    ("nvidia", re.compile(r"nvidia|geforce|quadro|tesla|\b[gr]tx\b")),
    ("amd", re.compile(r"\bamd\b|radeon|instinct|\bmi\d{3}")),
    ("apple", re.compile(r"apple|\bm\d\b")),
)
#: GeForce: named so, a GTX or TITAN, or an RTX numbered like the consumer cards (2060, 3080,
#: 4090, 5090: the hundreds digit 5 to 9; the workstation RTX 4000/5000/6000 have 0).
_GEFORCE = re.compile(r"geforce|titan|\bgtx|\brtx[ -]?[1-5]0[5-9]0")
#: Workstation: the other RTX cards (A6000, 6000 Ada, PRO 6000) and Quadro.
_WORKSTATION = re.compile(r"\brtx\b|quadro")
#: "24GB" in a name: the note shows the memory instead.
_MEMORY = re.compile(r"\s*\b\d+\s?GB\b", re.IGNORECASE)


def gpu_group(gpu: GPUSpec) -> str:
    """The heading ``gpu`` is listed under, from its vendor and its id and name."""
    text = f"{gpu.id} {gpu.name}".lower()
    vendor = gpu.vendor.lower() or next((v for v, p in _VENDORS if p.search(text)), "")
    if vendor == "nvidia":
        if _GEFORCE.search(text):
            return "NVIDIA GeForce"
        return "NVIDIA workstation" if _WORKSTATION.search(text) else "NVIDIA data centre"
    return {"amd": "AMD", "apple": "Apple"}.get(vendor, "Other")


def gpu_entries(gpus: Iterable[GPUSpec]) -> list[Entry]:
    """The GPU list: by group, then by memory (what a model needs first), then by name."""
    rows = sorted(
        ((gpu_group(g), g) for g in gpus),
        key=lambda r: (GPU_GROUPS.index(r[0]), r[1].memory_bytes, r[1].name.lower()),
    )
    return [
        Entry(g.id, _label(g, group), group, f"{g.memory_bytes / GIB:.0f} GB", g.name)
        for group, g in rows
    ]


def _label(gpu: GPUSpec, group: str) -> str:
    """The name without what the heading and the note say: "NVIDIA GeForce RTX 4090 24GB" under
    "NVIDIA GeForce" is "RTX 4090"; the parenthesis (core count, nvidia-smi name) and the
    "Generation" of "RTX 6000 Ada Generation" are dropped (the filter still matches them)."""
    name = _MEMORY.sub("", gpu.name.split(" (")[0])
    words = [w for w in name.split() if w.lower() != "generation"]
    heading = set(group.lower().split())
    while len(words) > 1 and words[0].lower() in heading:
        words.pop(0)
    return " ".join(words) or gpu.id


def _degree(what: str) -> Callable[[str], int | None]:
    """A PP or EP field: a whole number, or empty for 1."""

    def parse(text: str) -> int | None:
        text = text.strip()
        return None if text == "" else number(int, 1, MAX_GPUS, what)(text)

    return parse


def _tp(text: str) -> int | None:
    text = text.strip()
    return None if text in ("", "auto") else number(int, 1, MAX_GPUS, "TP")(text)


class GPUPane(SidePane):
    def __init__(self, catalog: Catalog, draft: Draft, scenario: Scenario) -> None:
        super().__init__(id="gpu-pane", classes="pane")
        self.border_title = "GPU"
        self.catalog = catalog
        self.draft = draft
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        d, s = self.draft, self.scenario
        yield CatalogList(
            "gpu",
            gpu_entries(self.catalog.gpus.values()),
            s.gpu.id,
            what="GPUs",
            key=key_of("gpu"),
        )
        yield Field(
            "gpus",
            "GPUs",
            field_text(d, s, "gpus"),
            number(int, 1, MAX_GPUS, "GPUs"),
            tooltip="how many GPUs; beyond one TP group they are replicas",
            key=key_of("gpus"),
        )
        yield Field(
            "tp",
            "TP",
            field_text(d, s, "tp"),
            _tp,
            placeholder="= GPUs",
            tooltip="tensor-parallel degree; empty: all GPUs (of a pipeline stage)",
            key=key_of("tp"),
        )
        yield Field(
            "pp",
            "PP",
            field_text(d, s, "pp"),
            _degree("PP"),
            placeholder="1",
            tooltip="pipeline stages: consecutive layers on each TP group (llama.cpp's layer "
            "split); GPUs = TP x PP x replicas",
        )
        yield Field(
            "ep",
            "EP",
            field_text(d, s, "ep"),
            _degree("EP"),
            placeholder="1",
            tooltip="expert parallelism (mixtures of experts): experts spread whole over EP GPUs, "
            "a multiple of TP; 1: every expert sliced over the TP group",
        )
        yield Field(
            "price_per_gpu_hour",
            "$ / GPU-h",
            field_text(d, s, "price_per_gpu_hour"),
            _price,
            placeholder="catalog price",
            key=key_of("price"),
        )
        yield Facts(id="gpu-facts", classes="facts")

    def refresh_catalog(self) -> None:
        self.query_one(CatalogList).set_entries(gpu_entries(self.catalog.gpus.values()))

    def show(self, draft: Draft, d: Dashboard) -> None:
        self.draft = draft
        self.query_one(CatalogList).select(d.scenario.gpu.id)
        s, g = d.scenario, d.scenario.gpu
        link = g.interconnect
        # Five lines of at most 26 characters: the height is fixed, so no relayout.
        replicas = f" x{s.replicas}" if s.replicas > 1 else ""
        kind = terminal_safe(link.kind.split(" (")[0])  # a file's text: shown, never markup
        self.query_one("#gpu-facts", Facts).show(
            Text.assemble(
                (f"{g.memory_bytes / GIB:.0f} GB", "bold"),
                " · ",
                (f"{g.memory_bandwidth / 1e12:.2f} TB/s", "bold"),
                "\n",
                (f"{s.gpu.peak(s.weight_dtype) / 1e12:,.0f}", "bold"),
                f" TFLOP/s {g.compute_precision(s.weight_dtype)} dense\n",
                f"{kind} {link.bandwidth / 1e9:.0f} GB/s\nbalance ",
                (f"{g.machine_balance(s.weight_dtype):.0f}", "bold"),
                f" FLOP/byte\n{terminal_safe(layout_words(s))}{replicas} · "
                f"${s.price_per_gpu_hour:g}/GPU-h",
            )
        )


def _price(text: str) -> float | None:
    text = text.strip().lstrip("$")
    return None if text == "" else number(float, 0, MAX_PRICE, "price")(text)
