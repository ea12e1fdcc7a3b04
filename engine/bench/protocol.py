"""The wire formats ``tokentui bench`` speaks, as pure functions (no I/O, no clock).

Three APIs:

``completions``  OpenAI ``POST /v1/completions`` with ``stream: true``: Server-Sent Events, one
                 ``data: {json}`` event per chunk, ``choices[0].text``, ending ``data: [DONE]``
``chat``         OpenAI ``POST /v1/chat/completions``: the same, ``choices[0].delta.content``
``ollama``       Ollama's ``POST /api/generate``: one JSON object a line (NDJSON), ``response``
                 per chunk, the last with ``done: true`` and the server's counts ``eval_count``,
                 ``eval_duration``, ``prompt_eval_count``, ``prompt_eval_duration`` (ns)

Every served engine (vLLM, SGLang, trtllm-serve, llama-server, Ollama's ``/v1``) speaks the first
two. To hold the output length fixed, the OpenAI bodies carry ``ignore_eos`` and ``min_tokens``
(vLLM, SGLang and llama-server honour them; others ignore unknown fields) and llama.cpp's
``cache_prompt: false``; Ollama has no such option, so a shortfall is measured and reported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from engine.storage.files import loads_json

Api = Literal["completions", "chat", "ollama"]
APIS: tuple[str, ...] = ("completions", "chat", "ollama")
PATHS: dict[str, str] = {
    "completions": "/v1/completions",
    "chat": "/v1/chat/completions",
    "ollama": "/api/generate",
}
#: Where each API family lists the served models.
MODEL_LISTS: dict[str, str] = {"completions": "/v1/models", "chat": "/v1/models"}
MODEL_LISTS["ollama"] = "/api/tags"


class StreamError(ValueError):
    """A stream that does not follow its protocol (malformed event, an error event)."""


@dataclass(frozen=True)
class Event:
    """What one streamed event carried.

    ``text`` is the generated text of this chunk ('' for a role, finish or usage chunk);
    ``tokens`` how many tokens the server says the chunk carried, when it says (Ollama: 1 a line;
    OpenAI chunks do not say); the counts are the server's, on the event that carries them (the
    usage chunk, Ollama's last line).
    """

    text: str = ""
    tokens: int | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    server_timings: dict[str, float] | None = None  # llama.cpp 'timings', Ollama's durations
    done: bool = False


def request_body(
    api: str,
    model: str,
    prompt: str,
    max_tokens: int,
    *,
    fixed_length: bool = True,
    seed: int = 0,
) -> dict[str, Any]:
    """The JSON body of one streamed request asking for ``max_tokens`` tokens."""
    if api == "ollama":
        return {
            "model": model,
            "prompt": prompt,
            "stream": True,
            "options": {"num_predict": max_tokens, "temperature": 0.0, "seed": seed},
        }
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.0,
        "seed": seed,
    }
    if api == "chat":
        body["messages"] = [{"role": "user", "content": prompt}]
    else:
        body["prompt"] = prompt
    if fixed_length:
        body.update(ignore_eos=True, min_tokens=max_tokens, cache_prompt=False)
    return body


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _timings(obj: Any) -> dict[str, float] | None:
    if not isinstance(obj, dict):
        return None
    out = {
        str(k)[:40]: float(v)
        for k, v in obj.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and abs(v) < 1e15
    }
    return out or None


def _error_text(obj: dict[str, Any]) -> str:
    err = obj.get("error")
    if isinstance(err, dict):
        err = err.get("message", err)
    return str(err)[:200]


def openai_event(obj: Any) -> Event:
    """One decoded ``data:`` event of an OpenAI stream (completions or chat)."""
    if not isinstance(obj, dict):
        raise StreamError(f"an event that is not a JSON object ({type(obj).__name__})")
    if "error" in obj:
        raise StreamError(f"the server sent an error event: {_error_text(obj)}")
    text = ""
    finish = None
    choices = obj.get("choices")
    if isinstance(choices, list) and choices:
        choice = choices[0]
        if isinstance(choice, dict):
            delta = choice.get("delta")
            if isinstance(delta, dict):
                content = delta.get("content")
                if not isinstance(content, str) or not content:
                    # reasoning models stream their thinking in a field of its own
                    content = delta.get("reasoning_content") or delta.get("reasoning")
                text = content if isinstance(content, str) else ""
            elif isinstance(choice.get("text"), str):
                text = choice["text"]
            fr = choice.get("finish_reason")
            finish = fr if isinstance(fr, str) else None
    usage = obj.get("usage")
    prompt = output = None
    if isinstance(usage, dict):
        prompt = _count(usage.get("prompt_tokens"))
        output = _count(usage.get("completion_tokens"))
    return Event(
        text=text,
        finish_reason=finish,
        prompt_tokens=prompt,
        output_tokens=output,
        server_timings=_timings(obj.get("timings")),
    )


def ollama_event(obj: Any) -> Event:
    """One line of Ollama's ``/api/generate`` stream."""
    if not isinstance(obj, dict):
        raise StreamError(f"a line that is not a JSON object ({type(obj).__name__})")
    if "error" in obj:
        raise StreamError(f"the server sent an error: {_error_text(obj)}")
    text = obj.get("response")
    text = text if isinstance(text, str) else ""
    done = obj.get("done") is True
    timings = None
    if done:
        timings = _timings(
            {
                k: obj[k]
                for k in (
                    "total_duration",
                    "load_duration",
                    "prompt_eval_duration",
                    "eval_duration",
                )
                if k in obj
            }
        )
    reason = obj.get("done_reason")
    return Event(
        text=text,
        tokens=1 if text else None,
        finish_reason=reason if isinstance(reason, str) else ("stop" if done else None),
        prompt_tokens=_count(obj.get("prompt_eval_count")) if done else None,
        output_tokens=_count(obj.get("eval_count")) if done else None,
        server_timings=timings,
        done=done,
    )


