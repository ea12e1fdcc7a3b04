"""Fixtures for the live tests: a real llama.cpp ``llama-server`` on a tiny random-weight model.

The server comes from ``scripts/test_server.py`` (imported here by path: ``scripts/`` is not a
package), which builds it once into a cache outside the repository (``scripts/test_server.py
build``, ~10 minutes on 2 cores) and writes the model (18.7 MB, a few seconds) beside it.

- ``llama_server``: the base URL (``http://127.0.0.1:PORT``) of one server for the whole session
  (8 slots, 8,192 tokens of context split across them). Tests must not stop it.
- ``fresh_llama_server``: a server of the test's own, as a handle (``.url``, ``.port``,
  ``.process``, ``.stop()``, ``.kill()``, ``.stderr_tail()``), for tests that stop or kill it
  mid-run; it is stopped after the test whatever happened.
- ``start_llama_server``: a factory, ``start_llama_server(slots=1, ctx=2048)``, for other
  settings; every server it starts is stopped after the test.

Without a built binary the live tests are skipped (the reason names ``scripts/test_server.py
build``), unless ``TOKENTUI_REQUIRE_TEST_SERVER=1`` (CI sets it), which makes them fail instead.
Every test here is marked ``live``: ``pytest -m 'not live'`` leaves them out.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
_SCRIPT = _HERE.parents[1] / "scripts" / "test_server.py"


def _load_script() -> ModuleType:
    name = "tokentui_test_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _SCRIPT)
    assert spec is not None and spec.loader is not None, _SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: dataclasses look their module up
    spec.loader.exec_module(module)
    return module


server_script = _load_script()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "live: needs the real llama-server of scripts/test_server.py (tests/live)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.live)


def _required() -> bool:
    return os.environ.get("TOKENTUI_REQUIRE_TEST_SERVER", "") not in ("", "0")


@pytest.fixture(scope="session")
def llama_binary() -> Path:
    """The cached llama-server; skips (or fails, with TOKENTUI_REQUIRE_TEST_SERVER=1) without it."""
    binary = server_script.cached_binary()
    if binary is None:
        message = (
            f"no llama-server in {server_script.cache_dir()}: run `python3 scripts/test_server.py "
            "build` (~10 min, cached)"
        )
        if _required():
            pytest.fail(f"TOKENTUI_REQUIRE_TEST_SERVER is set and {message}", pytrace=False)
        pytest.skip(message)
    return Path(binary)


@pytest.fixture(scope="session")
def llama_model(llama_binary: Path) -> Path:
    """The tiny random-weight model (written into the cache folder the first time)."""
    return Path(server_script.ensure_model(llama_binary.parent))


@pytest.fixture(scope="session")
def llama_server(llama_binary: Path, llama_model: Path) -> Iterator[str]:
    """The base URL of one llama-server for the session."""
    handle = server_script.start_server(llama_binary, llama_model)
    try:
        yield handle.url
    finally:
        handle.stop()


@pytest.fixture
def start_llama_server(llama_binary: Path, llama_model: Path) -> Iterator[Callable[..., Any]]:
    """``start(port=None, slots=8, ctx=8192)`` -> a handle; all are stopped after the test."""
    handles: list[Any] = []

    def start(**kwargs: Any) -> Any:
        handle = server_script.start_server(llama_binary, llama_model, **kwargs)
        handles.append(handle)
        return handle

    try:
        yield start
    finally:
        for handle in handles:
            handle.stop()


@pytest.fixture
def fresh_llama_server(start_llama_server: Callable[..., Any]) -> Any:
    """A llama-server of this test's own (8 slots), as a handle: ``.url``, ``.stop()``, ..."""
    return start_llama_server()
