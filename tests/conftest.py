from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from engine import default_catalog
from engine.catalog import Catalog
from engine.specs import GPUSpec, ModelSpec

_REAL_HOME = os.environ.get("TOKENTUI_HOME")
_TEST_HOME = tempfile.mkdtemp(prefix="tokentui-test-home-")


def pytest_configure(config: pytest.Config) -> None:
    """Never read or write the real user directory: the session (and every CLI subprocess it
    starts) sees an empty ``TOKENTUI_HOME`` unless a test sets its own. Set before test modules
    are collected, since some build catalogs at import time."""
    os.environ["TOKENTUI_HOME"] = _TEST_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_TEST_HOME, ignore_errors=True)
    if _REAL_HOME is None:
        os.environ.pop("TOKENTUI_HOME", None)
    else:
        os.environ["TOKENTUI_HOME"] = _REAL_HOME


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
