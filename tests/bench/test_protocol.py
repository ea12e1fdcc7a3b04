"""The wire formats: SSE framing, OpenAI events, Ollama's NDJSON, request bodies."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.bench.client import parse_models
from engine.bench.protocol import (
    LineSplitter,
    SSEReader,
    StreamError,
    decode_json,
    ollama_event,
    openai_event,
    request_body,
)
from engine.errors import terminal_safe

DATA = Path(__file__).parent.parent / "data"


def events(lines: list[str]) -> list[str]:
    reader = SSEReader()
    out = [d for line in lines for d in reader.feed(line)]
    return out + list(reader.close())


def test_sse_framing_follows_the_html_spec() -> None:
    # a comment, a multi-line data field, 'data:' without a space, other fields ignored
    lines = [
        ": keep-alive",
        "",
        "event: message",
        'data: {"a":',
        "data: 1}",
        "id: 7",
        "",
        "data:[DONE]",
        "",
    ]
    assert events(lines) == ['{"a":\n1}', "[DONE]"]


def test_sse_last_event_without_blank_line_is_kept() -> None:
    assert events(["data: x"]) == ["x"]


def test_sse_refuses_a_giant_line() -> None:
    with pytest.raises(StreamError, match="characters"):
        events(["data: " + "x" * (1 << 21)])


def test_completion_chat_and_usage_events() -> None:
    ev = openai_event({"choices": [{"index": 0, "text": " hi", "finish_reason": None}]})
    assert ev.text == " hi" and ev.finish_reason is None
    ev = openai_event({"choices": [{"delta": {"content": "yo"}, "finish_reason": "length"}]})
    assert ev.text == "yo" and ev.finish_reason == "length"
    role = openai_event({"choices": [{"delta": {"role": "assistant"}}]})
    assert role.text == ""
    usage = openai_event(
        {
            "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": 256},
            "timings": {"predicted_ms": 530.5, "prompt_n": 12},
        }
    )
    assert (usage.prompt_tokens, usage.output_tokens) == (12, 256)
    assert usage.server_timings == {"predicted_ms": 530.5, "prompt_n": 12.0}
    # a reasoning model's thinking is generated text too
    assert openai_event({"choices": [{"delta": {"reasoning_content": "hm"}}]}).text == "hm"


@pytest.mark.parametrize(
    "obj",
    [
        {"error": {"message": "boom"}},
        [1, 2],
        "text",
    ],
)
def test_bad_events_are_stream_errors(obj: object) -> None:
    with pytest.raises(StreamError):
        openai_event(obj)


def test_counts_that_cannot_be_real_are_dropped() -> None:
    ev = openai_event({"choices": [], "usage": {"prompt_tokens": -3, "completion_tokens": True}})
    assert ev.prompt_tokens is None and ev.output_tokens is None


def test_malformed_json_is_named_and_escaped() -> None:
    with pytest.raises(StreamError, match=r"malformed SSE event .*\\x1b"):
        decode_json("{\x1b[2J", "SSE event")


def test_ollama_recorded_stream() -> None:
    """The documented /api/generate stream (tests/data/ollama-stream.jsonl, from the API docs'
    example shape): one token a line, the server's counts on the last."""
    lines = [json.loads(x) for x in (DATA / "ollama-stream.jsonl").read_text().splitlines()]
    evs = [ollama_event(x) for x in lines]
    assert [e.text for e in evs[:-1]] == ["The", " sky", " is"]
    assert all(e.tokens == 1 for e in evs[:-1])
    last = evs[-1]
    assert last.done and last.output_tokens == 400 and last.prompt_tokens == 1200
    assert last.server_timings is not None
    assert last.server_timings["eval_duration"] == 2_900_000_000
    with pytest.raises(StreamError, match="model not found"):
        ollama_event({"error": "model not found"})


def test_request_bodies() -> None:
    body = request_body("completions", "m", "hello", 64)
    assert body["prompt"] == "hello" and body["max_tokens"] == 64 and body["stream"] is True
    assert body["ignore_eos"] is True and body["min_tokens"] == 64
    assert body["stream_options"] == {"include_usage": True}
    chat = request_body("chat", "m", "hello", 8, fixed_length=False)
    assert chat["messages"] == [{"role": "user", "content": "hello"}]
    assert "ignore_eos" not in chat and "min_tokens" not in chat
    ollama = request_body("ollama", "m", "hello", 8)
    assert ollama["options"]["num_predict"] == 8 and ollama["stream"] is True


def test_model_lists_and_engine_from_owner() -> None:
    vllm = parse_models("completions", {"data": [{"id": "meta/llama", "owned_by": "vllm"}]})
    assert vllm.models == ("meta/llama",) and vllm.engine == "vllm"
    llama = parse_models("chat", {"data": [{"id": "tiny", "owned_by": "llamacpp"}]})
    assert llama.engine == "llamacpp"
    trt = parse_models("chat", {"data": [{"id": "x", "owned_by": "tensorrt_llm"}]})
    assert trt.engine == "trtllm"
    tags = parse_models("ollama", {"models": [{"name": "llama3:8b"}, {"name": "qwen:7b"}]})
    assert tags.models == ("llama3:8b", "qwen:7b") and tags.engine == "ollama"
    assert parse_models("chat", ["not", "a", "dict"]).models == ()
    hostile = parse_models("chat", {"data": [{"id": "a\x1b]0;pwn\x07", "owned_by": "x"}]})
    assert "\x1b" not in hostile.models[0] and "\x07" not in hostile.models[0]


def test_terminal_safe_escapes_controls_and_cuts() -> None:
    assert terminal_safe("a\x1b[2Jb\nc") == "a\\x1b[2Jb\\nc"
    assert len(terminal_safe("x" * 500, 50)) == 50


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab\r\n\u2028\u0085\x0c\x1e é€")), max_size=60),
    cuts=st.lists(st.integers(0, 200), max_size=8),
)
def test_lines_end_at_cr_lf_or_crlf_only(text: str, cuts: list[int]) -> None:
    """Whatever the network's cuts (inside a CRLF, inside a UTF-8 character), the lines are the
    SSE rule's: U+2028, U+0085, form feeds and record separators inside a line stay in it."""
    data = text.encode()
    points = sorted({min(c, len(data)) for c in cuts})
    splitter = LineSplitter()
    got: list[str] = []
    last = 0
    for p in [*points, len(data)]:
        got += splitter.feed(data[last:p])
        last = p
    got += splitter.close()
    want = re.split(r"\r\n|\r|\n", text)
    if want and want[-1] == "":
        want = want[:-1]
    assert got == want


def test_a_token_that_is_a_unicode_line_separator_stays_in_its_event() -> None:
    splitter = LineSplitter()
    body = 'data: {"choices":[{"text":"a\u2028b\u0085c"}]}\n\n'.encode()
    lines = splitter.feed(body[:20]) + splitter.feed(body[20:]) + splitter.close()
    events_ = events(lines)
    assert openai_event(decode_json(events_[0], "SSE event")).text == "a\u2028b\u0085c"
