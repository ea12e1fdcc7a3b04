"""The model and GPU lists: group headings the cursor skips, filtering that hides empty groups,
Enter in the filter, labels that look like markup, and where a GPU or model is grouped."""

from __future__ import annotations

from dataclasses import replace

from support import app_from_args
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from engine.physics.arch import param_counts
from engine.physics.specs import GPUSpec, ModelSpec
from engine.storage.catalog import default_catalog
from tui.app import TokentuiApp
from tui.panes.catalog_list import CatalogList, Entry
from tui.panes.gpu import GPU_GROUPS, gpu_entries, gpu_group
from tui.panes.model import model_entries, model_group
from tui.widgets import Edit


class ListApp(App[None]):
    """One CatalogList, and the edits it reports."""

    def __init__(self, entries: list[Entry], selected: str) -> None:
        super().__init__()
        self.entries, self.selected = entries, selected
        self.edits: list[tuple[str, object]] = []

    def compose(self) -> ComposeResult:
        yield CatalogList("gpu", self.entries, self.selected, what="GPUs")

    def on_edit(self, message: Edit) -> None:
        self.edits.append((message.name, message.value))


TWO_GROUPS = [
    Entry("a1", "Alpha one", "Group A"),
    Entry("a2", "Alpha two", "Group A"),
    Entry("b1", "Beta one", "Group B", note="8 GB"),
    Entry("b2", "Beta two", "Group B"),
]


def lines(options: OptionList) -> list[str]:
    """The list as it is drawn."""
    return [options.render_line(y).text.rstrip() for y in range(options.size.height)]


def headings(options: OptionList) -> list[str]:
    return [str(o.prompt) for o in options.options if o.disabled]


def groups(options: OptionList) -> dict[str, list[str]]:
    """Each heading with the ids listed under it."""
    found: dict[str, list[str]] = {}
    current = ""
    for o in options.options:
        if o.disabled:
            current = str(o.prompt)
            found[current] = []
        else:
            assert o.id is not None
            found.setdefault(current, []).append(o.id)
    return found


async def type_filter(pilot: Pilot[None], box: Input, text: str) -> None:
    box.focus()
    box.value = ""
    await pilot.press(*text)
    await pilot.pause()


async def test_gpu_list_has_headings_that_cannot_be_chosen() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        options = app.main.query_one("#gpu-list", OptionList)
        shown = groups(options)
        assert list(shown) == [
            "NVIDIA data centre",
            "NVIDIA workstation",
            "NVIDIA GeForce",
            "AMD",
            "Apple",
        ]
        assert {"h100-sxm", "h200", "a100-80gb", "l4", "gb200"} <= set(shown["NVIDIA data centre"])
        assert {"rtx-a6000", "rtx-6000-ada", "rtx-pro-6000"} <= set(shown["NVIDIA workstation"])
        assert {"rtx-3090", "rtx-4090", "rtx-5090"} <= set(shown["NVIDIA GeForce"])
        assert {"mi300x"} <= set(shown["AMD"]) and {"apple-m3-ultra"} <= set(shown["Apple"])
        gpus = default_catalog().gpus
        for ids in shown.values():  # by memory within a group
            memory = [gpus[i].memory_bytes for i in ids]
            assert memory == sorted(memory)
        for o in options.options:  # a heading has no id; every entry is enabled
            assert o.disabled == (o.id is None)
        # Clicking or selecting a heading reports nothing: OptionList refuses disabled options.
        before = app.main.dashboard.scenario.gpu.id
        options.focus()
        await pilot.pause()
        options.highlighted = 0
        options.action_select()
        await pilot.pause()
        assert options.options[0].disabled and app.main.dashboard.scenario.gpu.id == before
        # The choice is marked and drawn with its memory.
        assert any(
            line.lstrip().startswith("▸H100 SXM5") and "80 GB" in line for line in lines(options)
        )


async def test_model_list_is_grouped_by_family() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        shown = groups(app.main.query_one("#model-list", OptionList))
        assert list(shown)[:2] == ["Llama", "Qwen"]
        assert {"Mistral", "Gemma"} <= set(shown)
        assert "llama-3.3-70b" in shown["Llama"] and "qwen2.5-7b" in shown["Qwen"]
        assert "gemma-2-9b" in shown["Gemma"] and "mistral-7b" in shown["Mistral"]


