"""Command palette entries: every action of the app, with a category prefix; and the palette
itself, made safe from keys typed faster than it draws (:class:`TokentuiPalette`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual import work
from textual.await_complete import AwaitComplete
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.css.query import NoMatches

from tui.charts import CHART_KEYS
from tui.widgets import nothing_to_await

if TYPE_CHECKING:
    from tui.app import TokentuiApp


class TokentuiPalette(CommandPalette):
    """Textual's command palette (8.2), safe from keys typed faster than it draws (key mashing
    found each of these):

    - PageUp/PageDown on a list not laid out yet (pressed just after Ctrl+P) go to the first/last
      command instead of raising a KeyError in Textual's CommandList (its page step reads a line
      map that is built only once the list has a size);
    - a second Enter on a palette already closing pops nothing (Textual's dismiss pops whatever
      screen is on top: the main screen, then ScreenStackError);
    - a search started as the palette closes (a letter, then Escape) finds its list gone: it
      ends there instead of raising NoMatches in its worker, which took the app down.
    """

    def _list_gone(self) -> bool:
        """Whether the palette's widgets are gone (it closed)."""
        return not self.is_attached or not self.query(CommandList)

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        if self._list_gone():
            return
        try:
            await inspect.unwrap(CommandPalette._gather_commands)(self, search_value)
        except NoMatches:
            if not self._list_gone():
                raise  # not the palette closing under the search: a real fault

    def dismiss(self, result: None = None) -> AwaitComplete:
        """Once (as :class:`~tui.widgets.OnceModal`): a second Enter on a palette already
        closing would pop the screen under it."""
        if self.app.screen is not self:
            return nothing_to_await()
        return super().dismiss(result)

    def _watch__list_visible(self) -> None:
        if not self._list_gone():
            super()._watch__list_visible()

    def _action_cursor_down(self) -> None:
        """Down before the list is mounted (just after Ctrl+P), or after it has gone (the palette
        closing): nothing to move (Textual's raised NoMatches; CI found it)."""
        if not self._list_gone():
            super()._action_cursor_down()

    def _action_command_list(self, action: str) -> None:
        if self._list_gone():
            return
        if action in ("page_up", "page_down"):
            commands = self.query_one(CommandList)
            if not commands.scrollable_content_region:
                action = "first" if action == "page_up" else "last"
        super()._action_command_list(action)


class TokentuiCommands(Provider):
    def commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app: TokentuiApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, Callable[[], object], str]] = []
        for key, cid, label in CHART_KEYS:
            out.append(
                (
                    f"chart: {label}",
                    partial(app.run_screen_action, f"chart('{cid}')"),
                    f"show the {label.lower()} chart (key {key})",
                )
            )
        act = app.run_screen_action
        out += [
            ("chart: Measured (results table)", partial(act, "chart('measured')"), "key 7"),
            ("preset: Save the scenario…", partial(act, "save_preset"), "Ctrl+S"),
            ("preset: Load, delete or rename…", partial(act, "load_preset"), "Ctrl+O"),
            ("benchmark: Load measured results…", partial(act, "load_benchmark"), "Ctrl+B"),
            (
                "benchmark: Unload the measured results",
                partial(act, "unload_benchmark"),
                "its points leave the charts and the Measured tab (Ctrl+B, then Ctrl+R)",
            ),
            ("bench: Measure a running server…", partial(act, "bench"), "key b"),
            (
                "side by side: pin this scenario as A"
                if app.main.pinned is None
                else "side by side: unpin A",
                partial(act, "pin"),
                "key p: the next scenarios are compared with it (p again unpins)",
            ),
            ("side by side: pin a preset as A…", partial(act, "pin_preset"), "compare with it"),
            *(
                (
                    f"export: {what}",
                    partial(act, f"export('{kind}')"),
                    f"into the folder tokentui started in ({where})",
                )
                for kind, what, where in (
                    ("csv", "the chart's data as CSV", "key x writes all three"),
                    ("json", "the chart's data and the summary as JSON", "key x: all three"),
                    ("svg", "the screen as SVG", "key x: all three"),
                )
            ),
            (
                "mode: switch realistic / ideal",
                partial(app.run_screen_action, "toggle_mode"),
                "key m",
            ),
            (
                "load: next point (batch size, users, rate, requests)",
                partial(app.run_screen_action, "load(1)"),
                "key ]",
            ),
            (
                "load: previous point (batch size, users, rate, requests)",
                partial(app.run_screen_action, "load(-1)"),
                "key [",
            ),
            ("theme: switch dark / light", app.action_toggle_dark, "key d"),
            ("help: keys and charts", app.action_help, "key ? or F1"),
            ("app: quit", app.action_quit, "Ctrl+Q (asks first when there are unsaved changes)"),
        ]
        return out

    async def discover(self) -> Hits:
        for name, callback, help_text in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
