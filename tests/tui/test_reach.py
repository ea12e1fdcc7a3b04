"""Every input in reach (issue #12): a jump key focuses each input, in view, at the README's 100x30
and at 80x24; the keys are shown beside the inputs, in the footer and in the help; a refused
combination is explained at its field with the last valid scenario kept and no stacked
notifications; below the minimum size the screen says so; at 80x24 every chart keeps its key."""

from __future__ import annotations

import pytest
from support import app_from_args
from textual import events
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, Input, Static, Tab
from textual.widgets._footer import FooterKey, FooterLabel

from tui.app import TokentuiApp
from tui.help import HELP
from tui.panes.catalog_list import CatalogList
from tui.panes.jumps import JUMPS, key_of
from tui.screens.main import MIN_SIZE, MainScreen
from tui.widgets import Choice, Field

SIZES = [(100, 30), (80, 24)]


def make_app(*args: str) -> TokentuiApp:
    app: TokentuiApp = app_from_args(*args)
    return app


def count_notifications(app: TokentuiApp) -> list[str]:
    """The messages the app notifies from now on (the toasts expire; this list does not)."""
    said: list[str] = []
    notify = app.notify

    def counted(message: str, *args: object, **kwargs: object) -> None:
        said.append(message)
        notify(message, *args, **kwargs)  # type: ignore[arg-type]

    app.notify = counted  # type: ignore[method-assign]
    return said


def in_view(screen: MainScreen, widget: Widget) -> bool:
    """Drawn whole on the screen, inside the side panel (not scrolled out of it)."""
    region = widget.region
    side = screen.query_one("#side-panes").region
    return region.area > 0 and side.contains_region(region)


def shown_target(screen: MainScreen, selector: str) -> Widget:
    return next(w for w in screen.query(selector) if w.display)


def shown_key(widget: Widget) -> str:
    """The jump key shown beside ``widget`` (a field, a choice, a catalog's filter)."""
    for node in (widget, *widget.ancestors):
        if isinstance(node, Field | Choice | CatalogList):
            return node.key
    return ""


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()


async def jump_and_type(pilot: Pilot[None], key: str, text: str) -> Input:
    """As a user would: back to the charts, the jump key, clear the field, type ``text``."""
    await pilot.press("escape", key)
    await settle(pilot)
    field_input = pilot.app.focused
    assert isinstance(field_input, Input)
    await pilot.press("end", *["backspace"] * len(field_input.value), *text)
    await settle(pilot)
    return field_input


@pytest.mark.parametrize("size", SIZES)
async def test_each_jump_key_focuses_its_input_in_view(size: tuple[int, int]) -> None:
    app = make_app("--concurrency", "1,8,32")  # the load axis: the concurrency field
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.main
        for jump in JUMPS:
            screen.action_leave_field()  # from the charts, as on start
            await pilot.pause()
            await pilot.press(jump.key)
            await settle(pilot)
            target = shown_target(screen, jump.target)
            focused = app.focused
            assert focused is not None
            assert focused is target or target in focused.ancestors, jump.name
            assert in_view(screen, target), (jump.name, target.region)
            assert shown_key(target) == key_of(jump.name), jump.name  # shown at the input


