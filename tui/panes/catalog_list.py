"""A catalog list with type-to-filter and group headings, shared by the model and GPU panes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from engine.errors import terminal_safe
from tui.widgets import Edit, FixedInput

#: The mark of the current choice (the highlight follows the cursor, the mark the choice).
MARK = "▸"


class Entry(NamedTuple):
    """One choice: its id, its label, the heading it is listed under and a short note shown
    right-aligned (a GPU's memory, a model's MoE sizes). The filter also matches ``keywords``."""

    id: str
    label: str
    group: str = ""
    note: str = ""
    keywords: str = ""


def _entry(item: Entry | tuple[str, str]) -> Entry:
    return item if isinstance(item, Entry) else Entry(*item)


class _Row:
    """One line of the list: the label, cut with an ellipsis where the list is too narrow for
    it, and the note right-aligned."""

    def __init__(self, label: Text, note: Text) -> None:
        self.label, self.note = label, note

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        gap = 1 if self.note else 0
        line = self.label.copy()
        line.truncate(max(width - self.note.cell_len - gap, 1), overflow="ellipsis", pad=True)
        line.append_text(Text(" " * gap) + self.note)
        line.no_wrap = True
        yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        gap = 1 if self.note else 0
        return Measurement(1, self.label.cell_len + gap + self.note.cell_len)


class CatalogList(Vertical):
    """Filter input over an option list; highlighting an entry selects it (live what-if).

    Entries are shown in the order given, under a heading per group (in the order the groups
    first appear); headings are disabled options, which the cursor keys and the mouse skip.
    Every prompt is a Rich renderable built from ``Text``: a label (a file's name for a model or a
    GPU) is never read as markup, and what a terminal would obey in it is shown as escapes.
    """

    DEFAULT_CSS = """
    CatalogList { height: auto; }
    CatalogList OptionList { height: auto; max-height: 8; scrollbar-size-vertical: 1; }
    CatalogList OptionList > .option-list--option-disabled { color: $text-primary; }
    CatalogList > Horizontal { height: 1; }
    CatalogList Input { height: 1; width: 1fr; }
    CatalogList Input:focus { background: $primary 35%; }
    CatalogList .key { width: 2; padding-left: 1; color: $text-accent; text-style: bold; }
    CatalogList.-focus .key { text-style: bold reverse; }
    """

    def __init__(
        self,
        field: str,
        entries: Sequence[Entry | tuple[str, str]],
        selected: str,
        *,
        what: str,
        key: str = "",
    ) -> None:
        """``key``: the jump key of the filter, shown at its end (:mod:`tui.panes.jumps`)."""
        super().__init__(id=f"{field}-catalog")
        self.field = field
        self.entries = [_entry(e) for e in entries]
        self.selected = selected
        self.what = what
        self.key = key

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield FixedInput(
                placeholder=f"type to filter {self.what}", id=f"{self.field}-filter", compact=True
            )
            if self.key:
                yield Label(self.key, classes="key")
        yield OptionList(*self._options(""), id=f"{self.field}-list", compact=True)

    def on_mount(self) -> None:
        self._highlight(self.selected)
        # once laid out, the choice in view (mounted after the first frame, the list has no size
        # yet when it is highlighted, and does not scroll to it)
        self.call_after_refresh(self.query_one(OptionList).scroll_to_highlight)

    def on_descendant_focus(self) -> None:
        self.add_class("-focus")  # a class restyles the key (:focus-within does not)

    def on_descendant_blur(self) -> None:
        self.remove_class("-focus")

    def _matches(self, text: str) -> list[Entry]:
        words = text.lower().split()
        return [
            e
            for e in self.entries
            if all(w in f"{e.id} {e.label} {e.group} {e.note} {e.keywords}".lower() for w in words)
        ]

    def _options(self, text: str) -> list[Option]:
        """The matching entries under their group headings; a group left empty is not shown."""
        groups: dict[str, list[Entry]] = {}
        for e in self._matches(text):
            groups.setdefault(e.group, []).append(e)
        options: list[Option] = []
        for group, members in groups.items():
            if group:
                options.append(Option(Text(terminal_safe(group), style="bold"), disabled=True))
            options.extend(Option(self._prompt(e), id=e.id) for e in members)
        return options

    def _prompt(self, entry: Entry) -> _Row:
        """The mark and label, and the note."""
        chosen = entry.id == self.selected
        mark = MARK if chosen else " "
        label = Text.assemble(mark, terminal_safe(entry.label), style="bold" if chosen else "")
        return _Row(label, Text(terminal_safe(entry.note), style="" if chosen else "dim"))

    def _choose(self, ident: str) -> None:
        """Make ``ident`` the choice and move the mark to it."""
        before, self.selected = self.selected, ident
        options = self.query_one(OptionList)
        for entry in self.entries:
            if entry.id in (before, ident):
                try:
                    options.replace_option_prompt(entry.id, self._prompt(entry))
                except OptionDoesNotExist:  # filtered out
                    continue

    def _highlight(self, ident: str) -> None:
        options = self.query_one(OptionList)
        with options.prevent(OptionList.OptionHighlighted):
            try:
                options.highlighted = options.get_option_index(ident)
            except OptionDoesNotExist:  # not in the filtered list
                options.highlighted = None

    def _show(self, text: str) -> None:
        options = self.query_one(OptionList)
        with options.prevent(OptionList.OptionHighlighted):
            options.clear_options()
            options.add_options(self._options(text))
        self._highlight(self.selected)

    def set_entries(self, entries: Sequence[Entry | tuple[str, str]]) -> None:
        """Replace the catalog shown (a preset brought its own model or GPU)."""
        self.entries = [_entry(e) for e in entries]
        self._show(self.query_one(FixedInput).value)

    def select(self, ident: str) -> None:
        """Show ``ident`` as the choice without reporting a change."""
        if ident != self.selected:
            self._choose(ident)
            self._highlight(ident)

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._show(event.value)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """Enter in the filter picks the first match (a heading is not one)."""
        event.stop()
        options = self.query_one(OptionList)
        first = next((o.id for o in options.options if o.id and not o.disabled), None)
        if first and first != self.selected:
            self._choose(first)
            self._highlight(first)
            self.post_message(Edit(self.field, first))

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event, OptionList.OptionHighlighted) and not event.option_list.has_focus:
            return  # the list moved by itself (mounting, filtering): not the user's choice
        ident = event.option.id
        if ident and ident != self.selected:
            self._choose(ident)
            self.post_message(Edit(self.field, ident))
