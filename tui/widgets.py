"""Small building blocks shared by the panes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Static

from engine import InputError


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


class Field(Vertical):
    """A label, a one-line input and, under it, why the value is refused (when it is)."""

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: 1; }
    Field Label { width: 12; color: $text-muted; }
    Field Input { width: 1fr; }
    Field .error { color: $error; height: auto; display: none; }
    Field .error.-shown { display: block; }
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
    ) -> None:
        super().__init__(id=id or f"field-{name.replace('.', '-')}")
        self.field_name = name
        self.label = label
        self.initial = value
        self.parse = parse
        self.placeholder = placeholder
        self.help = tooltip

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label)
            field_input = Input(
                self.initial,
                placeholder=self.placeholder,
                validators=[Parsed(self.parse)],
                validate_on=["changed", "submitted"],
                id=f"{self.id}-input",
                compact=True,
            )
            field_input.tooltip = self.help
            yield field_input
        yield Static("", classes="error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_value(self, text: str) -> None:
        """Show ``text`` without reporting a change (the value came from the app)."""
        field_input = self.input
        with field_input.prevent(Input.Changed):
            field_input.value = text
        self.show_error(None)

    def show_error(self, message: str | None) -> None:
        error = self.query_one(".error", Static)
        error.update(message or "")
        error.set_class(bool(message), "-shown")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        result = event.validation_result
        if result is not None and not result.is_valid:
            self.show_error(result.failure_descriptions[0])
            return
        self.show_error(None)
        self.post_message(Edit(self.field_name, self.parse(event.value)))
