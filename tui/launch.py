"""The ``tokentui`` console script's entry: it turns Python's cyclic garbage collector off before
anything else is imported (:mod:`tui.startup` says why), then runs :func:`tui.main.main`, which
turns it back on at once for a headless command, and once the app is up otherwise."""

from __future__ import annotations

from tui import startup


def main() -> int:
    startup.hold()
    from tui.main import main as tokentui

    return tokentui()
