"""The tokentui app: bindings, theme, command palette and the main screen."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding
from textual.widgets import Input

from engine.physics.deployment import Efficiency
from engine.storage.catalog import Catalog
from engine.storage.presets import Preset
from tui.commands import TokentuiCommands
from tui.dialogs import ConfirmDialog
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
        question = f"Quit tokentui? {lost[0].upper()}{lost[1:]} (Ctrl+S saves it)."
        self.push_screen(ConfirmDialog(question, yes="Quit", id=QUIT_DIALOG), self._quit_answer)

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
