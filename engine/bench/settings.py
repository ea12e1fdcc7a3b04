"""What a benchmark runs: its levels, lengths, bounds and warm-up, checked on creation."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine.errors import InputError

#: A bound on a level run by duration (a request count is always there too).
MAX_REQUESTS_PER_LEVEL = 100_000


@dataclass(frozen=True)
class BenchSettings:
    """What to run. ``rates`` replace the closed-loop ``concurrency`` levels when given."""

    url: str
    api: str = "completions"
    model: str | None = None
    concurrency: tuple[int, ...] = (1, 8, 32, 128)
    rates: tuple[float, ...] = ()
    max_concurrency: int | None = None  # rates only
    output_tokens: tuple[int, ...] = (256,)
    input_tokens: int = 256
    prompts: tuple[str, ...] = ()  # from --prompts FILE; else generated to input_tokens
    prompts_file: str | None = None
    requests_per_level: int | None = None  # default: max(10, 4 C) (a rate: max(10, 10 s))
    duration_s: float | None = None
    warmup: int | None = None
    repeats: int = 1
    timeout_s: float = 300.0
    fixed_length: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.concurrency and not self.rates:
            raise InputError("give at least one concurrency or rate", "concurrency")
        if any(c < 1 or c > 4096 for c in self.concurrency):
            raise InputError("concurrency: give whole numbers from 1 to 4096", "concurrency")
        if any(not (0 < r < 1e6) for r in self.rates):
            raise InputError("rate: give requests/s above 0 and finite", "rate")
        if any(n < 1 or n > 1_000_000 for n in self.output_tokens) or not self.output_tokens:
            raise InputError("output tokens: give whole numbers from 1 to 1,000,000", "output")
        if not 1 <= self.input_tokens <= 10_000_000:
            raise InputError("input tokens: give a whole number from 1", "input_tokens")
        if self.requests_per_level is not None and not 1 <= self.requests_per_level <= (
            MAX_REQUESTS_PER_LEVEL
        ):
            raise InputError(
                f"requests per level: give 1 to {MAX_REQUESTS_PER_LEVEL:,}", "requests"
            )
        if self.duration_s is not None and not 0 < self.duration_s <= 86_400:
            raise InputError("duration: give seconds above 0, at most a day", "duration")
        if self.warmup is not None and not 0 <= self.warmup <= 10_000:
            raise InputError("warmup: give 0 to 10,000 requests", "warmup")
        if not 1 <= self.repeats <= 100:
            raise InputError("repeats: give 1 to 100", "repeats")
        if not 0 < self.timeout_s <= 86_400:
            raise InputError("timeout: give seconds above 0", "timeout")

    @property
    def levels(self) -> list[tuple[int | None, float | None, int]]:
        """(concurrency, rate, output tokens) of each level, in the order they run."""
        loads: list[tuple[int | None, float | None]] = (
            [(None, r) for r in self.rates] if self.rates else [(c, None) for c in self.concurrency]
        )
        return [(c, r, n) for n in self.output_tokens for c, r in loads]

    def warmup_for(self, concurrency: int | None, rate: float | None) -> int:
        if self.warmup is not None:
            return self.warmup
        if concurrency is not None:
            return concurrency
        return max(1, min(32, round(rate or 1)))

    def requests_for(self, concurrency: int | None, rate: float | None) -> int:
        if self.requests_per_level is not None:
            return self.requests_per_level
        if self.duration_s is not None:
            return MAX_REQUESTS_PER_LEVEL
        if concurrency is not None:
            return max(10, 4 * concurrency)
        return max(10, min(1000, math.ceil(10 * (rate or 1))))

    def public(self) -> dict[str, Any]:
        """The settings as the results file keeps them (no prompt text, no key)."""
        return {
            "url": self.url,
            "api": self.api,
            "model": self.model,
            "concurrency": list(self.concurrency) if not self.rates else [],
            "rate": list(self.rates),
            "max_concurrency": self.max_concurrency,
            "output_tokens": list(self.output_tokens),
            "input_tokens": None if self.prompts else self.input_tokens,
            "prompts_file": self.prompts_file,
            "prompts": len(self.prompts) or None,
            "requests_per_level": self.requests_per_level,
            "duration_s": self.duration_s,
            "warmup": self.warmup,
            "repeats": self.repeats,
            "timeout_s": self.timeout_s,
            "fixed_length": self.fixed_length,
            "seed": self.seed,
        }


#: Where the API key comes from: never shown, never written to a file.
API_KEY_ENVS = ("TOKENTUI_API_KEY", "OPENAI_API_KEY")


def api_key_from_env() -> str | None:
    return next((os.environ[k] for k in API_KEY_ENVS if os.environ.get(k)), None)


def server_url(text: str) -> str:
    """The server's root URL from what a person typed: http(s), a host, a valid port; a tail
    naming an endpoint (``/v1``, ``/v1/completions``, ``/api/generate``) is dropped, since the
    API picks the endpoint."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"URL {text!r}: give http://HOST:PORT (e.g. http://localhost:8000)", "url")
    try:
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        raise InputError(f"URL {text!r}: bad port", "url") from None
    base = text.strip().rstrip("/")
    for tail in ("/v1/chat/completions", "/v1/completions", "/v1", "/api/generate"):
        if base.endswith(tail):
            return base[: -len(tail)]
    return base


def whole_numbers(text: str, what: str, low: int, high: int, key: str) -> tuple[int, ...]:
    """Comma-separated whole numbers from ``low`` to ``high``, repeats dropped (levels, lengths);
    an :class:`InputError` naming ``what`` (and ``key``, the field) otherwise."""
    if not text.strip():
        raise InputError(f"{what}: give whole numbers separated by commas (e.g. 1,8,32)", key)
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise InputError(
                f"{what} {part!r}: give whole numbers separated by commas (e.g. 1,8,32)", key
            ) from None
        if not value.is_integer() or not low <= value <= high:
            raise InputError(f"{what} {part!r}: give whole numbers from {low} to {high:,}", key)
        out.append(int(value))
    return tuple(dict.fromkeys(out))
