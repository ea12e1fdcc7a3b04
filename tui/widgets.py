"""Small building blocks shared by the panes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from engine.errors import InputError, terminal_safe

if TYPE_CHECKING:
    from engine.views.dashboard import Dashboard
    from tui.state import Draft


def plain(text: str, style: str = "") -> Text:
    """``text`` (from a file, a server, an error naming a path) as it is shown: never read as
    markup, and with nothing a terminal would act on (:func:`~engine.errors.terminal_safe`: ESC,
    BEL and other control characters as visible escapes); its line breaks kept."""
    return Text("\n".join(terminal_safe(line) for line in text.split("\n")), style=style)


class Facts(Static):
    """Fixed-height text that repaints only when it changes, and never relayouts. Built from
    Text (a name or a link's kind from a file is never read as markup)."""

    def show(self, text: Text) -> None:
        if text != getattr(self, "_shown", None):
            self._shown = text
            self.update(text, layout=False)


def visible(text: str) -> str:
    """``text`` with each character a terminal would act on (ESC, BEL, any non-printable one)
    drawn as one visible character in its place (its control picture: ␛, ␇; else �), so that a
    text field's cursor, which counts characters, stays where it was."""
    if text.isprintable():
        return text
    return "".join(
        c
        if c.isprintable()
        else chr(0x2400 + ord(c))
        if ord(c) < 0x20
        else "␡"
        if c == "\x7f"
        else "�"
        for c in text
    )


class SafeInput(Input):
    """A text field that never sends its text raw to the terminal: a value holding a control
    character (a file's name completed or pasted into it) shows it as :func:`visible` does; the
    value itself is left as it is (it names that file)."""

    @property
    def _value(self) -> Text:
        text = super()._value
        if not text.plain.isprintable():
            shown = Text(visible(text.plain), no_wrap=True, overflow="ignore", end="")
            shown.spans = text.spans
            return shown
        return text

    def render_line(self, y: int) -> Strip:
        """The line, its completion too (a file's name) shown as :func:`visible` shows it."""
        strip = super().render_line(y)
        if all(seg.text.isprintable() for seg in strip):
            return strip
        segments = [Segment(visible(seg.text), seg.style, seg.control) for seg in strip]
        return Strip(segments).crop(0, strip.cell_length)


ResultT = TypeVar("ResultT")


def nothing_to_await() -> AwaitComplete:
    """What a dismiss that does nothing returns (Textual's ``AwaitComplete.nothing``, typed)."""
    done: AwaitComplete = AwaitComplete.nothing()  # type: ignore[no-untyped-call]
    return done


class OnceModal(ModalScreen[ResultT]):
    """A dialog dismissed once: Textual's ``dismiss`` pops whatever screen is on top, so a second
    Escape or Enter that reaches a dialog already dismissed (keys typed faster than it leaves)
    popped the screen under it, the main screen, and then raised ScreenStackError (key mashing
    found it). Here a dialog no longer on top dismisses nothing."""

    def dismiss(self, result: ResultT | None = None) -> AwaitComplete:
        if self.app.screen is not self:
            return nothing_to_await()
        return super().dismiss(result)


class FixedInput(SafeInput):
    """A one-line input of fixed size. Textual relayouts the whole screen on every keystroke of
    an Input (its virtual size changes); a fixed-size one never needs that, so a keystroke only
    repaints it (this keeps a key press to a redrawn chart well under 100 ms)."""

    DEFAULT_CSS = "FixedInput { height: 1; }"

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        return super().refresh(*regions, repaint=repaint, layout=False, recompose=recompose)


class Parsed(Validator):
    """Validate with a parser that raises InputError or ValueError; its message is the reason."""

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def validate(self, value: str) -> ValidationResult:
        try:
            self.parse(value)
        except (InputError, ValueError) as exc:
            return self.failure(str(exc) or "not accepted")
        return self.success()


def number(kind: type, low: float, high: float, what: str) -> Callable[[str], Any]:
    """A parser for an int or float field in [low, high]; the error names the accepted range."""

    def parse(text: str) -> Any:
        try:
            value = kind(text.strip().replace("_", "").replace(",", ""))
        except ValueError:
            noun = "a whole number" if kind is int else "a number"
            raise InputError(f"{what}: give {noun} from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise InputError(f"{what}: must be from {low:g} to {high:g}")
        return value

    return parse


@dataclass
class Edit(Message):
    """The user changed one input of the scenario to a valid value."""

    name: str
    value: Any


class AfterFirstFrame(Widget):
    """Runs ``then`` once the first frame is out, then goes: the way Textual's ``Lazy`` mounts
    the one widget it wraps, for a whole screen's worth of widgets behind its first frame, with
    one node where a ``Lazy`` each took a node per widget (each node costs the start its styling
    and mounting)."""

    DEFAULT_CSS = "AfterFirstFrame { display: none; }"

    def __init__(self, then: Callable[[], Awaitable[None]]) -> None:
        super().__init__()
        self._then = then

    async def mount_composed_widgets(self, widgets: list[Widget]) -> None:
        async def run() -> None:
            await self._then()
            await self.remove()

        self.call_after_refresh(run)


@dataclass
class PaneMounted(Message):
    """A side pane mounted after the first frame (its tab is behind): the screen shows the
    scenario in it (the results pushed down before it existed did not reach it)."""

    pane: SidePane


class SidePane(Vertical):
    """A pane of the side panel (model, GPU, workload): it shows the draft and the scenario's
    results, and is mounted after the first frame (it says so: :class:`PaneMounted`), so that the
    screen knows its panes by this type without importing their modules at the start."""

    def on_mount(self) -> None:
        self.post_message(PaneMounted(self))  # mounted after the first frame: be shown then

    def show(self, draft: Draft, d: Dashboard) -> None:
        """Show ``draft`` (the inputs as typed) and ``d`` (what they resolve to)."""
        raise NotImplementedError

    def refresh_catalog(self) -> None:
        """The catalog gained an entry (a preset's own model or GPU): list it."""


class Field(Vertical):
    """A label, a one-line input and, under it, why the value is refused (when it is)."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: 1; }
    Field Label { width: 12; color: $text-muted; }
    Field Input { width: 1fr; height: 1; }  /* fixed size: typing needs no relayout */
    Field .key { width: 2; padding-left: 1; color: $text-accent; text-style: bold; }
    Field .error { color: $text-error; height: auto; display: none; }
    Field .error.-shown { display: block; }
    /* The focused field, plain in any theme: its label reversed, its input tinted. */
    Field.-focus Label { color: $text; text-style: bold reverse; }
    Field Input:focus { background: $primary 35%; }
    Field.-joint Label { color: $text-error; }
    """

    def __init__(
        self,
        name: str,
        label: str,
        value: str,
        parse: Callable[[str], Any],
        *,
        placeholder: str = "",
        tooltip: str | None = None,
        id: str | None = None,
        key: str = "",
    ) -> None:
        """``key``: the jump key shown at the row's end (:mod:`tui.panes.jumps`)."""
        super().__init__(id=id or f"field-{name.replace('.', '-')}")
        self.field_name = name
        self.label = label
        self.initial = value
        self.parse = parse
        self.placeholder = placeholder
        self.help = tooltip
        self.key = key
        self._error = ""  # the error line as shown
        self._refused = ""  # why the text typed is refused (the field's own check)
        self.joint = ""  # why the value, with the others, makes no scenario (the screen's)
        self._reported = value  # the text whose value the app already has

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label)
            field_input = FixedInput(
                self.initial,
                placeholder=self.placeholder,
                validators=[Parsed(self.parse)],
                validate_on=["changed", "submitted"],
                id=f"{self.id}-input",
                compact=True,
            )
            field_input.tooltip = self.help
            yield field_input
            if self.key:
                yield Label(self.key, classes="key")
        yield Static("", classes="error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_value(self, text: str) -> None:
        """Show ``text`` without reporting a change (the value came from the app)."""
        field_input = self.input
        self._reported = text
        with field_input.prevent(Input.Changed):
            field_input.value = text
        self.show_error(None)

    def sync(self, text: str) -> None:
        """Show ``text`` if the field does not already (a preset or a file set the value)."""
        if text != self.input.value:
            self.set_value(text)

    def show_error(self, message: str | None) -> None:
        """Say why the text typed is refused (None: it is not)."""
        self._refused = message or ""
        self._show()

    def show_joint(self, message: str | None) -> None:
        """Say why the value, with the other inputs, makes no scenario (None: it does now): the
        screen files such an error under the field it names (:attr:`InputError.field`)."""
        self.joint = message or ""
        self.set_class(bool(self.joint), "-joint")
        self._show()

    def _show(self) -> None:
        text = self._refused or self.joint
        if text == self._error:
            return  # unchanged: no repaint, no relayout
        self._error = text
        error = self.query_one(".error", Static)
        error.update(plain(text))  # a reason may quote a path or a name: never markup
        error.set_class(bool(text), "-shown")

    @property
    def error(self) -> str:
        """The error line as shown (empty when there is none)."""
        return self._error

    def on_descendant_focus(self) -> None:
        self.add_class("-focus")  # a class restyles the label (:focus-within does not)

    def on_descendant_blur(self) -> None:
        self.remove_class("-focus")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value == self._reported:
            self.show_error(None)
            return  # e.g. the input announcing its initial value: nothing changed
        result = event.validation_result
        if result is not None and not result.is_valid:
            self.show_error(result.failure_descriptions[0])
            return
        self.show_error(None)
        self._reported = event.value
        self.screen.post_message(Edit(self.field_name, self.parse(event.value)))  # one hop


class Choice(Widget, can_focus=True):
    """A one-line choice among a few values: Left/Right (or Enter, Space, a click) move to the
    previous/next value. Much lighter than a Select (no overlay), and keyboard first."""

    DEFAULT_CSS = """
    Choice { height: 1; width: 1fr; background: $boost; padding: 0 0 0 1; }
    Choice:focus { background: $primary; color: $text; text-style: bold; }
    Choice:disabled { color: $text-disabled; }
    """
    BINDINGS = [
        Binding("left", "step(-1)", "previous", show=False),
        Binding("right,enter,space", "step(1)", "next", show=False),
    ]

    value: reactive[str] = reactive("")

    def __init__(
        self,
        name: str,
        label: str,
        options: Sequence[tuple[str, str]],
        value: str,
        *,
        id: str | None = None,
        tooltip: str | None = None,
        key: str = "",
    ) -> None:
        """``key``: the jump key shown at the right end (:mod:`tui.panes.jumps`)."""
        super().__init__(id=id)
        self.field_name = name
        self.label = label
        self.key = key
        self.options = list(options)  # (value, shown text)
        self.set_reactive(Choice.value, value)
        if tooltip:
            self.tooltip = tooltip

    def render(self) -> Text:
        shown = dict(self.options).get(self.value, self.value)
        text = plain(f"{self.label}: {shown} ◂▸")  # a profile's name is a file's
        if self.key:  # right-aligned, where a field shows its key
            gap = max(1, self.content_size.width - text.cell_len - len(self.key))
            text.append(" " * gap)
            text.append(self.key, style="bold")
        return text

    def action_step(self, step: int) -> None:
        values = [v for v, _ in self.options]
        i = values.index(self.value) if self.value in values else 0
        self.value = values[(i + step) % len(values)]
        self.screen.post_message(Edit(self.field_name, self.value))

    def on_click(self) -> None:
        self.action_step(1)

    def show(self, value: str) -> None:
        """Show ``value`` without reporting a change."""
        if value != self.value:
            self.set_reactive(Choice.value, value)
            self.refresh()