MAX_LINE = 1 << 20  # one event of more than a MiB is not a token stream


class SSEReader:
    """Server-Sent Events from the lines of a response (``text/event-stream``).

    Feed it lines (without their newline); it yields each complete event's data (the ``data:``
    lines joined by newlines) at the blank line that ends it. Comments (``:``) and the other
    fields (``event``, ``id``, ``retry``) are skipped.
    """

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> Iterator[str]:
        if len(line) > MAX_LINE:
            raise StreamError(f"an event line of {len(line):,} characters")
        if line == "":
            if self._data:
                data, self._data = "\n".join(self._data), []
                yield data
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if name == "data":
            self._data.append(value[1:] if value.startswith(" ") else value)

    def close(self) -> Iterator[str]:
        """A last event not followed by a blank line (a stream closed right after it)."""
        if self._data:
            data, self._data = "\n".join(self._data), []
            yield data


_EOL = re.compile(rb"\r\n|\r|\n")


class LineSplitter:
    """Lines from a byte stream, ended by CR, LF or CRLF only (the SSE and NDJSON rule).

    Not ``str.splitlines``: a token of generated text may be U+2028, U+0085 or a form feed, which
    JSON leaves unescaped inside a string, and which would cut an event in two. A line is decoded
    as UTF-8 (an invalid byte becomes U+FFFD) once it is whole, so a character split between
    two network reads is never broken.
    """

    def __init__(self) -> None:
        self._buf = b""
        self._cr = False  # the last byte seen was a CR: a LF right after it ends nothing

    def feed(self, data: bytes) -> list[str]:
        if self._cr and data.startswith(b"\n"):
            data = data[1:]
        self._cr = False
        parts = _EOL.split(self._buf + data)
        self._buf = parts.pop()  # what follows the last line end: not a line yet
        if parts and self._buf == b"" and data.endswith(b"\r"):
            self._cr = True  # a CR last: a LF in the next read belongs to it
        if len(self._buf) > MAX_LINE * 4:
            raise StreamError(f"a line of more than {len(self._buf):,} bytes")
        return [p.decode("utf-8", "replace") for p in parts]

    def close(self) -> list[str]:
        rest, self._buf = self._buf, b""
        return [rest.decode("utf-8", "replace")] if rest else []


DONE = "[DONE]"


def decode_json(data: str, what: str) -> Any:
    try:
        return loads_json(data)
    except json.JSONDecodeError:
        shown = data[:60].encode("ascii", "backslashreplace").decode()
        raise StreamError(f"malformed {what} (not JSON): {shown!r}") from None
