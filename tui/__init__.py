"""The Textual app (see :mod:`tui.app`).

Textual paints the screen on a timer of ``TEXTUAL_FPS`` frames a second (60 by default), paused
between updates; a key press that changes the scenario waits for the frame after its results
(up to 1/60 s, ~10 ms on average). At 120 the wait halves: a key press redraws the chart ~10 ms
sooner (``scripts/bench_tui.py``), and an idle app paints no more often. Set before Textual is
first imported; a value in the environment wins.
"""

import os

os.environ.setdefault("TEXTUAL_FPS", "120")
