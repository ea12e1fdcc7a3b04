"""Key mashing (issue 13): a fixed random sequence of thousands of key presses over every screen
of the app, and the app is alive throughout.

What it runs: :data:`PRESSES` (3,000) keys drawn (seed :data:`SEED`) from every key the app, its
screens, dialogs and widgets bind, plus letters, digits, Tab, Shift+Tab, Enter, Escape, the arrows,
Home/End, PageUp/PageDown and Backspace, with the keys that open a screen (Ctrl+P palette, Ctrl+O
presets, Ctrl+B measured results, Ctrl+S save, b bench, ? help) drawn more often so that every
screen is reached many times; at 100x30, in a temporary user folder, in a temporary working folder
(x exports there), the Bench screen talking to the in-process fake server. Ctrl+Q is not drawn
and a quit asked another way (the palette's "app: quit") is counted, not done: the app must not
leave. After each chunk of presses: the app runs, no exception was raised in it, the screen stack
is not empty; at the end: every kind of screen was visited.

Keys are sent as a terminal sends them, a chunk of :data:`CHUNK` at once (a Pilot's press waits
for each key to be handled, which hides the races and takes ~0.2 s a key here), then the app is
let run until idle.

What it found (each fixed, the run failing before): a KeyError in Textual's command list (PageUp
just after Ctrl+P); NoMatches in the palette's search worker (a letter, then Escape); a second
Escape or Enter reaching a dialog or palette already dismissed popped the main screen under it
(then ScreenStackError); Ctrl+P while a palette was closing raised DuplicateIds (Textual's fixed
id); keys reaching a dialog before its widgets were mounted (NoMatches); the palette's "Theme"
command's ANSI themes crashed the charts (ColorParseError). See :mod:`tui.commands`
(:class:`~tui.commands.TokentuiPalette`), :class:`tui.widgets.OnceModal`, ``test_hostile_app``.
"""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import pytest
from bench_fakes import FakeServer
from support import app_from_args, send_at_once
from textual.app import App
from textual.binding import Binding

from tui.app import TokentuiApp
from tui.dialogs import ConfirmDialog, NameDialog, PresetPicker
from tui.help import HelpScreen
from tui.results_dialog import BenchmarkDialog
from tui.screens.bench import BenchScreen
from tui.screens.main import MainScreen
from tui.widgets import Choice

SEED = 13
PRESSES = 3000
CHUNK = 20
#: The app's own classes with key bindings, and Textual's App (its palette key).
BOUND = (TokentuiApp, MainScreen, BenchScreen, HelpScreen, NameDialog, ConfirmDialog)
BOUND_TOO = (PresetPicker, BenchmarkDialog, Choice, App)
NEVER = {"ctrl+q", "ctrl+z"}  # quit; suspend (a real terminal's job stop)
PLAIN = [
    *string.ascii_lowercase,
    *string.digits,
    "tab",
    "shift+tab",
    "enter",
    "escape",
    "up",
    "down",
    "left",
    "right",
    "home",
    "end",
    "pageup",
    "pagedown",
    "backspace",
    "space",
]
#: Keys drawn this many times more often than another: those that open a screen, and Escape
#: (which closes one: without it the palette, opened often, would hold the keys most of the run).
WEIGHTS = {
    "ctrl+p": 3,
    "ctrl+o": 3,
    "ctrl+b": 3,
    "ctrl+s": 3,
    "b": 3,
    "question_mark": 3,
    "escape": 10,
    "enter": 3,
}


def bound_keys() -> list[str]:
    keys: set[str] = set()
    for cls in (*BOUND, *BOUND_TOO):
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding):
                keys.update(k.strip() for k in binding.key.split(","))
            else:
                keys.update(k.strip() for k in binding[0].split(","))
    return sorted(keys - NEVER)


def sequence() -> list[str]:
    pool = sorted(set(bound_keys()) | set(PLAIN) | {"d", "p", "x", "ctrl+p"})
    weights = [WEIGHTS.get(k, 1) for k in pool]
    rng = random.Random(SEED)
    return rng.choices(pool, weights=weights, k=PRESSES)


def test_the_sequence_covers_every_bound_key() -> None:
    keys = set(sequence())
    assert set(bound_keys()) <= keys
    assert {"ctrl+p", "ctrl+o", "ctrl+b", "ctrl+s", "b", "question_mark", "d", "p", "x"} <= keys
    assert {"pageup", "pagedown", "tab", "shift+tab", "enter", "escape"} <= keys
    assert not keys & NEVER


async def test_mashing_keys_never_kills_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """See the module's docstring: 3,000 seeded presses over every screen, the app alive."""
    monkeypatch.chdir(tmp_path)  # x exports into the working folder
    made = BenchScreen.__init__

    def with_fake_server(self: BenchScreen, *args: Any, **kwargs: Any) -> None:
        made(self, *args, **kwargs)
        self.bench_transport = FakeServer(ttft=0.001, step=0.0005).transport()

    monkeypatch.setattr(BenchScreen, "__init__", with_fake_server)
    quits: list[str] = []
    app: TokentuiApp = app_from_args()

    async def no_quit() -> None:
        quits.append(type(app.screen).__name__)

    app.action_quit = no_quit  # type: ignore[method-assign]
    seen: set[str] = set()
    push = app.push_screen

    def recording_push(screen: Any, *args: Any, **kwargs: Any) -> Any:
        seen.add(type(screen).__name__ if not isinstance(screen, str) else screen)
        return push(screen, *args, **kwargs)

    app.push_screen = recording_push  # type: ignore[method-assign,assignment]
    keys = sequence()
    pressed = 0
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        for start in range(0, len(keys), CHUNK):
            chunk = keys[start : start + CHUNK]
            send_at_once(app, *chunk)  # as a terminal sends them (a press waits for each)
            await pilot.pause()
            pressed += len(chunk)
            assert app.is_running, f"the app ended after {pressed} keys: {keys[:pressed][-CHUNK:]}"
            assert app._exception is None, f"after {pressed} keys: {keys[:pressed][-CHUNK:]}"
            assert app.screen_stack, f"no screen after {pressed} keys"
            seen.add(type(app.screen).__name__)
        await pilot.pause()
        assert app.is_running and app._exception is None
    assert app._exception is None
    assert pressed == PRESSES
    print(f"key mash: {pressed} keys, screens {sorted(seen)}, {len(quits)} quits refused")
    assert {
        "MainScreen",
        "HelpScreen",
        "BenchScreen",
        "PresetPicker",
        "NameDialog",
        "BenchmarkDialog",
        "TokentuiPalette",
    } <= seen
