"""Hostile files and answers in the app (issue 13): text from a preset, a catalog file, a results
file, a profile's name or a server is shown as it is written, never obeyed by the terminal (ESC,
BEL, OSC and CSI sequences come out as visible escapes) and never read as markup ("[/b]" and
"[@click=app.quit]" are shown literally); an unreadable profiles folder, a crash and the command
palette's page keys are handled.

Each case checks what the screen paints (every cell, as the terminal would get it, the toasts
included: ``notifications=True``) and that the app still runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from bench_fakes import FakeServer
from rich.console import Console
from support import BENCHMARKS, app_from_args, run_cli, send_at_once, type_into, until
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import Input, OptionList

from engine.errors import InputError
from tui.app import TokentuiApp
from tui.dialogs import PresetPicker
from tui.panes.measured import MeasuredPane
from tui.results_dialog import BenchmarkDialog
from tui.screens.bench import BenchScreen
from tui.screens.main import MainScreen
from tui.widgets import Choice

ROOT = Path(__file__).resolve().parents[2]
SIZE = (120, 40)
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"  # set the terminal's title, then blank the screen
SHOWN = r"\x1b]0;pwned\x07\x1b[2J"  # the same, as the app shows it
MARKUP = "Foo [/b] bar [@click=app.quit]"
SEED_8B = BENCHMARKS / "tokenomics-vllm" / "llama_31_8b_2000in_300out.json"


def painted(app: Any) -> str:
    """Every character the screen sends the terminal now (its cells, toasts and dialogs
    included; not the cursor moves and colours around them)."""
    console = Console(width=app.size.width, height=app.size.height, force_terminal=True)
    update = app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    return "".join(s.text for s in console.render(update) if not s.control)


def painted_in(app: Any, widgets: Any) -> str:
    """What ``widgets`` paint, cut out of :func:`painted` by each one's region (a toast or a
    dialog covers other widgets: what it paints, when a line wraps, interleaves with theirs)."""
    lines = painted(app).split("\n")
    out = []
    for widget in widgets:
        r = widget.region
        out += [line[r.x : r.right] for line in lines[r.y : r.bottom]]
    return "\n".join(out)


def toasts(app: Any) -> str:
    """The text the notifications paint."""
    from textual.widgets._toast import Toast

    return painted_in(app, app.screen.query(Toast))


def unfolded(text: str) -> str:
    """The painted text with its line ends and box edges gone (a long line wraps; where it
    wraps depends on the temporary folder's name, so a toast's left edge, its "▌", may fall
    between two words)."""
    return re.sub(r"[\s▌▐▎▊│┃]+", " ", text)


def dump(app: Any) -> None:
    import os

    if os.environ.get("DUMP"):
        print(painted(app))


def assert_inert(app: Any) -> None:
    shown = painted(app)
    assert "\x1b" not in shown and "\x07" not in shown
    assert app.is_running and app._exception is None


def write_model(home: Path, ident: str, name: str) -> None:
    text = (ROOT / "presets" / "models" / "llama-3.1-8b.toml").read_text()
    text = re.sub(r"(?m)^id = .*$", f'id = "{ident}"', text)
    text = re.sub(r"(?m)^name = .*$", f"name = {name!r}".replace("'", '"'), text)
    text = re.sub(r"(?m)^aliases.*$", "", text)
    (home / "models").mkdir(exist_ok=True)
    (home / "models" / f"{ident}.toml").write_text(text)


def write_gpu(home: Path, ident: str, name: str, link: str) -> None:
    text = (ROOT / "presets" / "gpus" / "h100-sxm.toml").read_text()
    text = re.sub(r"(?m)^id = .*$", f'id = "{ident}"', text)
    text = re.sub(r"(?m)^name = .*$", f'name = "{name}"', text)
    text = re.sub(r"(?m)^kind = .*$", f'kind = "{link}"', text)
    text = re.sub(r"(?m)^aliases.*$", "", text)
    (home / "gpus").mkdir(exist_ok=True)
    (home / "gpus" / f"{ident}.toml").write_text(text)


async def test_escapes_in_a_preset_description_are_shown_not_obeyed(home: Path) -> None:
    """The issue's reproducer: the Ctrl+O preview set the terminal's title and blanked it."""
    exported = run_cli(home, "presets", "export", "article-70b-4xh100")
    assert exported.returncode == 0, exported.stderr
    text = re.sub(
        r"(?m)^description = .*$",
        r'description = "\\u001b]0;pwned\\u0007\\u001b[2J"',
        exported.stdout,
    )
    (home / "presets").mkdir()
    (home / "presets" / "e.toml").write_text(text)
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PresetPicker))
        picker = app.screen
        assert ESCAPES in picker.presets["e"].description  # the file's text, as it was read
        await type_into(pilot, picker.query_one("#preset-filter", Input), "e")
        options = picker.query_one(OptionList)
        options.highlighted = options.get_option_index("e")
        await pilot.pause()
        assert_inert(app)
        assert SHOWN in painted(app)
        await pilot.press("enter")  # load it: the notification and the title too
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.pause()
        assert app.main.preset is not None and app.main.preset.name == "e"
        assert_inert(app)


async def test_markup_in_a_model_and_a_gpu_name_is_shown_literally(home: Path) -> None:
    """A name "Foo [/b] bar" killed the app at start (MarkupError); "[@click=app.quit]" was
    read as an action."""
    write_model(home, "m", MARKUP)
    write_gpu(home, "g", "Bar [/b] GPU [@click=app.quit]", "[/b]NVLink [@click=app.quit]")
    app: TokentuiApp = app_from_args("--model", "m", "--gpu", "g", "--gpus", "1")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.main.dashboard.scenario.model.name == MARKUP
        await type_into(pilot, app.main.query_one("#model-filter", Input), "foo")
        assert_inert(app)
        assert "Foo [/b] bar [@click=app.qui…" in painted(app)  # cut at the list's width
        app.main.show_side("side-gpu")
        await until(pilot, lambda: bool(app.main.query("#gpu-filter")))
        await type_into(pilot, app.main.query_one("#gpu-filter", Input), "bar")
        await pilot.pause()
        shown = painted(app)
        dump(app)
        assert "Bar [/b] GPU [@click=a…" in shown  # the list, cut at its width
        app.main.action_toggle_mode()  # a new scenario: the facts of the pane mounted behind
        await pilot.pause()
        facts = str(app.main.query_one("#gpu-facts").render())
        assert "[/b]NVLink [@click=app.quit] 450 GB/s" in facts
        assert_inert(app)


async def test_a_results_file_with_escapes_and_markup_in_its_name(tmp_path: Path) -> None:
    """Its path in the notification, the Measured tab and the recent list; a missing one in
    the "Not loaded" notification."""
    hostile = tmp_path / f"[@click=app.quit][b]run{ESCAPES}.json"  # no "/" in a file's name
    shutil.copy(SEED_8B, hostile)
    app: TokentuiApp = app_from_args("--model", "llama-3.1-8b", "--gpu", "h100-sxm")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        for path in (hostile, tmp_path / f"gone[@click=app.quit]{ESCAPES}.json"):
            await pilot.press("ctrl+b")
            await until(pilot, lambda: isinstance(app.screen, BenchmarkDialog))
            dialog = app.screen
            assert_inert(app)  # the recent list holds the first path
            dialog.query_one("#bench-gpu", Input).value = "h100-sxm"
            dialog.query_one("#bench-gpus", Input).value = "1"
            box = dialog.query_one("#bench-path", Input)
            box.focus()
            box.value = str(path)
            await pilot.pause()
            assert_inert(app)
            await pilot.press("enter")
            await pilot.pause()
            if app.screen is dialog:  # no such file: said under the path
                reason = dialog.query("#bench-reason")
                assert "no such file" in unfolded(painted_in(app, reason))
                assert_inert(app)
                await pilot.press("escape")
                await pilot.pause()
        assert app.main.measurement is not None
        assert app.main.measurement.path.endswith(f"run{ESCAPES}.json")
        app.main.action_chart("measured")
        await pilot.pause()
        assert_inert(app)
        head = str(app.main.query_one(MeasuredPane).query_one("#measured-head").render())
        assert f"[@click=app.quit][b]run{SHOWN}.json" in head


async def test_an_error_naming_a_hostile_profile_is_one_notification(home: Path) -> None:
    """A profile file named with markup and escapes, that cannot be read: its name in the list,
    its error (which names it) in one notification, the app running."""
    (home / "profiles").mkdir()
    (home / "profiles" / f"x[@click=app.quit][b]{ESCAPES}.toml").write_text("not = [toml")
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=(120, 60), notifications=True) as pilot:
        await until(pilot, lambda: bool(app.main.query("#profile")))
        choice = app.main.query_one("#profile", Choice)
        assert any("[@click=app.quit]" in v for v, _ in choice.options)
        app.main.show_side("side-load")
        choice.focus()
        await pilot.press("right")  # to the hostile profile: it cannot be read
        await until(pilot, lambda: "not valid TOML" in unfolded(toasts(app)))
        assert_inert(app)
        (note,) = app._notifications  # one, as it is shown (the path wraps in the toast)
        assert f"x[@click=app.quit][b]{SHOWN}.toml: not valid TOML" in note.message


async def test_a_hostile_server_is_shown_not_obeyed() -> None:
    """A server whose model is called with markup, and one that answers errors with escapes."""
    app: TokentuiApp = app_from_args("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, BenchScreen))
        screen = app.screen
        for fake, said in (
            (FakeServer(models=(MARKUP,)), f"model {MARKUP}"),
            (FakeServer(models=("[/b]tiny",), fault="http500"), r"out of memory\x1b[2J"),
            (FakeServer(models=(f"[/b]tiny{ESCAPES}",)), "pwned"),
        ):
            screen.bench_transport = fake.transport()
            for name, value in (("url", "http://fake:8000"), ("concurrency", "1")):
                screen.field(name).input.value = value
            for name, value in (("output", "4"), ("input", "4"), ("requests", "2")):
                screen.field(name).input.value = value
            await pilot.pause()
            await pilot.press("ctrl+r")
            await until(pilot, lambda: not screen.running)
            await pilot.pause()
            assert_inert(app)
            dump(app)
            assert said in painted(app)


async def test_an_unreadable_profiles_folder_still_starts(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The built-in profiles are offered, and one notification says why the saved ones are not
    (as root, where a folder of mode 000 can still be read, the listing is made to fail)."""
    folder = home / "profiles"
    folder.mkdir()
    (folder / "mine.toml").write_text("")
    folder.chmod(0)
    try:
        from engine.storage.profiles import saved_profiles

        try:
            saved_profiles()
        except InputError:
            pass
        else:  # root reads it anyway

            def refuse() -> list[str]:
                raise InputError(f"{folder}: cannot be read (Permission denied)")

            monkeypatch.setattr("tui.panes.workload.saved_profiles", refuse)
        app: TokentuiApp = app_from_args()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await until(pilot, lambda: bool(app.main.query("#profile")))
            await pilot.pause()
            choice = app.main.query_one("#profile", Choice)
            assert [v for v, _ in choice.options] == ["default", "custom"]
            messages = [n.message for n in app._notifications]
            assert len(messages) == 1 and "cannot be read" in messages[0], messages
            assert app.is_running and app._exception is None
    finally:
        folder.chmod(0o700)


