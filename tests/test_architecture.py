"""The shape of the code, checked: the engine never imports a UI library (every module of it, found
by walking the package, as harlequin checks its core), the layers import only downwards (the
import-linter contracts in pyproject.toml), no module grows past 500 lines, and ``presets/`` is
shipped as data inside the engine, not as a package of its own."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parent.parent
UI = ("textual", "rich", "textual_plotext", "plotext")
MAX_LINES = 500


def engine_modules() -> list[str]:
    return sorted(
        m.name for m in pkgutil.walk_packages(engine.__path__, prefix="engine.") if m.name
    )


def test_the_walk_finds_every_engine_module() -> None:
    files = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / "engine").rglob("*.py")
    }
    assert set(engine_modules()) == files - {"engine"}
    assert "engine.views.dashboard" in files  # the module the hand-made list once missed


def test_importing_every_engine_module_loads_no_ui_module() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(m for m in {UI!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_import_contracts_hold() -> None:
    """The layers (physics < scenario < storage < measure < views < cli), no UI library in the
    engine, the engine never importing the app, and the app's own layers: ``lint-imports`` on
    pyproject.toml."""
    exe = Path(sys.executable).parent / "lint-imports"
    if not exe.exists():
        pytest.fail("lint-imports is not installed (pip install -e '.[test]')")
    out = subprocess.run(
        [str(exe), "--no-cache"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Contracts: 4 kept, 0 broken." in out.stdout


def test_no_import_cycles() -> None:
    """No module imports one that imports it back, however indirectly (there were six: the CLI
    root and its subcommands, the scenario and the profiles, the app's widgets, draft and
    workload pane)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("engine", "tui", exclude_type_checking_imports=True)
    cycles = sorted(
        (m, i)
        for m in graph.modules
        for i in graph.find_modules_directly_imported_by(m)
        if i in graph.modules and graph.chain_exists(importer=i, imported=m)
    )
    assert cycles == []


def test_no_module_is_over_500_lines() -> None:
    sources = [*(ROOT / "engine").rglob("*.py"), *(ROOT / "tui").rglob("*.py")]
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_presets_is_data_not_a_package() -> None:
    """PyPI has distributions named ``presets`` (and ``tui``): a top-level ``presets`` package
    could be overwritten by one in a shared environment. The data ships inside ``engine``."""
    assert not (ROOT / "presets" / "__init__.py").exists()
    import tomllib

    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    wheel = build["targets"]["wheel"]
    assert "presets" not in wheel["packages"]
    assert wheel["force-include"] == {"presets": "engine/_presets"}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git for a clean source tree")
def test_the_wheel_carries_the_data_inside_the_engine(tmp_path: Path) -> None:
    """Build the wheel (hatchling, offline from the environment's own copy when it has one) and
    read its table of contents."""
    pytest.importorskip("hatchling")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("tokentui-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"engine", "tui"}
    assert "engine/_presets/models/llama-3.3-70b.toml" in names
    assert "engine/_presets/calibration/default.toml" in names
    assert "engine/_presets/scenarios/article-70b-4xh100.toml" in names
    assert "tui/app.tcss" in names
