"""An in-process fake LLM server for the bench client, as an httpx transport.

It streams in the documented formats (OpenAI SSE as llama-server and vLLM write it; Ollama's
NDJSON as its API docs give it) with a known timing law: a request waits ``ttft`` before its
first token, then each token takes ``step * (1 + share * (active - 1))`` seconds, where
``active`` is the number of requests being served at that moment. So the reference numbers of
a test come from this law, not from the client under test.

``faults`` make it misbehave on purpose: HTTP errors, cut streams, malformed events, a JSON
answer to a streamed request, no end marker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class FakeServer:
    ttft: float = 0.01
    step: float = 0.002
    share: float = 0.0
    models: tuple[str, ...] = ("tiny",)
    owned_by: str = "llamacpp"
    fault: str | None = None  # http500 | cut | malformed | json | no-done | error-event | slow
    fault_every: int = 0  # 0: every request; k: every k-th request
    honours_fixed_length: bool = True
    natural_length: int = 5  # tokens a request gets when the server ignores ignore_eos
    chunk_size: int = 1  # tokens per streamed chunk
    active: int = 0
    seen: int = 0
    max_active: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    auth: list[str | None] = field(default_factory=list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _faulty(self) -> bool:
        return self.fault is not None and (
            self.fault_every == 0 or self.seen % self.fault_every == 0
        )

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        self.auth.append(request.headers.get("authorization"))
        if request.method == "GET" and request.url.path == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": self.owned_by} for m in self.models]
            return httpx.Response(200, json={"object": "list", "data": data})
        if request.method == "GET" and request.url.path == "/api/tags":
            return httpx.Response(200, json={"models": [{"name": m} for m in self.models]})
        body = json.loads(request.content)
        self.bodies.append(body)
        self.seen += 1
        faulty = self._faulty()
        if faulty and self.fault == "http500":
            return httpx.Response(500, json={"error": {"message": "out of memory\x1b[2J"}})
        if body.get("model") not in self.models:
            return httpx.Response(404, json={"error": f"model {body.get('model')!r} not found"})
        if request.url.path == "/api/generate":
            n = body["options"]["num_predict"]
            n = min(n, self.natural_length)
            return httpx.Response(
                200,
                headers={"content-type": "application/x-ndjson"},
                content=self._ollama(n, len(body["prompt"].split())),
            )
        n = body["max_tokens"]
        if not (self.honours_fixed_length and body.get("ignore_eos")):
            n = min(n, self.natural_length)
        if faulty and self.fault == "json":
            return httpx.Response(200, json={"choices": [{"text": "x" * n}]})
        chat = request.url.path.endswith("/chat/completions")
        prompt = body["messages"][0]["content"] if chat else body["prompt"]
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=self._sse(n, len(prompt.split()), chat, self.fault if faulty else None),
        )

    async def _tokens(self, n: int) -> AsyncIterator[int]:
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            await asyncio.sleep(self.ttft)
            yield 0
            for i in range(1, n):
                await asyncio.sleep(self.step * (1 + self.share * (self.active - 1)))
                yield i
        finally:
            self.active -= 1

    async def _sse(
        self, n: int, prompt: int, chat: bool, fault: str | None
    ) -> AsyncIterator[bytes]:
        def event(obj: Any) -> bytes:
            return f"data: {json.dumps(obj)}\n\n".encode()

        if chat:
            yield event({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})
        pending = 0
        async for i in self._tokens(n):
            if fault == "cut" and i == n // 2:
                raise httpx.RemoteProtocolError("peer closed connection")
            if fault == "malformed" and i == 2:
                yield b"data: {not json\n\n"
            if fault == "error-event" and i == 1:
                yield event({"error": {"message": "engine died"}})
            pending += 1
            if pending < self.chunk_size and i < n - 1:
                continue
            text = " w" * pending
            pending = 0
            choice: dict[str, Any] = (
                {"index": 0, "delta": {"content": text}} if chat else {"index": 0, "text": text}
            )
            choice["finish_reason"] = None
            yield event({"choices": [choice]})
        finish = {"index": 0, "finish_reason": "length"}
        finish.update({"delta": {}} if chat else {"text": ""})
        yield event({"choices": [finish]})
        yield event(
            {
                "choices": [],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": n,
                    "total_tokens": prompt + n,
                },
            }
        )
        if fault != "no-done":
            yield b"data: [DONE]\n\n"

    async def _ollama(self, n: int, prompt: int) -> AsyncIterator[bytes]:
        async for _ in self._tokens(n):
            yield json.dumps({"model": "tiny", "response": " w", "done": False}).encode() + b"\n"
        yield (
            json.dumps(
                {
                    "model": "tiny",
                    "response": "",
                    "done": True,
                    "done_reason": "stop",
                    "total_duration": 10_000_000,
                    "load_duration": 1_000_000,
                    "prompt_eval_count": prompt,
                    "prompt_eval_duration": 2_000_000,
                    "eval_count": n,
                    "eval_duration": 7_000_000,
                }
            ).encode()
            + b"\n"
        )
