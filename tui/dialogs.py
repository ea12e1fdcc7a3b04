"""Modal dialogs: a name, a yes/no question and the preset picker (the measured-file picker is
:mod:`tui.results_dialog`).

Each is a typed ModalScreen (``dismiss`` returns the result, once: :class:`~tui.widgets.OnceModal`),
keyboard first: Enter confirms, Escape cancels.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import InputError, terminal_safe
from engine.storage.presets import Preset
from engine.views.preset_report import preview_lines
from tui.widgets import OnceModal, SafeInput, plain

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


class NameDialog(OnceModal[str | None]):
    """Ask for a name; ``check`` refuses a bad one with its reason, shown under the input."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NameDialog")
    BINDINGS = [Binding("escape", "cancel", "cancel", id="name-cancel", tooltip="cancel")]

    def __init__(
        self,
        title: str,
        value: str,
        check: Callable[[str], str],
        hint: str = "",
        reason: str = "",
    ) -> None:
        """``reason``: why ``value`` was refused last time (the dialog opens again with it)."""
        super().__init__()
        self.title_text = title
        self.value = value
        self.check = check
        self.hint = hint
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical():  # names, paths and messages hold user text: Text, never markup
            yield Label(plain(self.title_text), classes="title")
            yield SafeInput(self.value, id="name-input", compact=True)
            yield Static(plain(self.reason), classes="reason", id="name-reason")
            if self.hint:
                yield Static(plain(self.hint), classes="hint")
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
        self.query_one("#name-reason", Static).update(plain(self._reason(event.value) or ""))

    @on(Input.Submitted, "#name-input")
    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        text = self.query_one("#name-input", Input).value.strip()
        reason = self._reason(text)
        if reason:
            self.query_one("#name-reason", Static).update(plain(reason))
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(OnceModal[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y", "answer(True)", "yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "no", id="confirm-no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(self.question))  # it may name a file
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
    """The picker's preview: the file's text as written (never read as markup, and with what a
    terminal would obey in it, ESC or BEL, shown as escapes), the name bold."""
    lines = [terminal_safe(line) for line in preview_lines(p)]
    text = Text(lines[0], style="bold")
    text.append("\n" + "\n".join(lines[1:]))
    return text


PICKER_KEYS = "↑↓ choose · Enter load · Ctrl+D delete · Ctrl+R rename · Esc close"
CHOOSE_KEYS = "↑↓ choose · Enter pins · Esc close"


class PresetPicker(OnceModal[tuple[str, str] | None]):
    """Load a preset: a list narrowed by what is typed (the filter has the focus; typing in the
    list types into it too; Up/Down move in the list) with a preview. Returns ("load" | "delete"
    | "rename", name); delete and rename are confirmed by the caller."""

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
        *(
            Binding(key, f"act('{what}')", what, id=f"picker-{what}", priority=True, tooltip=tip)
            for key, what, tip in (
                ("ctrl+d", "delete", "delete the highlighted user preset"),
                ("ctrl+r", "rename", "rename the highlighted user preset"),
            )
        ),
        *(
            Binding(key, f"move({step})", show=False, id=f"picker-{key}")
            for key, step in (("down", 1), ("up", -1), ("pagedown", 8), ("pageup", -8))
        ),
    ]

    def __init__(
        self,
        presets: list[Preset],
        problems: list[str],
        current: str | None,
        title: str = "Load a preset",
        manage: bool = True,
    ) -> None:
        """``manage``: offer delete and rename (not where a preset is only chosen)."""
        super().__init__()
        self.presets = {p.name: p for p in presets}
        self.problems = problems
        self.current = current
        self.title_text, self.manage = title, manage

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            yield SafeInput(
                placeholder="type to filter (name or description)",
                id="preset-filter",
                compact=True,
                select_on_focus=False,
            )
            yield OptionList(*self._options(""), id="preset-list", compact=True)
            yield Static("", id="preview")
            if self.problems:
                shown = "\n".join(f"skipped {p}" for p in self.problems[:4])
                yield Static(plain(shown), id="problems")  # file text: never read as markup
            yield Static(PICKER_KEYS if self.manage else CHOOSE_KEYS, classes="hint")

    def _options(self, text: str) -> list[Option]:
        words = text.lower().split()
        out = []
        for name, p in self.presets.items():
            if all(w in f"{name} {p.summary}".lower() for w in words):
                tag = "built-in" if p.builtin else "yours"
                mark = "▸" if name == self.current else " "
                shown = terminal_safe(name)
                prompt = Text.assemble(mark, (f"{shown:<28}", "bold" if mark != " " else ""))
                prompt.append(f" {tag}", style="dim")
                out.append(Option(prompt, id=name))
        return out

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.presets:
            options.highlighted = options.get_option_index(self.current)
        elif options.option_count:
            options.highlighted = 0
        self.query_one("#preset-filter", Input).focus()
        self._preview()

    def on_key(self, event: events.Key) -> None:
        """A letter typed while the list has the focus goes to the filter."""
        box = self.query_one("#preset-filter", Input)
        if event.is_printable and event.character and self.focused is not box:
            event.stop()
            event.prevent_default()
            box.focus()
            box.insert_text_at_cursor(event.character)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            now = options.highlighted if options.highlighted is not None else -step
            options.highlighted = min(max(now + step, 0), options.option_count - 1)

    def _preview(self) -> None:
        options = self.query_one(OptionList)
        i = options.highlighted
        text = Text("no preset matches what is typed")
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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.manage or action != "act" or parameters[:1] == ("load",)

    def action_act(self, what: str) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None or not options.option_count:
            self.notify("no preset matches what is typed", severity="warning", markup=False)
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
