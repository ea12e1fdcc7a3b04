"""How fast the bench client itself is: streamed tokens/s it can read, time it, and summarise.

A fake server in the same process (tests/bench_fakes.py) streams tokens with no delay, so the
client and the fake share one core: what this prints is a lower bound on the client's own rate.
A server that streams fewer tokens/s than this is measured, not the client; above it, the
client is the bottleneck (Little's law, in the run's summary, falls below 1 when it is).

    .venv/bin/python scripts/bench_client.py
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_fakes import FakeServer

from engine.bench.results import dumps
from engine.bench.runner import run_bench
from engine.bench.settings import BenchSettings


def cpu_reference() -> float:
    t = time.perf_counter()
    x = 0
    for i in range(10_000_000):
        x += i
    return time.perf_counter() - t


async def one(concurrency: int, tokens: int, requests: int) -> tuple[float, int]:
    fake = FakeServer(ttft=0.0, step=0.0)
    settings = BenchSettings(
        url="http://fake",
        concurrency=(concurrency,),
        output_tokens=(tokens,),
        input_tokens=16,
        requests_per_level=requests,
        warmup=0,
    )
    t = time.perf_counter()
    run = await run_bench(settings, transport=fake.transport())
    seconds = time.perf_counter() - t
    return seconds, sum(r.tokens for r in run.records)


def main() -> None:
    print(f"CPU reference (1e7-step loop): {cpu_reference():.2f} s")
    for c in (1, 32, 128):
        seconds, tokens = asyncio.run(one(c, 256, max(16, 2 * c)))
        print(f"C={c:<4} {tokens:>7,} tokens in {seconds:5.2f} s: {tokens / seconds:>8,.0f} tok/s")
    fake = FakeServer(ttft=0.0, step=0.0)
    settings = BenchSettings(
        url="http://fake",
        concurrency=(128,),
        output_tokens=(256,),
        input_tokens=16,
        requests_per_level=3500,
        warmup=0,
    )
    run = asyncio.run(run_bench(settings, transport=fake.transport()))
    t = time.perf_counter()
    text = dumps(run)
    print(
        f"results file of {len(run.records):,} requests x 256 tokens: {len(text) / 1e6:.1f} MB "
        f"written in {time.perf_counter() - t:.2f} s"
    )


if __name__ == "__main__":
    main()