async def test_filter_rtx_leaves_the_rtx_groups_and_enter_picks_the_first() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main
        options = screen.query_one("#gpu-list", OptionList)
        await type_filter(pilot, screen.query_one("#gpu-filter", Input), "rtx")
        shown = groups(options)
        assert list(shown) == ["NVIDIA workstation", "NVIDIA GeForce"]  # empty groups hidden
        assert all(ids and all(i.startswith("rtx-") for i in ids) for ids in shown.values())
        assert screen.dashboard.scenario.gpu.id == "h100-sxm"  # typing chooses nothing
        first = shown["NVIDIA workstation"][0]
        assert options.options[0].disabled  # the first line is a heading, not a choice
        await pilot.press("enter")
        await pilot.pause()
        assert screen.dashboard.scenario.gpu.id == first
        # Words match the heading and the full name too: "geforce 24" is the 24 GB GeForce cards.
        await type_filter(pilot, screen.query_one("#gpu-filter", Input), "geforce 24")
        assert groups(options) == {"NVIDIA GeForce": ["rtx-3090", "rtx-4090"]}
        await type_filter(pilot, screen.query_one("#gpu-filter", Input), "zzz")
        assert options.option_count == 0
        await pilot.press("enter")  # nothing to pick
        await pilot.pause()
        assert screen.dashboard.scenario.gpu.id == first


async def test_arrows_skip_headings() -> None:
    app = ListApp(TWO_GROUPS, "a1")
    async with app.run_test(size=(40, 12)) as pilot:
        options = app.query_one(OptionList)
        assert headings(options) == ["Group A", "Group B"]
        assert options.highlighted == 1  # the choice, below the first heading
        options.focus()
        await pilot.press("down")
        await pilot.pause()
        assert options.highlighted_option is not None and options.highlighted_option.id == "a2"
        await pilot.press("down")  # over "Group B"
        await pilot.pause()
        assert options.highlighted == 4 and options.highlighted_option.id == "b1"
        assert app.edits == [("gpu", "a2"), ("gpu", "b1")]  # with focus, highlighting chooses
        await pilot.press("up")
        await pilot.pause()
        assert options.highlighted_option.id == "a2"
        await pilot.press("home")
        await pilot.pause()
        assert options.highlighted_option.id == "a1"
        await pilot.press("up")  # wraps to the last entry, never onto a heading
        await pilot.pause()
        assert options.highlighted_option.id == "b2"
        await pilot.press("end", "down")
        await pilot.pause()
        assert options.highlighted_option.id == "a1"
        assert app.query_one(CatalogList).selected == "a1"


async def test_without_focus_the_list_only_shows_the_choice() -> None:
    app = ListApp(TWO_GROUPS, "a1")
    async with app.run_test(size=(40, 12)) as pilot:
        catalog = app.query_one(CatalogList)
        options = app.query_one(OptionList)
        catalog.select("b2")  # the app moved the choice: not reported, marked and highlighted
        await pilot.pause()
        assert catalog.selected == "b2" and app.edits == []
        assert options.highlighted_option is not None and options.highlighted_option.id == "b2"
        assert "▸Beta two" in "\n".join(lines(options))
        assert "▸Alpha one" not in "\n".join(lines(options))
        await type_filter(pilot, app.query_one(Input), "one")
        assert groups(options) == {"Group A": ["a1"], "Group B": ["b1"]}
        assert options.highlighted is None and app.edits == []  # the choice is filtered out
        await pilot.press("enter")
        await pilot.pause()
        assert app.edits == [("gpu", "a1")] and catalog.selected == "a1"
        # Plain (id, label) pairs still work: no group, no heading.
        catalog.set_entries([("x", "Plain x"), ("a1", "Plain one")])
        await pilot.pause()
        assert headings(options) == [] and [o.id for o in options.options] == ["a1"]
        assert lines(options)[0].startswith("▸Plain one")


