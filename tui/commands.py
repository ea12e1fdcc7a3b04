"""Command palette entries: every action of the app, with a category prefix."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.charts import CHART_KEYS

if TYPE_CHECKING:
    from tui.app import TokentuiApp


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