PALETTE_KEYS = ("pageup", "pagedown", "home", "end", "up", "down")


@pytest.mark.parametrize("key", PALETTE_KEYS)
async def test_the_command_palette_takes_its_page_keys_at_once(key: str) -> None:
    """Ctrl+P then PageUp crashed the app 4 of 4 times (a KeyError in Textual's CommandList: the
    key came before the list was laid out); the other keys, on an empty list and a full one."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        send_at_once(app, "ctrl+p", key, key)
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        for keys in ((key,), ("x", "x", "x", "q", key), ("backspace",) * 4 + (key, key)):
            await pilot.press(*keys)  # a list of none, then of all the commands
            await pilot.pause(0.1)
        assert app.is_running and app._exception is None
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


@pytest.mark.parametrize("crash", [True, False])
def test_a_crash_exits_non_zero(crash: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's crash (an exception nobody caught) made ``tokentui`` exit 0; a quit is 0."""
    import tui.main

    class Ending(TokentuiApp):
        def on_mount(self) -> None:
            if crash:
                raise RuntimeError("boom")
            self.exit()

    made = tui.main.make_app

    def make(args: Any) -> TokentuiApp:
        app = made(args)
        app.__class__ = Ending
        return app

    def headless(self: TokentuiApp, **kwargs: Any) -> Any:
        return App.run(self, headless=True, **kwargs)

    monkeypatch.setattr(tui.main, "make_app", make)
    monkeypatch.setattr(TokentuiApp, "run", headless)
    code = tui.main.main([])
    assert (code != 0) if crash else (code == 0)
