"""The one exception type for input the engine refuses.

Its message is meant for a person: it says what is wrong, in the terms the person used (the flag,
the preset key, the field of the app), and what is accepted. The CLI prints it on one line and
exits with code 2; the app shows it at the field it names (:attr:`InputError.field`) or as one
notification.
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
