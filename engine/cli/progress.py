"""A status line on the terminal while long work runs (``calibrate``'s fit, ``bench``'s levels).

One line on stderr, rewritten in place and cleared when the work ends, and only when stderr is a
terminal: piped or captured (a log, a test), nothing is written at all, so what is piped is the
command's output alone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

#: Back to the line's start, and the line cleared.
REWRITE = "\r\x1b[2K"


def is_terminal(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


def _columns(out: TextIO) -> int:
    try:
        columns = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns or 80  # a terminal that does not say (a fresh pty: 0)


class StatusLine:
    """The line: :meth:`show` replaces it (at most every ``interval_s``, but a new text of its
    own ``force``), :meth:`clear` removes it; a context manager clears it on the way out, error
    or not. The text is cut to the terminal's width, so that it never wraps onto a second line
    that the next rewrite would leave behind."""

    def __init__(
        self,
        out: TextIO,
        interval_s: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.out = out
        self.tty = is_terminal(out)
        self.interval_s = interval_s
        self.clock = clock
        self.shown = ""
        self.at = -float("inf")

    def show(self, text: str, force: bool = False) -> None:
        if not self.tty:
            return
        now = self.clock()
        if not force and now - self.at < self.interval_s:
            return
        text = text[: max(_columns(self.out) - 1, 1)]
        if text != self.shown:
            self.out.write(REWRITE + text)
            self.out.flush()
            self.shown = text
        self.at = now

    def clear(self) -> None:
        if self.tty and self.shown:
            self.out.write(REWRITE)
            self.out.flush()
            self.shown = ""

    def __enter__(self) -> StatusLine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.clear()


def elapsed(seconds: float) -> str:
    """'0:07', '1:36', '1:02:03'."""
    s = int(seconds)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"
