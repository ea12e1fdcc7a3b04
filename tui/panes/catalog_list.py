"""A catalog list with type-to-filter, shared by the model and GPU panes."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from tui.widgets import Edit, FixedInput


class CatalogList(Vertical):
    """Filter input over an option list; highlighting an entry selects it (live what-if)."""

    DEFAULT_CSS = """
    CatalogList { height: auto; }
    CatalogList OptionList { height: auto; max-height: 8; }
    CatalogList Input { height: 1; }
    """

    def __init__(
        self, field: str, entries: Sequence[tuple[str, str]], selected: str, *, what: str
    ) -> None:
        super().__init__(id=f"{field}-catalog")
        self.field = field
        self.entries = list(entries)  # (id, label)
        self.selected = selected
        self.what = what

    def compose(self) -> ComposeResult:
        yield FixedInput(
            placeholder=f"type to filter {self.what}", id=f"{self.field}-filter", compact=True
        )
        yield OptionList(*self._options(""), id=f"{self.field}-list", compact=True)

    def on_mount(self) -> None:
        self._highlight(self.selected)

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        return [
            Option(self._prompt(ident, label), id=ident)
            for ident, label in self.entries
            if all(w in f"{ident} {label}".lower() for w in words)
        ]

    def _prompt(self, ident: str, label: str) -> str:
        return f"[b]> {label}[/b]" if ident == self.selected else f"  {label}"

    def _mark(self) -> None:
        """Show which entry is the current choice (the highlight follows the cursor)."""
        options = self.query_one(OptionList)
        for ident, label in self.entries:
            try:
                options.replace_option_prompt(ident, self._prompt(ident, label))
            except Exception:  # filtered out
                continue

    def _highlight(self, ident: str) -> None:
        options = self.query_one(OptionList)
        with options.prevent(OptionList.OptionHighlighted):
            try:
                options.highlighted = options.get_option_index(ident)
            except Exception:  # not in the filtered list
                options.highlighted = None

    def set_entries(self, entries: Sequence[tuple[str, str]]) -> None:
        """Replace the catalog shown (a preset brought its own model or GPU)."""
        self.entries = list(entries)
        options = self.query_one(OptionList)
        text = self.query_one(FixedInput).value
        with options.prevent(OptionList.OptionHighlighted):
            options.clear_options()
            options.add_options(self._options(text))
        self._highlight(self.selected)

    def select(self, ident: str) -> None:
        """Show ``ident`` as the choice without reporting a change."""
        if ident != self.selected:
            self.selected = ident
            self._mark()
            self._highlight(ident)

    @on(Input.Changed)
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        options = self.query_one(OptionList)
        with options.prevent(OptionList.OptionHighlighted):
            options.clear_options()
            options.add_options(self._options(event.value))
        self._highlight(self.selected)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        """Enter in the filter picks the first match."""
        event.stop()
        options = self.query_one(OptionList)
        if options.option_count:
            first = options.get_option_at_index(0)
            if first.id and first.id != self.selected:
                self.selected = first.id
                self._mark()
                self._highlight(first.id)
                self.post_message(Edit(self.field, first.id))

    @on(OptionList.OptionHighlighted)
    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionHighlighted | OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event, OptionList.OptionHighlighted) and not event.option_list.has_focus:
            return  # the list moved by itself (mounting, filtering): not the user's choice
        ident = event.option.id
        if ident and ident != self.selected:
            self.selected = ident
            self._mark()
            self.post_message(Edit(self.field, ident))
