"""One streamed request, timed chunk by chunk, and the server's list of models.

Times are ``time.perf_counter()`` seconds. A chunk's time is when its event was read off the
connection, after sending: the client's view, which is what a user of the server waits for.
Every failure becomes the request's ``error`` (a short printable sentence), never an exception:
the run keeps what it measured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from engine.bench.protocol import (
    DONE,
    MODEL_LISTS,
    PATHS,
    Event,
    LineSplitter,
    SSEReader,
    StreamError,
    decode_json,
    ollama_event,
    openai_event,
)
from engine.errors import terminal_safe

if TYPE_CHECKING:
    import httpx


def public_url(url: str) -> str:
    """The URL without user name, password, query or fragment (a token in a URL stays out)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass
class Streamed:
    """What one request saw. ``chunk_times`` are seconds after sending, one per chunk that carried
    generated text; ``chunk_tokens`` the server's count for each when it gives one (Ollama)."""

    sent: float  # perf_counter at sending
    chunk_times: list[float] = field(default_factory=list)
    chunk_tokens: list[int | None] = field(default_factory=list)
    prompt_tokens: int | None = None
    output_tokens: int | None = None  # as the server counted them (usage, eval_count)
    finish_reason: str | None = None
    server_timings: dict[str, float] | None = None
    end_s: float | None = None  # the stream's end, after sending
    error: str | None = None
    status: int | None = None
    on_chunk: Callable[[], None] | None = field(default=None, repr=False)


def headers(api_key: str | None) -> dict[str, str]:
    out = {"Accept": "text/event-stream, application/x-ndjson, application/json"}
    if api_key:
        out["Authorization"] = f"Bearer {api_key}"
    return out


def _apply(result: Streamed, ev: Event, now: float) -> None:
    if ev.text:
        result.chunk_times.append(now - result.sent)
        result.chunk_tokens.append(ev.tokens)
        if result.on_chunk is not None:
            result.on_chunk()
    if ev.finish_reason:
        result.finish_reason = ev.finish_reason
    if ev.prompt_tokens is not None:
        result.prompt_tokens = ev.prompt_tokens
    if ev.output_tokens is not None:
        result.output_tokens = ev.output_tokens
    if ev.server_timings:
        result.server_timings = ev.server_timings


async def _lines(response: httpx.Response) -> AsyncIterator[str]:
    splitter = LineSplitter()
    async for data in response.aiter_bytes():
        for line in splitter.feed(data):
            yield line
    for line in splitter.close():
        yield line


async def _read_stream(response: httpx.Response, api: str, result: Streamed) -> bool:
    """Read events until the stream's end; True when the protocol's end marker was seen."""
    if api == "ollama":
        async for line in _lines(response):
            if not line.strip():
                continue
            ev = ollama_event(decode_json(line, "NDJSON line"))
            _apply(result, ev, time.perf_counter())
            if ev.done:
                return True
        return False
    reader = SSEReader()
    async for line in _lines(response):
        for data in reader.feed(line):
            if data.strip() == DONE:
                return True
            _apply(result, openai_event(decode_json(data, "SSE event")), time.perf_counter())
    for data in reader.close():
        if data.strip() == DONE:
            return True
        _apply(result, openai_event(decode_json(data, "SSE event")), time.perf_counter())
    return False


def _status_text(response: httpx.Response, body: bytes) -> str:
    detail = body.decode("utf-8", "replace").strip()
    try:
        obj = decode_json(detail, "error body")
        if isinstance(obj, dict) and "error" in obj:
            err = obj["error"]
            detail = str(err.get("message", err) if isinstance(err, dict) else err)
        elif isinstance(obj, dict) and "detail" in obj:
            detail = str(obj["detail"])
    except StreamError:
        pass
    return f"HTTP {response.status_code}: {terminal_safe(detail, 160) or response.reason_phrase}"


