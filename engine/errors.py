"""The one exception type for input the engine refuses.

Its message is meant for a person: it says what is wrong, in the terms the person used (the flag,
the preset key, the field of the app), and what is accepted. The CLI prints it on one line and
exits with code 2; the app shows it at the field it names (:attr:`InputError.field`) or as one
notification.

Text read from a file or a server (a name, a description, a path) may hold control characters
(ESC, BEL, an OSC or CSI sequence) that a terminal would obey: :func:`terminal_safe` shows them
as escapes instead, wherever such text is printed.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: an unknown id, an impossible layout, a value out of range, a malformed file.

    ``field`` is the key of the input it is about (``gpus``, ``tp``, ``step_overhead_ms``, ...;
    the keys of :class:`engine.scenario.inputs.ScenarioInput` and of the factor tables), or None.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def terminal_safe(text: str, limit: int | None = None) -> str:
    """``text`` with nothing a terminal would act on: every character that is not printable
    (C0 and C1 controls such as ESC, BEL, CR and newline, DEL, bidirectional and other format
    characters, line and paragraph separators, spaces other than ' ') is written as its Python
    escape (``\\x1b``, ``\\n``, ``\\u202e``), so it stays visible and one line; cut to ``limit``
    characters (ending in '...') when given."""
    out = (
        text
        if text.isprintable()
        else "".join(
            c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
        )
    )
    if limit is None or len(out) <= limit:
        return out
    return out[: limit - 3] + "..."
