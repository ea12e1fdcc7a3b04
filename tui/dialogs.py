"""Modal dialogs: a name, a yes/no question, the preset picker and the benchmark file picker.

Each is a typed ModalScreen (``dismiss`` returns the result), keyboard first: Enter confirms,
Escape cancels.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import InputError
from engine.storage.presets import Preset
from engine.views.preset_report import preview_lines

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 76; max-width: 95%; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; color: $primary; margin-bottom: 1; }}
{name} .reason {{ color: $error; height: auto; }}
{name} .hint {{ color: $text-muted; }}
{name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
{name} Button {{ margin-left: 1; }}
"""


class NameDialog(ModalScreen[str | None]):
    """Ask for a name; ``check`` refuses a bad one with its reason, shown under the input."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NameDialog")
    BINDINGS = [Binding("escape", "cancel", "cancel", id="name-cancel", tooltip="cancel")]

    def __init__(self, title: str, value: str, check: Callable[[str], str], hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.check = check
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield Input(self.value, id="name-input", compact=True)
            yield Static("", classes="reason", id="name-reason")
            if self.hint:
                yield Static(self.hint, classes="hint")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("OK", variant="primary", id="ok")

    def _reason(self, text: str) -> str | None:
        try:
            self.check(text)
        except InputError as exc:
            return str(exc)
        return None

    @on(Input.Changed, "#name-input")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#name-reason", Static).update(self._reason(event.value) or "")

    @on(Input.Submitted, "#name-input")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#name-input", Input).value.strip()
        reason = self._reason(text)
        if reason:
            self.query_one("#name-reason", Static).update(reason)
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y", "answer(True)", "yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "no", id="confirm-no"),
    ]

    def __init__(self, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            with Horizontal():
                yield Button("No (n)", id="no")
                yield Button(f"{self.yes} (y)", variant="error", id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def preset_preview(p: Preset) -> Text:
    """The picker's preview: plain text from the file (never read as markup), the name bold."""
    lines = preview_lines(p)
    text = Text(lines[0], style="bold")
    text.append("\n" + "\n".join(lines[1:]))
    return text


class PresetPicker(ModalScreen[tuple[str, str] | None]):
    """Load a preset: a filtered list with a preview. Returns ("load" | "delete" | "rename",
    name); delete and rename are confirmed by the caller."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="PresetPicker")
        + """
    PresetPicker OptionList { height: auto; max-height: 10; margin-top: 1; }
    PresetPicker #preview { height: auto; margin-top: 1; border-top: solid $primary 40%; }
    PresetPicker #problems { color: $warning; height: auto; }
    """
    )
    BINDINGS = [
        Binding("escape", "cancel", "close", id="picker-close"),
        Binding(
            "ctrl+d",
            "act('delete')",
            "delete",
            id="picker-delete",
            priority=True,
            tooltip="delete the highlighted user preset",
        ),
        Binding(
            "ctrl+r",
            "act('rename')",
            "rename",
            id="picker-rename",
            priority=True,
            tooltip="rename the highlighted user preset",
        ),
    ]

    def __init__(self, presets: list[Preset], problems: list[str], current: str | None) -> None:
        super().__init__()
        self.presets = {p.name: p for p in presets}
        self.problems = problems
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Load a preset  (Enter load · Ctrl+D delete · Ctrl+R rename)", classes="title"
            )
            yield Input(placeholder="type to filter", id="preset-filter", compact=True)
            yield OptionList(*self._options(""), id="preset-list", compact=True)
            yield Static("", id="preview")
            if self.problems:
                shown = "\n".join(f"skipped {p}" for p in self.problems[:4])
                yield Static(Text(shown), id="problems")  # file text: never read as markup

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        out = []
        for name, p in self.presets.items():
            if all(w in f"{name} {p.summary}".lower() for w in words):
                tag = "built-in" if p.builtin else "yours"
                out.append(Option(f"{name:<28} {tag}", id=name))
        return out

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.presets:
            options.highlighted = options.get_option_index(self.current)
        elif options.option_count:
            options.highlighted = 0
        options.focus()
        self._preview()

    def _preview(self) -> None:
        options = self.query_one(OptionList)
        i = options.highlighted
        text: Text | str = "no preset matches"
        if i is not None and options.option_count:
            name = options.get_option_at_index(i).id
            if name in self.presets:
                text = preset_preview(self.presets[name])
        self.query_one("#preview", Static).update(text)

    @on(Input.Changed, "#preset-filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(self._options(event.value))
        if options.option_count:
            options.highlighted = 0
        self._preview()

    @on(Input.Submitted, "#preset-filter")
    def _submit_filter(self) -> None:
        self.action_act("load")

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._preview()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_act("load")

    def action_act(self, what: str) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not options.option_count:
            return
        name = options.get_option_at_index(options.highlighted).id
        if name is None:
            return
        if what != "load" and self.presets[name].builtin:
            self.notify(f"{name!r} is built in: it cannot be {what}d", severity="warning")
            return
        self.dismiss((what, name))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PathSuggester(Suggester):
    """Completes file-system paths as they are typed (the first matching entry)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        expanded = os.path.expanduser(value)
        folder, prefix = os.path.split(expanded)
        try:
            names = sorted(os.listdir(folder or "."))
        except OSError:
            return None
        for name in names:
            if name.startswith(prefix) and name != prefix and not name.startswith("."):
                full = os.path.join(folder, name)
                completed = value[: len(value) - len(prefix)] + name
                return completed + ("/" if os.path.isdir(full) else "")
        return None


class BenchmarkDialog(ModalScreen[str | None]):
    """A benchmark file: type a path (Tab/Right accepts the completion) or pick a recent one."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="BenchmarkDialog")
        + """
    BenchmarkDialog OptionList { height: auto; max-height: 10; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "cancel", id="bench-cancel")]

    def __init__(self, recent: list[str], start: str = "") -> None:
        super().__init__()
        self.recent = recent
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(
                "Load measured results (seed JSON, vllm bench serve, llama-bench, Ollama, NIM CSV)",
                classes="title",
            )
            yield Input(
                self.start,
                placeholder="path/to/results.json",
                suggester=PathSuggester(),
                id="bench-path",
                compact=True,
            )
            yield Static("", classes="reason", id="bench-reason")
            if self.recent:
                yield Label("recent files", classes="hint")
                yield OptionList(
                    *[Option(p, id=str(i)) for i, p in enumerate(self.recent)],
                    id="bench-recent",
                    compact=True,
                )

    @on(Input.Submitted, "#bench-path")
    def _submit(self, event: Input.Submitted) -> None:
        path = Path(os.path.expanduser(event.value.strip()))
        if not path.is_file():
            self.query_one("#bench-reason", Static).update(
                f"{path}: no such file (give the path of a results file)"
            )
            return
        self.dismiss(str(path))

    @on(OptionList.OptionSelected, "#bench-recent")
    def _recent(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.recent[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
