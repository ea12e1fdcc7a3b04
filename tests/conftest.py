"""Shared fixtures: one user folder per test, and the catalog.

The helpers that build scenarios are in ``support.py`` (``from support import make_scenario``).

Every test runs with ``TOKENTUI_HOME`` set to an empty folder of its own (:func:`home`, autouse):
no test reads or writes the real user directory, and no test sees another's presets or profiles.
The session starts with one too, for the CLI subprocesses and anything collected at import time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.physics.specs import GPUSpec, ModelSpec
from engine.storage.catalog import Catalog, default_catalog

_REAL_HOME = os.environ.get("TOKENTUI_HOME")
_SESSION_HOME = tempfile.mkdtemp(prefix="tokentui-test-home-")
#: The built-in catalog's cache (engine.storage.catalog_cache) of this run: never the user's.
_SESSION_CACHE = tempfile.mkdtemp(prefix="tokentui-test-cache-")


def pytest_configure(config: pytest.Config) -> None:
    """Set before test modules are collected, since some build catalogs at import time."""
    os.environ["TOKENTUI_HOME"] = _SESSION_HOME
    os.environ["TOKENTUI_CACHE_DIR"] = _SESSION_CACHE


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_SESSION_HOME, ignore_errors=True)
    shutil.rmtree(_SESSION_CACHE, ignore_errors=True)
    if _REAL_HOME is None:
        os.environ.pop("TOKENTUI_HOME", None)
    else:
        os.environ["TOKENTUI_HOME"] = _REAL_HOME


@pytest.fixture(autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An empty user folder of this test's own (``TOKENTUI_HOME``)."""
    folder = tmp_path_factory.mktemp("home")
    before = os.environ.get("TOKENTUI_HOME")
    os.environ["TOKENTUI_HOME"] = str(folder)
    yield folder
    os.environ["TOKENTUI_HOME"] = before or _SESSION_HOME


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()


@pytest.fixture(scope="session")
def llama70(catalog: Catalog) -> ModelSpec:
    return catalog.model("llama-3.3-70b")


@pytest.fixture(scope="session")
def llama8(catalog: Catalog) -> ModelSpec:
    return catalog.model("llama-3.1-8b")


@pytest.fixture(scope="session")
def h100(catalog: Catalog) -> GPUSpec:
    return catalog.gpu("h100-sxm")
