"""The test llama-server does what the bench tests rely on: one model, exact token counts, usage.

What the server (llama.cpp 0.5.0-dev from llama-cpp-python 0.3.36) streams, observed with
``stream_options.include_usage``, ``ignore_eos`` and ``cache_prompt: false`` (SSE: ``data: {json}``
lines, each followed by a blank line, ``content-type: text/event-stream``):

- ``/v1/completions`` (``object: text_completion``): no role chunk; one chunk per token,
  ``choices: [{text, index: 0, logprobs: null, finish_reason: null}]``; then ONE final chunk
  holding both ``choices: [{text: "", finish_reason: "length"}]`` and ``usage`` + ``timings``;
  then ``data: [DONE]``. So max_tokens + 1 JSON events.
- ``/v1/chat/completions`` (``object: chat.completion.chunk``): a role chunk
  (``delta: {role: assistant, content: null}``); one chunk per token (``delta: {content}``); a
  finish chunk (``delta: {}``, ``finish_reason: "length"``); a usage chunk with ``choices: []``,
  ``usage`` and ``timings``; then ``data: [DONE]``. So max_tokens + 3 JSON events.
- ``usage``: ``completion_tokens``, ``prompt_tokens``, ``total_tokens``,
  ``prompt_tokens_details: {cached_tokens}``. ``timings`` (llama.cpp): ``cache_n``, ``prompt_n``,
  ``prompt_ms``, ``prompt_per_token_ms``, ``prompt_per_second``, ``predicted_n``,
  ``predicted_ms``, ``predicted_per_token_ms``, ``predicted_per_second``.
- Every event of a stream has the same ``id`` (``chatcmpl-...``, for completions too), ``created``,
  ``model`` (the alias, ``tiny``) and ``system_fingerprint`` (``b0-unknown``).
- ``/v1/models`` has ``data: [{id: "tiny", ..., meta: {n_ctx: 1024 (8192 over 8 slots),
  n_ctx_train, n_vocab: 32000, n_params, ...}}]`` and an Ollama-style ``models`` list beside it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

MAX_TOKENS = 32


def _sse(
    client: httpx.Client, path: str, body: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """The JSON events of a streamed request, and whether ``data: [DONE]`` ended it."""
    events: list[dict[str, Any]] = []
    done = False
    with client.stream("POST", path, json=body) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line.strip():
                continue
            assert line.startswith("data: "), line
            assert not done, f"an event after [DONE]: {line}"
            payload = line.removeprefix("data: ")
            if payload == "[DONE]":
                done = True
            else:
                events.append(json.loads(payload))
    return events, done


@pytest.fixture
def client(llama_server: str) -> Any:
    with httpx.Client(base_url=llama_server, timeout=60) as client:
        yield client


_COMMON = {
    "max_tokens": MAX_TOKENS,
    "stream": True,
    "stream_options": {"include_usage": True},
    "ignore_eos": True,
    "cache_prompt": False,
}


def _check_usage(events: list[dict[str, Any]], done: bool) -> dict[str, Any]:
    """One usage, on the last event; one finish_reason, 'length'; then [DONE]."""
    assert done
    usage_events = [e for e in events if e.get("usage")]
    assert len(usage_events) == 1 and usage_events[0] is events[-1]
    finishes = [c["finish_reason"] for e in events for c in e["choices"] if c.get("finish_reason")]
    assert finishes == ["length"]
    usage = events[-1]["usage"]
    assert usage["completion_tokens"] == MAX_TOKENS
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    timings = events[-1]["timings"]  # llama.cpp's own, beside the OpenAI usage
    assert timings["predicted_n"] == MAX_TOKENS
    assert timings["prompt_n"] == usage["prompt_tokens"]  # cache_prompt false: all prefilled
    assert timings["cache_n"] == 0
    return usage


def test_models_lists_the_one_tiny_model(client: httpx.Client) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200
    models = response.json()["data"]
    assert [m["id"] for m in models] == ["tiny"]
    assert models[0]["meta"]["n_ctx"] == 8192 // 8  # -c is split across the -np 8 slots
    assert client.get("/health").json() == {"status": "ok"}


def test_streamed_completion_is_one_chunk_per_token(client: httpx.Client) -> None:
    body = {"model": "tiny", "prompt": "The cost of a token is", **_COMMON}
    events, done = _sse(client, "/v1/completions", body)
    texts = [c["text"] for e in events for c in e["choices"] if c.get("text")]
    assert len(texts) == MAX_TOKENS
    assert len(events) == MAX_TOKENS + 1  # no role chunk; the last has finish_reason and usage
    last = events[-1]["choices"]
    assert len(last) == 1 and last[0]["text"] == "" and last[0]["finish_reason"] == "length"
    _check_usage(events, done)
    assert {e["object"] for e in events} == {"text_completion"}
    assert len({e["id"] for e in events}) == 1


def test_streamed_chat_is_one_chunk_per_token(client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "What does a token cost?"}]
    body = {"model": "tiny", "messages": messages, **_COMMON}
    events, done = _sse(client, "/v1/chat/completions", body)
    first = events[0]["choices"][0]["delta"]
    assert first.get("role") == "assistant" and not first.get("content")
    contents = [
        c["delta"]["content"] for e in events for c in e["choices"] if c["delta"].get("content")
    ]
    assert len(contents) == MAX_TOKENS
    # role chunk, MAX_TOKENS content chunks, the finish_reason chunk, the usage chunk
    assert len(events) == MAX_TOKENS + 3
    assert events[-2]["choices"][0] == {"finish_reason": "length", "index": 0, "delta": {}}
    assert events[-1]["choices"] == []
    _check_usage(events, done)
    assert {e["object"] for e in events} == {"chat.completion.chunk"}
    assert len({e["id"] for e in events}) == 1


def test_a_fresh_server_is_its_own_and_stops(fresh_llama_server: Any, llama_server: str) -> None:
    assert fresh_llama_server.url != llama_server
    assert httpx.get(fresh_llama_server.url + "/health").status_code == 200
    fresh_llama_server.stop()
    assert fresh_llama_server.process.returncode is not None
    with pytest.raises(httpx.ConnectError):
        httpx.get(fresh_llama_server.url + "/health")
    assert httpx.get(llama_server + "/health").status_code == 200
