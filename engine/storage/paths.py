"""Where the user's files live, and how they are written.

The user directory is ``platformdirs.user_config_dir("tokentui")`` (``~/.config/tokentui`` on
Linux); the environment variable ``TOKENTUI_HOME`` replaces it (tests use it, and people on shared
servers). It holds ``presets/``, ``models/`` and ``gpus/``; it is read at call time, never cached
here.

Every write is atomic: the bytes go to a temporary file in the same directory, which is flushed,
synced and then moved over the target with :func:`os.replace`. A failed save (disk full,
permission denied, killed mid-write) leaves the previous file intact; the temporary file is removed
unless the process is killed outright (it is then a hidden ``.NAME.*.tmp`` that nothing reads).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import platformdirs

from engine.errors import InputError

HOME_ENV = "TOKENTUI_HOME"
APP_NAME = "tokentui"
TEMP_SUFFIX = ".tmp"


def config_dir() -> Path:
    """``$TOKENTUI_HOME`` when set (and not empty), else the platform's user config directory."""
    home = os.environ.get(HOME_ENV, "").strip()
    if home:
        return Path(home).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME))


def atomic_write(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see the module docstring).

    With ``overwrite=False`` an existing ``path`` is refused. Errors are :class:`InputError` naming
    the file and saying that the previous file, if any, is unchanged.
    """
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the folder {folder} ({exc})") from None
    if not overwrite and path.exists():
        raise InputError(f"{path}: already exists")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.stem}.", suffix=TEMP_SUFFIX)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        kept = "the previous file is unchanged" if path.exists() else "nothing was written"
        raise InputError(f"{path}: cannot be saved ({exc}); {kept}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _sync_dir(folder)


def _sync_dir(folder: Path) -> None:
    """Make the rename durable where the platform allows it (best effort)."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:  # pragma: no cover - e.g. a folder we may write but not open
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)
