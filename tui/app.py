"""The tokentui app: bindings, theme, command palette and the main screen."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.notifications import SeverityLevel
from textual.theme import ThemeProvider
from textual.widgets import Input

from engine.errors import terminal_safe
from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from tui.commands import TokentuiCommands, TokentuiPalette
from tui.screens.main import MainScreen
from tui.state import Draft

QUIT_DIALOG = "confirm-quit"


class TokentuiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "tokentui"
    SUB_TITLE = "what LLM inference costs, and why"
    COMMANDS = App.COMMANDS | {TokentuiCommands}
    BINDINGS = [
        Binding("question_mark,f1", "help", "help", id="help", tooltip="keys and charts"),
        Binding("d", "toggle_dark", "theme", id="theme", tooltip="dark / light theme", show=False),
        Binding(
            "ctrl+q",
            "quit",
            "quit",
            id="quit",
            priority=True,
            tooltip="quit (asks first when the scenario has unsaved changes)",
        ),
    ]

    def __init__(
        self,
        catalog: Catalog,
        draft: Draft,
        default_profile: Efficiency,
        chart: str = "throughput",
        preset: Preset | None = None,
    ) -> None:
        """``default_profile``: the realistic factors of the built-in profile (the app's
        snapshots pass fixed ones, so that a refit does not change the pictures)."""
        super().__init__()
        self.catalog = catalog
        self.initial = (draft, default_profile, chart, preset)

    def on_mount(self) -> None:
        draft, default_profile, chart, preset = self.initial
        self.push_screen(MainScreen(self.catalog, draft, default_profile, chart, preset))

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[1] if len(self.screen_stack) > 1 else self.screen
        assert isinstance(screen, MainScreen)
        return screen

    async def action_quit(self) -> None:
        """Quit; with unsaved changes, after a yes (Ctrl+Q again, or y, quits too)."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        lost = main.unsaved() if main is not None else None
        if lost is None or self.screen.id == QUIT_DIALOG:
            self.exit()
            return
        from tui.dialogs import ConfirmDialog  # imported when first asked: a faster start

        question = f"Quit tokentui? {lost[0].upper()}{lost[1:]} (Ctrl+S saves it)."
        self.push_screen(ConfirmDialog(question, yes="Quit", id=QUIT_DIALOG), self._quit_answer)

    async def _on_key(self, event: events.Key) -> None:
        """No key once the last screen has gone: keys typed as the app closes reached Textual's
        binding check with no screen (ScreenStackError, a traceback on quitting). Textual calls
        each class's handler in turn (this one, then App's): preventing the default stops it."""
        if not self.screen_stack:
            event.prevent_default()

    def action_command_palette(self) -> None:
        """Textual's palette, made safe from fast keys (:class:`~tui.commands.TokentuiPalette`);
        without Textual's fixed id, which a palette closing but not yet removed still holds
        (Ctrl+P again then raised DuplicateIds)."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(TokentuiPalette())

    def search_themes(self) -> None:
        """Textual's theme picker (the palette's "Theme" command), on the safe palette."""
        self.push_screen(
            TokentuiPalette(providers=[ThemeProvider], placeholder="Search for themes…")
        )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification as plain text: its message and title often carry a file's text (a
        path, a name, an error quoting them) or a server's, so they are never read as markup
        ("[/b]" would kill the app), and what a terminal would obey in them (ESC, BEL) is
        shown as escapes (:func:`~engine.errors.terminal_safe`); line breaks are kept."""
        safe = "\n".join(terminal_safe(line) for line in message.split("\n"))
        super().notify(
            safe, title=terminal_safe(title), severity=severity, timeout=timeout, markup=False
        )

    def _quit_answer(self, yes: bool | None) -> None:
        if yes:
            self.exit()

    def run_screen_action(self, action: str) -> None:
        self.call_later(self.main.run_action, action)

    def action_help(self) -> None:
        from tui.help import HelpScreen  # Markdown is heavy: loaded when first asked for

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """'d' types into a focused field, so the theme key is off there."""
        if action == "toggle_dark" and isinstance(self.focused, Input):
            return None
        return True
