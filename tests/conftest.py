from __future__ import annotations

import pytest

from engine import default_catalog
from engine.catalog import Catalog
from engine.specs import GPUSpec, ModelSpec


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
