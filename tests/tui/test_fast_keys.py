"""Keys typed faster than the app draws (issue 13): each case is one that key mashing
(``test_key_mash``) found, sent at once as a terminal sends them, with the app alive and on the
screen it should be on after it. And the ANSI themes the palette's "Theme" command offers."""

from __future__ import annotations

from typing import Any

from support import app_from_args, send_at_once

from tui.app import TokentuiApp
from tui.charts import CHART_CLASSES, Chart
from tui.commands import TokentuiPalette
from tui.screens.main import MainScreen

SIZE = (100, 30)


def alive(app: Any) -> bool:
    return bool(app.is_running and app._exception is None and app.screen_stack)


async def test_a_second_enter_on_a_closing_palette_keeps_the_main_screen() -> None:
    """Textual's dismiss pops whatever screen is on top: the palette, closing on an Enter, got a
    second one and popped the main screen under it (then ScreenStackError); the same for the
    app's dialogs and a second Escape."""
    for keys in (
        ("ctrl+p", "down", "enter", "enter"),
        ("ctrl+p", "enter", "enter", "enter"),
        ("ctrl+p", "c", "h", "a", "r", "t", "enter", "enter"),  # not "app": it finds "app: quit"
        ("ctrl+o", "escape", "escape", "escape"),
        ("ctrl+b", "enter", "escape", "escape"),
        ("question_mark", "escape", "escape"),
    ):
        app: TokentuiApp = app_from_args()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            send_at_once(app, *keys)
            await pilot.pause(0.3)
            assert alive(app), keys
            assert isinstance(app.screen_stack[1], MainScreen), (keys, app.screen_stack)


async def test_the_palette_reopened_as_it_closes() -> None:
    """Ctrl+P while a palette was closing made a second one of the same fixed id
    (DuplicateIds); a letter typed as it closed started a search that found its list gone."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for keys in (
            ("ctrl+p", "escape", "ctrl+p"),
            ("escape", "ctrl+p", "a", "escape", "ctrl+p", "b"),
            ("enter", "enter", "escape"),
        ):
            send_at_once(app, *keys)
            await pilot.pause(0.2)
            assert alive(app), keys
        assert isinstance(app.screen, TokentuiPalette | MainScreen)


async def test_keys_typed_as_the_app_quits() -> None:
    """Keys after Ctrl+Q reached Textual's binding check with no screen left
    (ScreenStackError: a traceback, and now a non-zero exit, on an ordinary quit)."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        send_at_once(app, "ctrl+q", *"xxxxxxxx", "escape", "down")
        await pilot.pause()
    app = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        send_at_once(app, "ctrl+p", "ctrl+q")
        await pilot.pause()
        app.exit()
        send_at_once(app, *"xxxxxxxx", "escape", "down", "enter")  # as the app closes
    assert app._exception is None
    assert app.return_code == 0


async def test_the_charts_draw_on_the_ansi_themes() -> None:
    """The palette's "Theme" command offers ANSI themes, whose colours ("ansi_default 50%")
    Color.parse refuses: a chart's note crashed the app (ColorParseError)."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for theme in ("ansi-dark", "ansi-light", "textual-dark"):
            app.theme = theme
            for cid in CHART_CLASSES:
                app.main.action_chart(cid)
                await pilot.pause()
                chart = app.main.query_one(f"#chart-{cid}", Chart)
                chart.note = "this scenario does not fit"
                strips = chart._note_strips(60, 8)
                assert len(strips) == 8
                assert len(chart.surface()) == len(chart.foreground()) == 3
            assert alive(app), theme