async def test_labels_that_look_like_markup_are_shown_as_written() -> None:
    entries = [
        Entry("foo", "Foo [/b] bar", "[b]Group[/"),
        Entry("red", "[red]not red", "[b]Group[/", note="[/] 8 GB"),
        Entry("link", "x [@click=app.quit]q[/]", "Other"),
    ]
    app = ListApp(entries, "foo")
    async with app.run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        catalog = app.query_one(CatalogList)
        drawn = lines(app.query_one(OptionList))
        assert drawn[0] == "[b]Group[/"
        assert drawn[1] == "▸Foo [/b] bar"
        assert drawn[2].startswith(" [red]not red") and drawn[2].endswith("[/] 8 GB")
        assert drawn[4] == " x [@click=app.quit]q[/]"
        catalog.select("red")
        await type_filter(pilot, app.query_one(Input), "[/b")
        await pilot.pause()
        assert lines(app.query_one(OptionList))[:2] == ["[b]Group[/", " Foo [/b] bar"]
        await pilot.press("enter")
        await pilot.pause()
        assert app.edits == [("gpu", "foo")]
        assert lines(app.query_one(OptionList))[1] == "▸Foo [/b] bar"


def test_a_users_gpu_lands_in_a_sensible_group(h100: GPUSpec) -> None:
    def gpu(name: str, vendor: str = "", ident: str = "mine") -> GPUSpec:
        return replace(h100, id=ident, name=name, vendor=vendor)

    assert gpu_group(gpu("GeForce RTX 3060 12GB")) == "NVIDIA GeForce"
    assert gpu_group(gpu("NVIDIA GeForce GTX 1660", "nvidia")) == "NVIDIA GeForce"
    assert gpu_group(gpu("NVIDIA RTX 5000 Ada Generation 32GB", "nvidia")) == "NVIDIA workstation"
    assert gpu_group(gpu("Quadro RTX 8000")) == "NVIDIA workstation"
    assert gpu_group(gpu("Tesla T4")) == "NVIDIA data centre"
    assert gpu_group(gpu("NVIDIA H20", "nvidia")) == "NVIDIA data centre"
    assert gpu_group(gpu("Radeon RX 7900 XTX")) == "AMD"
    assert gpu_group(gpu("Instinct MI250X", "amd")) == "AMD"
    assert gpu_group(gpu("M2 Pro", "apple")) == "Apple"
    assert gpu_group(gpu("Intel Arc A770", "intel")) == "Other"
    assert gpu_group(gpu("Something", ident="x")) == "Other"
    for group in {gpu_group(g) for g in default_catalog().gpus.values()}:
        assert group in GPU_GROUPS and group != "Other"
    # The label drops what the heading and the memory column say.
    (entry,) = gpu_entries([gpu("NVIDIA GeForce RTX 4090 24GB (AD102)", "nvidia")])
    assert (entry.label, entry.group, entry.note) == ("RTX 4090", "NVIDIA GeForce", "80 GB")


def test_models_group_by_family_and_mark_moe(llama8: ModelSpec) -> None:
    moe = replace(
        llama8,
        id="mixtral-test",
        name="Mixtral Test",
        family="mixtral",
        num_experts=8,
        experts_per_token=2,
    )
    assert model_group(moe) == "Mistral"
    assert model_group(replace(llama8, family="qwen3_moe", name="Qwen3 30B-A3B")) == "Qwen"
    assert model_group(replace(llama8, family="deepseek_v3", name="DeepSeek-V3")) == "DeepSeek"
    assert model_group(replace(llama8, family="gpt_oss", name="gpt-oss-20b")) == "gpt-oss"
    assert model_group(replace(llama8, family="gemma2", name="Gemma 2 9B")) == "Gemma"
    assert model_group(replace(llama8, family="phi3", name="Phi-3 mini")) == "Other"
    # The Llama layout is the default family: a model not called Llama goes by its name.
    assert model_group(replace(llama8, name="Yi 34B")) == "Other"
    assert model_group(replace(llama8, name="Mistral 7B v0.1")) == "Mistral"
    entries = {e.id: e for e in model_entries([llama8, moe])}
    counts = param_counts(moe)
    assert counts.active < counts.total
    total, active = round(counts.total / 1e9), round(counts.active / 1e9)
    assert entries["mixtral-test"].note == f"MoE {total}/{active}B"
    assert entries[llama8.id].note == ""  # a dense model has no note
