"""The built-in catalog's cache (engine.storage.catalog_cache): the same catalog as the files make,
read again whenever a file changes, and any cache that cannot be read or written only a miss."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import pytest

from engine.storage import catalog_cache
from engine.storage.catalog import CATALOG_KINDS, Catalog, _load_all, builtin_dir, load_catalog


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(catalog_cache.CACHE_ENV, str(folder))
    return folder


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the built-in catalog's folders."""
    root = tmp_path / "data"
    for kind in CATALOG_KINDS:
        shutil.copytree(builtin_dir() / kind, root / kind)
    return root


class Loads:
    """``load`` for :func:`catalog_cache.cached`: the catalog of ``root``, counting the reads."""

    def __init__(self, root: Path) -> None:
        self.root, self.count = root, 0

    def __call__(self) -> Catalog:
        self.count += 1
        return _load_all([self.root])


def dirs(root: Path) -> list[Path]:
    return [root / kind for kind in CATALOG_KINDS]


def test_the_cached_catalog_is_the_one_the_files_make(cache: Path) -> None:
    first = load_catalog()  # a miss: read from the files, then saved
    assert list(cache.glob("catalog-*.pickle"))
    again = load_catalog()  # from the cache
    fresh = _load_all([builtin_dir()])  # the files, read now
    for cat in (first, again):
        assert cat.models == fresh.models
        assert cat.gpus == fresh.gpus
        assert cat.engines == fresh.engines
        assert cat.errors == fresh.errors == []
    assert again is not first  # a copy of its own: adding a preset's model changes only it
    again.add_model(next(iter(fresh.models.values())))
    assert load_catalog().models == fresh.models


def test_a_second_read_comes_from_the_cache_and_an_edit_reads_the_files(
    cache: Path, data: Path
) -> None:
    other = cache / "catalog-another0install-0123.pickle"  # another install's, kept
    other.parent.mkdir(parents=True)
    other.write_bytes(b"theirs")
    load = Loads(data)
    catalog_cache.cached(dirs(data), Catalog, load)
    catalog_cache.cached(dirs(data), Catalog, load)
    assert load.count == 1
    gpu = sorted((data / "gpus").iterdir())[0]
    text = gpu.read_text()
    gpu.write_text(text.replace('name = "', 'name = "Edited ', 1))
    os.utime(gpu, ns=(gpu.stat().st_atime_ns, gpu.stat().st_mtime_ns + 10**9))
    edited = catalog_cache.cached(dirs(data), Catalog, load)
    assert load.count == 2
    assert any(g.name.startswith("Edited ") for g in edited.gpus.values())
    (data / "models" / "new.toml").write_text("not toml [")
    with_bad = catalog_cache.cached(dirs(data), Catalog, load)
    assert load.count == 3  # a file added is a change too
    assert any("new.toml" in e for e in with_bad.errors)
    (data / "models" / "new.toml").unlink()
    catalog_cache.cached(dirs(data), Catalog, load)
    assert load.count == 4
    assert len(list(cache.glob("catalog-*.pickle"))) == 2  # this install's older keys removed
    assert other.read_bytes() == b"theirs"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x80\x05garbage",
        pickle.dumps({"not": "a catalog"}),
        pickle.dumps(Catalog())[:-5],
        b"c__main__\nnever_defined\n.",  # names a global that does not exist
    ],
    ids=["empty", "garbage", "another-type", "truncated", "unknown-global"],
)
def test_an_unreadable_cache_is_only_a_miss(cache: Path, data: Path, content: bytes) -> None:
    load = Loads(data)
    catalog_cache.cached(dirs(data), Catalog, load)
    (path,) = cache.glob("catalog-*.pickle")
    path.write_bytes(content)
    got = catalog_cache.cached(dirs(data), Catalog, load)
    assert load.count == 2
    assert got.models == _load_all([data]).models
    assert isinstance(pickle.loads(path.read_bytes()), Catalog)  # rewritten


def test_a_cache_that_cannot_be_written_is_left_alone(
    tmp_path: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(catalog_cache.CACHE_ENV, str(blocked / "cache"))
    load = Loads(data)
    for _ in range(2):
        assert catalog_cache.cached(dirs(data), Catalog, load).models == _load_all([data]).models
    assert load.count == 2
