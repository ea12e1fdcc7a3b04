"""Where the user's files live, and how they are written.

The user directory is ``platformdirs.user_config_dir("tokentui")`` (``~/.config/tokentui`` on
Linux); the environment variable ``TOKENTUI_HOME`` replaces it (tests use it, and people on shared
servers). It holds ``presets/``, ``models/`` and ``gpus/``; it is read at call time, never cached
here.

Every write is atomic: the bytes go to a temporary file in the same directory, which is flushed,
synced and then moved over the target with :func:`os.replace`. A failed save (disk full,
permission denied, killed mid-write) leaves the previous file intact; the temporary file is removed
unless the process is killed outright (it is then a hidden ``.NAME.*.tmp`` that nothing reads, and
the next save into that folder removes it once it is :data:`STALE_TEMP_S` old).

A new file gets the permissions the umask allows (``0o666 & ~umask``: ``rw-r--r--`` under the
usual 022, group-writable in a shared ``TOKENTUI_HOME`` under 002); a replaced file keeps its own.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path

import platformdirs

from engine.errors import InputError

HOME_ENV = "TOKENTUI_HOME"
APP_NAME = "tokentui"
TEMP_SUFFIX = ".tmp"
#: A temporary file this old was left by a save that was killed: no save takes minutes.
STALE_TEMP_S = 600.0
#: The name of a temporary file :func:`atomic_write` makes: ``.NAME.<8 hex digits>.tmp``.
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))


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
    remove_stale_temps(folder)
    tmp: str | None = None
    try:
        fd, tmp = _temp_file(folder, path)
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


def _temp_file(folder: Path, path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, open for writing (``O_EXCL``): with the mode of the
    file it will replace, else 0o666 for the umask to narrow."""
    try:
        keep: int | None = path.stat().st_mode & 0o777
    except OSError:
        keep = None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = folder / f".{path.stem}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            fd = os.open(tmp, flags, 0o666 if keep is None else keep)
        except FileExistsError:  # pragma: no cover - one chance in four billion
            continue
        if keep is not None:
            os.chmod(tmp, keep)  # the umask narrowed it
        return fd, str(tmp)


def remove_stale_temps(folder: Path, now: float | None = None) -> None:
    """Remove the temporary files of saves killed mid-write (``.NAME.xxxxxxxx.tmp`` older than
    :data:`STALE_TEMP_S`) from ``folder``; best effort, never an error."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                if (
                    _TEMP_NAME.fullmatch(entry.name)
                    and entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime > STALE_TEMP_S
                ):
                    os.unlink(entry.path)


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