async def stream_request(
    client: httpx.AsyncClient,
    api: str,
    body: dict[str, Any],
    *,
    timeout_s: float,
    api_key: str | None = None,
    into: Streamed | None = None,
    on_chunk: Callable[[], None] | None = None,
) -> Streamed:
    """Send one streamed request and time its chunks; never raises but for cancellation.

    ``into`` receives what is read as it is read (so a cancelled request keeps its partial trace);
    ``on_chunk`` is called for each chunk of generated text (a live tokens/s).
    """
    import httpx  # here, not at the top: importing httpx loads rich (see engine.bench.runner)

    result = into or Streamed(sent=0.0)
    result.sent = time.perf_counter()
    result.on_chunk = on_chunk
    try:
        async with asyncio.timeout(timeout_s):
            async with client.stream(
                "POST", PATHS[api], json=body, headers=headers(api_key)
            ) as response:
                result.status = response.status_code
                if response.status_code >= 400:
                    raw = await response.aread()
                    result.error = _status_text(response, raw[:4096])
                    return result
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if api != "ollama" and kind not in ("text/event-stream", ""):
                    await response.aread()
                    result.error = (
                        f"the server did not stream (Content-Type {terminal_safe(kind, 60)}): "
                        "per-token timing needs a streaming endpoint"
                    )
                    return result
                ended = await _read_stream(response, api, result)
                result.end_s = time.perf_counter() - result.sent
                if not ended and result.finish_reason is None:
                    result.error = (
                        f"stream cut after {len(result.chunk_times)} chunks "
                        "(no end-of-stream marker)"
                    )
    except TimeoutError:
        result.error = f"timed out after {timeout_s:g} s ({len(result.chunk_times)} chunks read)"
    except StreamError as exc:
        result.error = f"{terminal_safe(str(exc), 200)} (after {len(result.chunk_times)} chunks)"
    except httpx.ConnectError as exc:
        result.error = f"cannot connect: {terminal_safe(str(exc) or type(exc).__name__, 120)}"
    except httpx.TimeoutException:
        result.error = f"timed out after {timeout_s:g} s ({len(result.chunk_times)} chunks read)"
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, OSError) as exc:
        # a server killed or restarted mid-request: the connection closes under the client
        what = terminal_safe(str(exc) or type(exc).__name__, 120)
        if result.status is None:
            result.error = f"the server closed the connection before answering ({what})"
        else:
            result.error = (
                f"stream cut after {len(result.chunk_times)} chunks: the server closed the "
                f"connection ({what})"
            )
    except (httpx.HTTPError, UnicodeDecodeError) as exc:
        what = terminal_safe(str(exc) or type(exc).__name__, 120)
        if result.status is None:
            result.error = f"request failed: {what}"
        else:
            result.error = f"stream cut after {len(result.chunk_times)} chunks: {what}"
    return result


@dataclass(frozen=True)
class ServerInfo:
    """What the server says about itself: its models and, from the model list's ``owned_by``
    (vLLM 'vllm', SGLang 'sglang', llama-server 'llamacpp', trtllm-serve 'tensorrt_llm', Ollama
    'library'), which engine it is."""

    models: tuple[str, ...]
    engine: str | None  # an engine profile name: vllm, sglang, trtllm, llamacpp, ollama
    owned_by: str | None


_OWNERS = {
    "vllm": "vllm",
    "sglang": "sglang",
    "llamacpp": "llamacpp",
    "llama.cpp": "llamacpp",
    "tensorrt_llm": "trtllm",
    "tensorrt-llm": "trtllm",
    "trtllm": "trtllm",
    "library": "ollama",
    "ollama": "ollama",
}


def parse_models(api: str, obj: Any) -> ServerInfo:
    """The model list of ``/v1/models`` (``{"data": [{"id", "owned_by"}]}``) or Ollama's
    ``/api/tags`` (``{"models": [{"name"}]}``)."""
    if not isinstance(obj, dict):
        return ServerInfo((), None, None)
    if api == "ollama":
        items = obj.get("models")
        names = [m.get("name") or m.get("model") for m in items or [] if isinstance(m, dict)]
        models = tuple(terminal_safe(str(n), 120) for n in names if n)
        return ServerInfo(models, "ollama", None)
    items = obj.get("data")
    entries = [m for m in items or [] if isinstance(m, dict) and m.get("id")]
    models = tuple(terminal_safe(str(m["id"]), 120) for m in entries)
    owner = next((str(m["owned_by"]) for m in entries if m.get("owned_by")), None)
    engine = _OWNERS.get(owner.lower()) if owner else None
    return ServerInfo(models, engine, terminal_safe(owner, 40) if owner else None)


async def server_info(
    client: httpx.AsyncClient, api: str, *, timeout_s: float, api_key: str | None = None
) -> ServerInfo:
    """The served models; raises :class:`ConnectionError` with a one-line reason when the server
    cannot be reached or answers the list with an HTTP error."""
    import httpx

    path = MODEL_LISTS[api]
    try:
        response = await client.get(path, headers=headers(api_key), timeout=timeout_s)
    except httpx.ConnectError as exc:
        raise ConnectionError(f"cannot connect ({terminal_safe(str(exc), 120)})") from None
    except httpx.TimeoutException:
        raise ConnectionError(f"no answer to GET {path} within {timeout_s:g} s") from None
    except (httpx.HTTPError, OSError) as exc:
        raise ConnectionError(f"GET {path} failed ({terminal_safe(str(exc), 120)})") from None
    if response.status_code in (401, 403):
        raise ConnectionError(
            f"GET {path}: HTTP {response.status_code} (give the API key in TOKENTUI_API_KEY "
            "or OPENAI_API_KEY)"
        )
    if response.status_code >= 400:
        return ServerInfo((), None, None)  # no model list: --model must say which
    try:
        obj = decode_json(response.text[:1_000_000], "model list")
    except StreamError:
        return ServerInfo((), None, None)
    return parse_models(api, obj)
