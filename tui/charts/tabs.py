"""The chart tab bar: one widget for every chart's tab (Textual's TabbedContent made ~20 widgets
of nine tabs and panes, each styled and laid out at the start: 9% of the instructions to the first
frame). Two rows as Textual's tabs draw them: the labels, and a bar under them with the active
tab's part lit. Left and right (focused) and a click choose a tab; the screen is told
(:class:`ChartTabs.Chosen`) and shows the chart (:meth:`MainScreen.show_tab`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class ChartTabs(Widget, can_focus=True):
    """The tabs ``(id, label)``, one of them active; wider than the widget, the labels start at
    the first one that lets the active one be seen whole."""

    DEFAULT_CSS = """
    ChartTabs { height: 2; width: 1fr; }
    ChartTabs > .chart-tabs--tab { color: $foreground 50%; }
    ChartTabs > .chart-tabs--active { color: $foreground; }
    ChartTabs:focus > .chart-tabs--active {
        color: $block-cursor-foreground;
        background: $block-cursor-background;
        text-style: $block-cursor-text-style;
    }
    ChartTabs > .chart-tabs--bar { color: $foreground 10%; }
    ChartTabs:focus > .chart-tabs--bar { color: $foreground 30%; }
    ChartTabs > .chart-tabs--lit { color: $block-cursor-background; }
    """
    COMPONENT_CLASSES = {
        "chart-tabs--tab",
        "chart-tabs--active",
        "chart-tabs--bar",
        "chart-tabs--lit",
    }
    BINDINGS = [
        Binding("left", "step(-1)", "previous chart", show=False),
        Binding("right", "step(1)", "next chart", show=False),
    ]
    ALLOW_SELECT = False

    active: reactive[str] = reactive("", layout=False)

    @dataclass
    class Chosen(Message):
        """The user chose the tab ``tab`` (a key or a click)."""

        tab: str

    def __init__(self, tabs: Sequence[tuple[str, str]], active: str, *, id: str | None = None):
        super().__init__(id=id)
        self.tabs = tuple(tabs)
        self.set_reactive(ChartTabs.active, active)

    def spans(self) -> list[tuple[str, int, int]]:
        """(id, first cell, end cell) of each tab as drawn now (those scrolled off: none)."""
        cells = [len(label) + 2 for _, label in self.tabs]  # " label "
        ids = [t for t, _ in self.tabs]
        at = ids.index(self.active) if self.active in ids else 0
        first = 0
        while first < at and sum(cells[first : at + 1]) > self.size.width:
            first += 1
        out, x = [], 0
        for tab, width in zip(ids[first:], cells[first:], strict=True):
            out.append((tab, x, x + width))
            x += width
        return out

    def render(self) -> Text:
        width = self.size.width
        style = self.get_component_rich_style
        tab, active = style("chart-tabs--tab"), style("chart-tabs--active")
        labels, bar = Text(no_wrap=True, overflow="crop"), Text(no_wrap=True, overflow="crop")
        shown = dict(self.tabs)
        for ident, start, end in self.spans():
            on = ident == self.active
            labels.append(f" {shown[ident]} ", active if on else tab)
            if on:  # lit under the label, its padding cells half drawn (as Textual's tabs)
                bar.append("╸", style("chart-tabs--bar"))
                bar.append("━" * (end - start - 2), style("chart-tabs--lit"))
                bar.append("╺", style("chart-tabs--bar"))
            else:
                bar.append("━" * (end - start), style("chart-tabs--bar"))
        used = len(bar)
        if used < width:
            bar.append("━" * (width - used), style("chart-tabs--bar"))
        labels.truncate(width)
        bar.truncate(width)
        return Text("\n").join([labels, bar])

    def watch_active(self) -> None:
        self.refresh()

    def action_step(self, step: int) -> None:
        ids = [t for t, _ in self.tabs]
        at = ids.index(self.active) if self.active in ids else 0
        self.post_message(self.Chosen(ids[(at + step) % len(ids)]))

    def on_click(self, event: events.Click) -> None:
        for ident, start, end in self.spans():
            if start <= event.x < end:
                self.post_message(self.Chosen(ident))
                return
