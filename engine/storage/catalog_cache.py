"""The built-in catalog, kept once read: reading its ~70 TOML files and checking every field takes
~45 ms, a tenth of the app's start, for files that change only with an install.

:func:`cached` returns the built-in catalog as it was last read, from a pickle in the user's cache
directory (``platformdirs.user_cache_dir("tokentui")``, or ``$TOKENTUI_CACHE_DIR``), when its key
still matches: the tokentui and Python versions, and the name, size and modification time of every
built-in catalog file and of every engine module that reads them or defines what they make (a
source checkout's edit reads the files again). Otherwise, or when the cache cannot be read (missing,
truncated, from another version), it calls ``load`` and saves what that returns; a cache that
cannot be written is left alone. Only the built-in files are cached: the user's own are read at
every start, so that every check of theirs (and every message about them) stays as it is.

The pickle holds only what the catalog's own code made from the shipped files, in the user's own
cache directory: it is trusted as Python trusts its ``__pycache__`` beside the same package.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import platformdirs

from engine import __version__
from engine.errors import InputError
from engine.storage.paths import APP_NAME, atomic_write

CACHE_ENV = "TOKENTUI_CACHE_DIR"
#: The engine packages whose modules read the catalog's files or define what they make.
SOURCE_PACKAGES = ("physics", "scenario", "storage")
T = TypeVar("T")


def cache_dir() -> Path:
    """``$TOKENTUI_CACHE_DIR`` when set (and not empty), else the platform's user cache folder."""
    folder = os.environ.get(CACHE_ENV, "").strip()
    if folder:
        return Path(folder).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME))


def _entries(folders: Iterable[Path]) -> Iterable[str]:
    for folder in folders:
        try:
            with os.scandir(folder) as it:
                names = sorted((e.name, e) for e in it)
        except OSError:
            yield f"{folder}\0-"
            continue
        for name, entry in names:
            try:
                st = entry.stat()
            except OSError:
                yield f"{folder}/{name}\0-"
                continue
            yield f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}"


def key(data_dirs: Iterable[Path]) -> str:
    """What the cached catalog was made from (see the module docstring), as a hex digest."""
    engine_dir = Path(__file__).resolve().parents[1]
    sources = [engine_dir / pkg for pkg in SOURCE_PACKAGES]
    h = hashlib.sha256(f"{__version__}\0{sys.version}\0{pickle.HIGHEST_PROTOCOL}".encode())
    for line in _entries([*data_dirs, *sources]):
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return h.hexdigest()


def cached(data_dirs: Iterable[Path], kind: type[T], load: Callable[[], T]) -> T:
    """The object ``load()`` makes from the files in ``data_dirs``: from the cache when its key
    matches and it holds a ``kind``, else from ``load()`` (then saved for the next start)."""
    # one file per install (its place): two installs, each its own, do not evict each other
    where = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:12]
    path = cache_dir() / f"catalog-{where}-{key(data_dirs)[:32]}.pickle"
    with contextlib.suppress(Exception):  # any unreadable cache is only a miss
        with path.open("rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, kind):
            return found
    made = load()
    with contextlib.suppress(InputError, OSError, pickle.PicklingError):
        for old in path.parent.glob(f"catalog-{where}-*.pickle"):  # this install's older keys
            if old != path:
                with contextlib.suppress(OSError):
                    old.unlink()
        atomic_write(path, pickle.dumps(made, protocol=pickle.HIGHEST_PROTOCOL))
    return made
