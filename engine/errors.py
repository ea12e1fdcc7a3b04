"""The one exception type for input the engine refuses.

Its message is meant for a person: it says what is wrong and what is accepted. The CLI prints it on
one line and exits with code 2; the app shows it as a notification.
"""


class InputError(ValueError):
    """Bad input: an unknown id, an impossible layout, a value out of range, a malformed file."""