@pytest.mark.parametrize("size", SIZES)
async def test_a_jump_from_a_field_needs_esc_or_alt(size: tuple[int, int]) -> None:
    """In a text field the letters type; Esc then the key, or Alt+key, jumps."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        screen = app.main
        await pilot.press("n")
        await settle(pilot)
        assert app.focused is screen.field("gpus").input
        assert screen.field("gpus").has_class("-focus")  # the label shown reversed
        app.post_message(events.Key("alt+i", "i"))  # as a terminal sends it: Esc, then i
        await settle(pilot)
        assert screen.field("gpus").input.value == "4"  # not typed there
        assert app.focused is screen.field("input_tokens").input
        assert in_view(screen, screen.field("input_tokens"))
        await pilot.press("escape", "t")
        await settle(pilot)
        assert app.focused is screen.field("tp").input
        assert screen.dashboard.scenario.gpus == 4  # nothing typed on the way


def footer_keys(app: TokentuiApp) -> set[str]:
    """The keys the footer shows; each drawn whole, none under the palette key or off the edge."""
    footer = app.screen.query_one(Footer)
    keys = list(footer.query(FooterKey))
    palette = next(k for k in keys if k.has_class("-command-palette"))
    for k in keys:
        if k is not palette:
            assert k.region.right <= palette.region.x, (k.key, k.region, palette.region)
    return {k.key for k in keys}


@pytest.mark.parametrize("size", SIZES)
async def test_the_footer_and_the_help_name_the_jump_keys(size: tuple[int, int]) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        shown = footer_keys(app)  # the charts focused, as on start
        assert {"f", "g", "n", "t", "i", "o", "l", "question_mark"} <= shown
        footer = app.screen.query_one(Footer)
        assert any(str(label.render()) == "jump" for label in footer.query(FooterLabel))
        await pilot.press("e")  # a choice in the side panel: the keys work as on the charts
        await settle(pilot)
        assert {"f", "g", "question_mark"} <= footer_keys(app)
        await pilot.press("n")  # in a text field the letters type: Esc is shown instead
        await settle(pilot)
        shown = footer_keys(app)
        assert "escape" in shown and "f" not in shown and "f1" in shown
    for jump in JUMPS:
        assert f"| {key_of(jump.name)} | jump to {jump.help} |" in HELP


async def test_a_refused_combination_is_shown_at_its_field_and_the_scenario_kept() -> None:
    app = make_app("--gpus", "8")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.main
        said = count_notifications(app)
        assert screen.dashboard.scenario.tp == 8
        tp_input = await jump_and_type(pilot, "t", "3")
        tp = screen.field("tp")
        assert tp_input.value == "3"
        assert "cannot be split" in tp.error and "kept: TP 8" in tp.error
        assert screen.dashboard.scenario.tp == 8
        assert in_view(screen, tp.query_one(".error"))
        gpu_tab = screen.query_one("#side-gpu-tab", Tab)
        assert "!" in str(gpu_tab.label)  # where the refusal is, from any tab
        assert len(said) == 1 and "cannot be split" in said[0]  # one, as the refusal began
        # typing on elsewhere: applied to the last valid scenario, no notification more
        await jump_and_type(pilot, "i", "1000")
        s = screen.dashboard.scenario
        assert (s.input_tokens, s.tp) == (1000, 8)
        assert len(said) == 1
        assert "kept: TP 8" in tp.error and tp_input.value == "3"
        # GPUs digit by digit, none of which takes TP 3: still one notification in all
        await jump_and_type(pilot, "n", "128")
        assert len(said) == 1
        assert screen.dashboard.scenario.tp != 3 and "groups of 3" in tp.error
        # fixing TP applies everything typed
        await jump_and_type(pilot, "t", "4")
        s = screen.dashboard.scenario
        assert (s.gpus, s.tp, s.input_tokens) == (128, 4, 1000)
        assert tp.error == "" and "!" not in str(gpu_tab.label)
        assert len(said) == 1


async def test_fixing_the_other_field_of_the_pair_clears_the_refusal() -> None:
    app = make_app("--gpus", "8")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main
        said = count_notifications(app)
        await jump_and_type(pilot, "t", "16")  # TP 16 on 8 GPUs ("1" on the way applied: TP 1)
        assert "groups of 16" in screen.field("tp").error
        assert "kept: TP 1" in screen.field("tp").error
        assert screen.dashboard.scenario.tp == 1
        await jump_and_type(pilot, "n", "16")  # 16 GPUs take TP 16
        s = screen.dashboard.scenario
        assert (s.gpus, s.tp) == (16, 16)
        assert screen.field("tp").error == ""
        assert len(said) == 1


async def test_a_refusal_in_a_tab_behind_is_marked_there() -> None:
    """Input tokens beyond the context: the reason under the field, the Load tab marked while
    another tab is in front."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.main
        await jump_and_type(pilot, "i", "200000")
        field = screen.field("input_tokens")
        assert "exceed" in field.error and "kept: input tokens" in field.error
        assert screen.dashboard.scenario.input_tokens == 20000  # the last valid keystroke
        await pilot.press("escape", "g")
        await settle(pilot)
        assert "!" in str(screen.query_one("#side-load-tab", Tab).label)
        assert isinstance(field, Field)


async def test_below_the_minimum_size_the_screen_says_so() -> None:
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        screen = app.main
        message = screen.query_one("#too-small")
        assert message.display and message.region.area > 0
        text = str(message.render())
        assert f"{MIN_SIZE.width}x{MIN_SIZE.height}" in text and "40x12" in text
        assert screen.query_one("#body").region.area == 0
        assert screen.query_one(Footer).region.area == 0
        await pilot.resize_terminal(100, 30)
        await settle(pilot)
        assert message.region.area == 0
        assert screen.query_one("#body").region.area > 0
        assert screen.visible_chart().size.width > 50
        await pilot.resize_terminal(MIN_SIZE.width, MIN_SIZE.height)  # the minimum itself draws
        await settle(pilot)
        assert message.region.area == 0 and screen.visible_chart().size.width >= 50
        await pilot.resize_terminal(MIN_SIZE.width - 1, 30)  # one column short
        await settle(pilot)
        assert message.region.area > 0 and f"{MIN_SIZE.width - 1}x30" in str(message.render())


#: Words of each chart's key (its legend, or the parts its title names).
CHART_KEYS = {
    "throughput": ("total", "per request"),
    "bottlenecks": ("weights", "KV cache", "compute", "comm", "overhead"),
    "cost": ("1M output", "1M input"),
    "context": ("KV", "ms/token"),
    "boundness": ("compute", "memory"),
    "roofline": ("roof", "prefill", "decode"),
    "serving": ("selected",),
    "latency": ("TTFT", "ITL"),
}


@pytest.mark.parametrize("chart", list(CHART_KEYS))
async def test_at_80x24_every_chart_keeps_its_key(chart: str) -> None:
    """The side panel narrows to 27 columns there, which leaves the charts room for their keys."""
    app = make_app("--concurrency", "1,8,32,128", "--engine", "vllm")  # the serving charts draw
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.main
        screen.action_chart(chart)
        await settle(pilot)
        widget = screen.visible_chart()
        text = "\n".join(widget.render_line(y).text for y in range(widget.size.height))
        missing = [w for w in CHART_KEYS[chart] if w not in text]
        assert not missing, (chart, missing, text)


async def test_the_tabs_behind_show_the_scenario_before_any_edit() -> None:
    """The GPU and Load tabs are mounted after the first frame; they show the scenario then,
    not only after the first edit."""
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        s = app.main.dashboard.scenario
        facts = str(app.main.query_one("#gpu-facts", Static).render())
        assert f"{s.gpu.memory_bytes / 2**30:.0f} GB" in facts and "TB/s" in facts
        assert f"${s.price_per_gpu_hour:g}/GPU-h" in facts
