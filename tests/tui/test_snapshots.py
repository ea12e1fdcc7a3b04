"""SVG snapshots of the main screen at 80x24 and 160x48, of the help screen, and of the serving
and latency charts of a closed loop.

Update after an intended change of the look: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from support import pinned_app

from tui.app import TokentuiApp


def app() -> TokentuiApp:
    """The article's setup, with fixed realistic factors (not the fitted profile): a refit
    does not change the pictures."""
    made: TokentuiApp = pinned_app()
    return made


def test_main_screen_80x24(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app(), terminal_size=(80, 24))


def test_main_screen_160x48(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app(), terminal_size=(160, 48))


def test_cost_chart_160x48(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def show_cost(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.main.query_one("#charts").focus()
        await pilot.press("3")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(160, 48), run_before=show_cost)


def test_help_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def open_help(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.main.query_one("#charts").focus()
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(app(), terminal_size=(100, 40), run_before=open_help)


def serving_app() -> TokentuiApp:
    """Llama 3.1 8B on one H100 under 1 to 512 users: the last one past the KV-cache wall."""
    made: TokentuiApp = pinned_app(
        model="llama-3.1-8b",
        gpu="h100-sxm",
        gpus=1,
        load="concurrency",
        concurrency=(1, 8, 32, 128, 512),
    )
    return made


def test_serving_chart_100x30(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def show_serving(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.main.query_one("#charts").focus()
        await pilot.press("8")
        await pilot.pause()

    assert snap_compare(serving_app(), terminal_size=(100, 30), run_before=show_serving)


def test_latency_chart_100x30(snap_compare) -> None:  # type: ignore[no-untyped-def]
    async def show_latency(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.main.query_one("#charts").focus()
        await pilot.press("9")
        await pilot.pause()

    assert snap_compare(serving_app(), terminal_size=(100, 30), run_before=show_latency)
