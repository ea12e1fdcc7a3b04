"""The benchmark run against the in-process fake server (tests/bench_fakes.py), whose timing law
gives the reference numbers: TTFT = ``ttft``, a token every ``step * (1 + share * (active - 1))``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench_fakes import FakeServer

from engine.bench.client import public_url
from engine.bench.hardware import detect_hardware
from engine.bench.results import dumps, run_json
from engine.bench.runner import BenchRun, Progress, run_bench
from engine.bench.settings import BenchSettings
from engine.errors import InputError
from engine.measure.detect import parse_text


def bench(fake: FakeServer, **kw: Any) -> BenchRun:
    kw.setdefault("url", "http://fake")
    kw.setdefault("input_tokens", 16)
    kw.setdefault("output_tokens", (8,))
    kw.setdefault("requests_per_level", 8)
    key = kw.pop("api_key", None)
    stop = kw.pop("stop", None)
    progress = kw.pop("progress", None)
    return asyncio.run(
        run_bench(
            BenchSettings(**kw),
            transport=fake.transport(),
            api_key=key,
            stop=stop,
            progress=progress,
        )
    )


def test_closed_loop_counts_ordering_and_the_timing_law() -> None:
    fake = FakeServer(ttft=0.02, step=0.006, share=0.0)
    run = bench(fake, concurrency=(1, 4), output_tokens=(10,))
    assert run.stopped is None and run.model == "tiny"
    assert [s["concurrency"] for s in run.summaries] == [1, 4]
    for s, c in zip(run.summaries, (1, 4), strict=True):
        assert s["requests"] == 8 and s["errors"] == 0 and s["warmup_requests"] == c
        # every request got exactly the tokens asked, counted by the server's usage
        assert s["output_tokens"] == 10 and s["short_requests"] == 0
        assert 0.02 <= s["ttft_s"] < 0.035
        assert 0.006 <= s["itl_p50_s"] < 0.009
        assert s["ttft_s"] < s["e2e_s"]
        assert 0.85 <= s["littles_law_ratio"] <= 1.05
    measured = [r for r in run.records if not r.warmup]
    assert all(r.token_source == "usage" and r.tokens == 10 for r in measured)
    assert all(r.chunk_times == sorted(r.chunk_times) for r in run.records)
    assert all(r.chunk_times[0] < (r.e2e_s or 0) for r in run.records)
    # with no sharing, 4 users stream ~4x the tokens of one
    x1, x4 = (s["output_tokens_per_s"] for s in run.summaries)
    assert 3.3 < x4 / x1 < 4.4
    assert fake.max_active == 4  # the closed loop kept exactly C in flight


def test_shared_steps_slow_every_user_as_the_law_says() -> None:
    fake = FakeServer(ttft=0.01, step=0.004, share=0.5)
    run = bench(fake, concurrency=(4,), output_tokens=(12,), requests_per_level=12)
    s = run.summaries[0]
    # 4 active: a token every 0.004 * (1 + 0.5 * 3) = 10 ms
    assert 0.0095 <= s["itl_p50_s"] <= 0.0125


def test_chat_endpoint_and_fixed_length_fields() -> None:
    fake = FakeServer()
    run = bench(fake, api="chat", concurrency=(2,), requests_per_level=4)
    assert run.summaries[0]["requests"] == 4
    # two probes (they size the prompts), the warm-up, the measured
    assert fake.paths.count("/v1/chat/completions") == 2 + 2 + 4
    body = fake.bodies[-1]
    assert body["ignore_eos"] is True and body["min_tokens"] == 8 and body["stream"] is True
    # no two prompts share their start (a prefix cache would skip their prefill)
    measured = fake.bodies[2:]  # after the two probes
    starts = {b["messages"][0]["content"].split()[0] for b in measured}
    assert len(starts) == len(measured)


def test_prompts_are_sized_by_the_servers_count() -> None:
    # the fake counts words as tokens; the probe's count (which includes the request number)
    # sizes the prompts to what was asked
    fake = FakeServer()
    run = bench(fake, concurrency=(1,), input_tokens=40, requests_per_level=3)
    assert run.probe is not None and run.probe["prompt_tokens"] == 40
    assert run.summaries[0]["input_tokens"] == 40


def test_a_server_that_ignores_fixed_length_is_reported_short() -> None:
    fake = FakeServer(honours_fixed_length=False, natural_length=5)
    run = bench(fake, concurrency=(2,), output_tokens=(8,), requests_per_level=4)
    s = run.summaries[0]
    assert s["short_requests"] == 4 and s["output_tokens"] == 5


def test_chunks_of_several_tokens() -> None:
    fake = FakeServer(step=0.003, chunk_size=4)
    run = bench(fake, concurrency=(1,), output_tokens=(12,), requests_per_level=3)
    r = next(r for r in run.records if not r.warmup)
    assert len(r.chunk_times) == 3 and r.output_tokens == 12 and r.token_source == "usage"
    assert r.chunk_tokens is None  # the server does not say how many each chunk carried
    assert run.summaries[0]["output_tokens"] == 12


def test_poisson_arrivals() -> None:
    fake = FakeServer(ttft=0.005, step=0.002)
    run = bench(fake, rates=(40.0,), concurrency=(), requests_per_level=40, warmup=4)
    s = run.summaries[0]
    assert s["rate"] == 40.0 and s["concurrency"] is None and s["requests"] == 40
    sends = sorted(r.sent_at for r in run.records)
    gaps = [b - a for a, b in itertools.pairwise(sends)]
    assert 1 / 40 * 0.6 < sum(gaps) / len(gaps) < 1 / 40 * 1.6
    assert 0.8 <= s["littles_law_ratio"] <= 1.2


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("http500", "HTTP 500: out of memory"),
        ("cut", "stream cut after N chunks"),
        ("malformed", "malformed SSE event"),
        ("error-event", "the server sent an error event: engine died"),
    ],
)
def test_faults_are_counted_with_their_reason(fault: str, reason: str) -> None:
    fake = FakeServer(fault=fault, fault_every=3)
    run = bench(fake, concurrency=(2,), requests_per_level=9)
    s = run.summaries[0]
    assert s["errors"] >= 2 and s["requests"] + s["errors"] == 9
    assert any(k.startswith(reason) for k in s["error_reasons"]), s["error_reasons"]
    text = dumps(run)
    assert "\x1b" not in text  # the server's escape sequence is escaped


def test_a_non_streaming_server_stops_at_the_first_request() -> None:
    run = bench(FakeServer(fault="json"), concurrency=(1,))
    assert run.stopped is not None and "did not stream" in run.stopped
    assert run.summaries == []


def test_a_missing_end_marker_is_accepted_when_the_stream_finished() -> None:
    run = bench(FakeServer(fault="no-done"), concurrency=(1,), requests_per_level=3)
    assert run.summaries[0]["errors"] == 0


def test_unknown_model_and_several_models() -> None:
    with pytest.raises(InputError, match="give --model"):
        bench(FakeServer(models=("a", "b")), concurrency=(1,))
    run = bench(FakeServer(models=("a", "b")), concurrency=(1,), model="nope")
    assert run.stopped is not None and "HTTP 404" in run.stopped


def test_unreachable_server_is_one_clear_error() -> None:
    async def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(InputError, match="cannot connect"):
        asyncio.run(
            run_bench(
                BenchSettings(url="http://x", concurrency=(1,)),
                transport=httpx.MockTransport(refuse),
            )
        )


def test_a_server_that_dies_mid_run_stops_it_with_the_reason() -> None:
    fake = FakeServer(ttft=0.002, step=0.001)
    handle = fake.handle

    async def dying(request: httpx.Request) -> httpx.Response:
        if fake.seen >= 8 and request.method == "POST":
            raise httpx.ConnectError("connection refused")
        return await handle(request)

    fake.handle = dying  # type: ignore[method-assign]
    run = bench(fake, concurrency=(1, 2), requests_per_level=20)
    assert run.stopped is not None and "in a row failed" in run.stopped
    assert "cannot connect" in run.stopped
    assert run.summaries and run.summaries[0]["requests"] >= 4  # what was measured is kept


def test_stop_keeps_what_was_measured() -> None:
    fake = FakeServer(ttft=0.005, step=0.003)
    stop = asyncio.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.level == 1 and p.done >= 3:
            stop.set()

    run = bench(fake, concurrency=(1, 2, 4), requests_per_level=6, stop=stop, progress=progress)
    assert run.stopped == "stopped by the user"
    assert [s["concurrency"] for s in run.summaries][:1] == [1]
    assert run.summaries[0].get("partial") is None
    assert len(run.summaries) <= 2 and all(s["concurrency"] != 4 for s in run.summaries)
    assert seen and seen[-1].levels == 3 and any(p.eta_s is not None for p in seen)


def test_the_api_key_is_sent_and_never_written() -> None:
    fake = FakeServer()
    run = bench(
        fake,
        concurrency=(1,),
        requests_per_level=2,
        api_key="sk-secret-123",
        url="http://user:pw@fake/?token=abc",
    )
    assert set(fake.auth) == {"Bearer sk-secret-123"}
    text = dumps(run)
    for secret in ("sk-secret-123", "pw-XYZZY", "qq-SECRET", "user:"):
        assert secret not in text
    assert json.loads(text)["settings"]["url"] == "http://fake/"
    assert public_url("http://[::1]:8000/v1") == "http://[::1]:8000/v1"


def test_ollama_native_stream() -> None:
    fake = FakeServer(natural_length=6)
    run = bench(fake, api="ollama", concurrency=(2,), output_tokens=(6,), requests_per_level=4)
    s = run.summaries[0]
    assert s["requests"] == 4 and s["output_tokens"] == 6
    r = next(r for r in run.records if not r.warmup)
    assert r.token_source == "server" and r.chunk_tokens == [1] * 6
    assert r.server_timings and r.server_timings["eval_duration"] == 7_000_000
    assert "/api/tags" in fake.paths and "/api/generate" in fake.paths


def test_results_file_round_trips_through_the_reader() -> None:
    run = bench(FakeServer(), concurrency=(1, 2), requests_per_level=4)
    obj = run_json(run)
    text = json.dumps(obj, allow_nan=False)
    meas = parse_text(text, "run.json")
    assert meas.format == "tokentui-bench" and meas.kind == "serving"
    assert [p.concurrency for p in meas.points] == [1, 2]
    assert meas.engine == "llamacpp" and meas.model_name == "tiny"
    for p, s in zip(meas.points, obj["summaries"], strict=True):
        assert p.output_tokens_per_s == pytest.approx(s["output_tokens_per_s"])
        assert p.ttft_s == pytest.approx(s["ttft_s"]) and p.itl_s == pytest.approx(s["itl_s"])
    request = obj["requests"][0]
    for key in ("concurrency", "sent_at", "chunk_times", "output_tokens", "prompt_tokens"):
        assert key in request
    for key in (
        "ttft_s",
        "ttft_p50_s",
        "ttft_p99_s",
        "itl_s",
        "itl_p50_s",
        "itl_p99_s",
        "tpot_s",
        "e2e_s",
        "output_tokens_per_s",
        "requests_per_s",
        "errors",
    ):
        assert key in obj["summaries"][0]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"concurrency": (0,)}, "concurrency"),
        ({"concurrency": (), "rates": ()}, "concurrency"),
        ({"rates": (float("inf"),)}, "rate"),
        ({"output_tokens": (0,)}, "output"),
        ({"repeats": 0}, "repeats"),
        ({"timeout_s": -1.0}, "timeout"),
        ({"duration_s": 0.0}, "duration"),
    ],
)
def test_settings_refuse_bad_values(kw: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as info:
        BenchSettings(url="http://x", **kw)
    assert info.value.field == field


def test_ollama_recorded_response_through_the_client() -> None:
    """Ollama's documented /api/generate stream, recorded (tests/data/ollama-stream.jsonl),
    served as the body: three tokens streamed, the server's own counts win (eval_count 400)."""
    recorded = (Path(__file__).parent.parent / "data" / "ollama-stream.jsonl").read_bytes()

    async def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/tags":
            return httpx.Response(200, json={"models": [{"name": "llama3.1:8b-instruct-q4_K_M"}]})
        return httpx.Response(
            200, headers={"content-type": "application/x-ndjson"}, content=recorded
        )

    settings = BenchSettings(
        url="http://ollama:11434",
        api="ollama",
        concurrency=(1,),
        requests_per_level=2,
        output_tokens=(400,),
    )
    run = asyncio.run(run_bench(settings, transport=httpx.MockTransport(serve)))
    assert run.model == "llama3.1:8b-instruct-q4_K_M" and run.server.engine == "ollama"
    r = next(r for r in run.records if not r.warmup)
    assert len(r.chunk_times) == 3 and r.output_tokens == 400 and r.prompt_tokens == 1200
    # the server's own count; its three lines do not add up to it, so no per-chunk split
    assert r.token_source == "server" and r.chunk_tokens is None
    assert r.finish_reason == "stop" and r.error is None


def test_nvml_detection_with_a_fake_library() -> None:
    class Mem:
        total = 80 * 1024**3

    class FakeNVML:
        def nvmlInit(self) -> None: ...
        def nvmlShutdown(self) -> None: ...
        def nvmlDeviceGetCount(self) -> int:
            return 2

        def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
            return i

        def nvmlDeviceGetName(self, h: int) -> bytes:
            return b"NVIDIA H100 80GB HBM3\x1b[2J"

        def nvmlDeviceGetMemoryInfo(self, h: int) -> Mem:
            return Mem()

        def nvmlSystemGetDriverVersion(self) -> str:
            return "560.35"

    hw = detect_hardware(FakeNVML())
    assert hw["source"] == "nvml" and hw["gpu_count"] == 2
    assert hw["gpu_name"] == "NVIDIA H100 80GB HBM3\\x1b[2J"  # the escape is shown, not obeyed
    assert hw["gpus"][1]["memory_bytes"] == 80 * 1024**3 and hw["driver"] == "560.35"

    class Broken(FakeNVML):
        def nvmlInit(self) -> None:
            raise RuntimeError("driver not loaded")

    assert detect_hardware(Broken())["source"] == "none"
