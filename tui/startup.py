"""Python's cyclic garbage collector while the app starts.

Starting the app allocates some 10^6 objects (modules, classes, the styles of every widget, the
catalog), none of them garbage; every 700 allocations the collector walks the youngest of them,
and as the heap grows it walks all of them again. That is ~15% of the processor time to the
first frame, for nothing collected. So ``tokentui`` opening the app turns the collector off
(:func:`hold`) until the screen is up, its panes behind the first frame mounted too
(:func:`release`): then what the start made is moved out of the collector's sight for good
(``gc.freeze``: a later full collection, while typing, walks only what was made since) and the
collector is turned back on. A headless command turns it back on before it runs.

A timer releases it at the latest :data:`RELEASE_AT_LATEST` seconds after the screen is
mounted, whatever else happens. Tests and other callers that build the app themselves never
hold the collector, and :func:`release` then does nothing.
"""

from __future__ import annotations

import gc

#: Seconds after the main screen is mounted by which the collector is on again, at the latest.
RELEASE_AT_LATEST = 3.0

_held = False


def hold() -> None:
    """Turn the collector off for the start (undone by :func:`release`)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """The start is over: freeze what it made and turn the collector back on (only if
    :func:`hold` turned it off; a second call does nothing)."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


def held() -> bool:
    """Whether the collector is held off by :func:`hold` now."""
    return _held
