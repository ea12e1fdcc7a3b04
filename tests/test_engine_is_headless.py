"""The engine never imports a UI library (the line harlequin enforces the same way)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_engine_loads_no_ui_module() -> None:
    code = (
        "import sys, engine, engine.cli, engine.sweeps, engine.report, engine.calibration\n"
        "import engine.presets, engine.cli_presets, engine.hfconfig, engine.userdata\n"
        "import engine.measure, engine.compare, engine.cli_measure, engine.profiles\n"
        "bad = [m for m in ('textual', 'rich', 'textual_plotext', 'plotext') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
