"""The prompts a benchmark sends: generated from common words to a length, or read from a file."""

from __future__ import annotations

import random
from pathlib import Path

from engine.bench.protocol import StreamError, decode_json
from engine.errors import InputError
from engine.storage.files import read_text

MAX_PROMPTS_BYTES = 64 * 1024 * 1024

_WORD_TEXT = """
the of and to in is that it was for on are as with his they at be this from have or by one
had not but what all were when we there can an your which their said if do will each about
how up out them then she many some so these would other into has more her two like him see
time could no make than first been its who now people my made over did down only way find
use may water long little very after words called just where most know get through back much
before go good new write our used me man too any day same right look think also around
another came come work three word must because does part even place well such here take why
"""
#: Common English words, one token each in the usual tokenizers.
WORDS: tuple[str, ...] = tuple(_WORD_TEXT.split())


def make_prompt(index: int, words: int, rng: random.Random) -> str:
    """A prompt of ``words`` common words, led by the request's number (so that no two prompts
    share a prefix a server could serve from its cache)."""
    body = " ".join(rng.choice(WORDS) for _ in range(max(0, words - 1)))
    return f"{index} {body}".strip()


def read_prompts(path: str) -> tuple[str, ...]:
    """Prompts from a file: one a line, or JSON lines with a 'prompt' (or 'text') field."""
    try:
        text = read_text(Path(path), MAX_PROMPTS_BYTES)
    except InputError as exc:
        raise InputError(f"--prompts {exc}") from None
    prompts = []
    for i, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                obj = decode_json(line, "JSON line")
            except StreamError as exc:
                raise InputError(f"--prompts {path}: line {i}: {exc}") from None
            value = obj.get("prompt", obj.get("text")) if isinstance(obj, dict) else None
            if not isinstance(value, str) or not value.strip():
                raise InputError(
                    f"--prompts {path}: line {i}: a JSON line needs a 'prompt' text field"
                )
            line = value
        prompts.append(line)
    if not prompts:
        raise InputError(f"--prompts {path}: no prompt in the file (one a line)")
    return tuple(prompts[:100_000])
