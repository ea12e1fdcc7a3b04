"""The garbage collector is off only while the app starts (tui.startup): a headless command turns
it back on before it runs, the app once its panes behind the first frame are mounted."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import tui.main
from tui import startup
from tui.main import app_from_argv


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    yield
    startup.release()
    gc.enable()
    gc.unfreeze()


def test_hold_and_release() -> None:
    startup.release()  # not held: nothing to do
    assert gc.isenabled() and not startup.held()
    startup.hold()
    assert not gc.isenabled() and startup.held()
    startup.release()
    assert gc.isenabled() and not startup.held()
    assert gc.get_freeze_count() > 0  # what the start made is out of the collector's sight


@pytest.mark.parametrize(
    ("argv", "on"), [(["gpus"], True), (["estimate", "--gpus", "2"], True), ([], False)]
)
def test_only_the_app_starts_with_it_off(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], on: bool
) -> None:
    seen: list[bool] = []

    def run(words: list[str], launch_app: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(tui.main, "cli_main", run)
    startup.hold()  # as the console script does first (tui.launch)
    assert tui.main.main(argv) == 0
    assert seen == [on]  # a headless command runs with the collector on
    assert gc.isenabled()  # and it is on once main returns, whatever ran


async def test_the_app_turns_it_on_once_its_panes_are_mounted() -> None:
    startup.hold()
    app = app_from_argv([])
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            if gc.isenabled():
                break
            await pilot.pause(0.05)
        assert gc.isenabled()
        assert app.main.query("#side-panes")  # released after the side panel was mounted
