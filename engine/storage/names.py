"""Names of the files tokentui saves (presets, profiles, imported models): one rule for all.

A name is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit, not ending with '.',
not ending in '.toml' and not a Windows device name (con, nul, com1 ...): safe as a file name on
every platform, and the same everywhere. :func:`check_name` refuses anything else with the reason;
:func:`safe_name` makes such a name from any text, to show before saving.
"""

from __future__ import annotations

import re
import unicodedata

from engine.errors import InputError
from engine.storage.tomlio import check_text

MAX_NAME_LENGTH = 64
_NAME_RE = re.compile(r"[a-z0-9._-]+")
#: Device names Windows refuses as file names, with or without an extension.
_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(10)} | {f"lpt{i}" for i in range(10)}
)


def check_name(name: object, what: str = "preset name") -> str:
    """``name`` if it is a safe file name, else :class:`InputError` with the reason.

    Accepted: 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit, not ending with
    '.', not ending in '.toml' and not a Windows device name (con, nul, com1 ...).
    """
    if not isinstance(name, str):
        raise InputError(f"a {what} must be a string, got {name!r}")
    if not name.strip():
        raise InputError(f"a {what} must not be empty")
    check_text(name, f"{what} {name!r}")
    if "/" in name or "\\" in name:
        raise InputError(
            f"{what} {name!r} must not contain a slash (it names a file in tokentui's folder; "
            f"to load a file elsewhere, give its path ending in .toml)"
        )
    if name in (".", ".."):
        raise InputError(f"{what} {name!r} is a path component, not a name")
    if len(name) > MAX_NAME_LENGTH:
        raise InputError(
            f"{what} {name[:20]!r}... is {len(name)} characters long (at most {MAX_NAME_LENGTH})"
        )
    if name.lower().endswith(".toml"):
        raise InputError(
            f"{what} {name!r} must not end in .toml (a name, not a file; "
            f"e.g. {name[:-5]!r}, or give a path such as ./{name} to load that file)"
        )
    if not _NAME_RE.fullmatch(name):
        raise InputError(
            f"{what} {name!r} may contain only lowercase letters a-z, digits, '.', '_' and '-'"
            + _suggest(name, what)
        )
    if name[0] in "._-":
        raise InputError(
            f"{what} {name!r} must start with a letter or a digit" + _suggest(name, what)
        )
    if name.endswith("."):
        raise InputError(f"{what} {name!r} must not end with '.'" + _suggest(name, what))
    if name.split(".")[0] in _RESERVED:
        raise InputError(f"{what} {name!r} is a reserved device name on Windows")
    return name


def _suggest(name: str, what: str) -> str:
    try:
        return f" (e.g. {safe_name(name, what)!r})"
    except InputError:
        return ""


def safe_name(text: str, what: str = "preset name") -> str:
    """A safe file name made from any text ("Llama 70B / 4x H100" -> "llama-70b-4x-h100"), to
    show before saving. :class:`InputError` when the text has no letter or digit to keep."""
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    s = re.sub(r"[^a-z0-9._-]+", "-", s)
    s = re.sub(r"\.{2,}", ".", s)
    s = re.sub(r"-{2,}", "-", s)
    s = s.strip("._-")
    if s.endswith(".toml"):
        s = s[: -len(".toml")].rstrip("._-")
    s = s[:MAX_NAME_LENGTH].rstrip("._-")
    if not s:
        raise InputError(
            f"cannot make a {what} from {text!r}: it has no letter or digit "
            f"(use a-z, 0-9, '.', '_' and '-')"
        )
    if s.split(".")[0] in _RESERVED:
        s = f"{s[: MAX_NAME_LENGTH - 2]}-1"
    return check_name(s, what)
