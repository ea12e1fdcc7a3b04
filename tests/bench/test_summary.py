"""A level's numbers, checked on schedules worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.bench.summary import Record, percentile, run_throughput, summarize, window


def rec(
    sent: float,
    ttft: float,
    itl: float,
    n: int,
    *,
    warm: bool = False,
    c: int = 2,
    index: int = 0,
    chunk: int = 1,
) -> Record:
    """A request sent at ``sent`` with its first token at ``ttft`` and one every ``itl``."""
    times = [ttft + i * itl for i in range(0, n, chunk)]
    return Record(
        level=0,
        concurrency=c,
        rate=None,
        output_tokens_asked=n,
        repeat=0,
        index=index,
        warmup=warm,
        sent_at=sent,
        chunk_times=times,
        chunk_tokens=None if chunk > 1 else [1] * len(times),
        output_tokens=n,
        prompt_tokens=10,
        token_source="usage",
        finish_reason="length",
        e2e_s=times[-1],
    )


def two_workers() -> list[Record]:
    """Two workers, each sending 3 requests back to back; a request: TTFT 1 s, then 4 more
    tokens 0.5 s apart: E2E 3 s. Worker A starts at 0, worker B at 1. The first two sent are the
    warm-up."""
    out = []
    for w, start in enumerate((0.0, 1.0)):
        for k in range(3):
            out.append(rec(start + 3 * k, 1.0, 0.5, 5, warm=k == 0, index=2 * k + w))
            out[-1].worker = w
    return out


def test_window_of_a_closed_loop() -> None:
    w = window(two_workers(), closed_loop=True)
    # first measured send: A's second request at 3; last send: B's third at 7; the first end
    # after it: A's third request ends at 6 + 3 = 9
    assert w is not None and (w.start, w.end, w.kind) == (3.0, 9.0, "steady")


def test_steady_throughput_counts_every_token_in_the_window() -> None:
    out = run_throughput(two_workers(), closed_loop=True)
    # tokens at send + 1, 1.5, 2, 2.5, 3 for sends 0, 1, 3, 4, 6, 7, inside (3, 9] (the token
    # at 3 ended the request before the window opened): send 0: none; send 1: 3.5, 4 -> 2;
    # sends 3, 4, 6: all 5; send 7: 8, 8.5, 9 -> 3. Total 20 over 6 s.
    assert out["output_tokens_per_s"] == pytest.approx(20 / 6)
    # completions, each by the share of its 3 s inside (3, 9]: send 1 (1-4) 1/3, sends 3, 4, 6
    # whole, send 7 (7-10) 2/3 -> 4 over 6 s
    assert out["requests_per_s"] == pytest.approx(4 / 6)
    # in flight: two all along (3-9), less B's idle gap: none (back to back) -> 2
    assert out["mean_in_flight"] == pytest.approx(2.0)


def test_level_summary_by_hand() -> None:
    s = summarize([two_workers()], concurrency=2, rate=None, output_tokens_asked=5)
    assert s["requests"] == 4 and s["errors"] == 0 and s["warmup_requests"] == 2
    assert s["ttft_s"] == pytest.approx(1.0) and s["itl_s"] == pytest.approx(0.5)
    assert s["itl_p99_s"] == pytest.approx(0.5) and s["e2e_s"] == pytest.approx(3.0)
    assert s["tpot_s"] == pytest.approx(0.5)  # (3 - 1) / (5 - 1)
    assert s["per_user_tokens_per_s"] == pytest.approx(2.0)
    assert s["per_request_tokens_per_s"] == pytest.approx(5 / 3)
    # Little: 4/6 req/s x 3 s = 2 in flight, C = 2
    assert s["littles_law_concurrency"] == pytest.approx(2.0)
    assert s["littles_law_ratio"] == pytest.approx(1.0)
    assert s["input_tokens"] == 10 and s["output_tokens"] == 5 and s["short_requests"] == 0


def test_failed_and_warmup_requests_are_left_out_and_reasons_grouped() -> None:
    rs = two_workers()
    for i, msg in ((1, "stream cut after 3 chunks"), (2, "stream cut after 7 chunks")):
        rs[i].error = msg
    s = summarize([rs], concurrency=2, rate=None, output_tokens_asked=5)
    assert s["errors"] == 2 and s["requests"] == 2
    assert s["error_reasons"] == {"stream cut after N chunks": 2}


def test_chunks_of_several_tokens_spread_the_gap() -> None:
    # 9 tokens in chunks of 3 at t = 1, 2.5, 4 (three tokens 0.5 s apart each): 3 chunks
    r = rec(0.0, 1.0, 0.5, 9, chunk=3)
    assert len(r.chunk_times) == 3 and r.tokens == 9
    assert r.per_chunk() == [1.0, 4.0, 4.0]  # the first token first, then 8 over 2 chunks
    samples = r.itl_samples()
    assert [w for _, w in samples] == [4.0, 4.0]
    assert samples[0][0] == pytest.approx(1.5 / 4)


def test_weighted_percentile_matches_repetition() -> None:
    values, weights = [1.0, 2.0, 10.0], [1, 3, 1]
    rep = np.repeat(values, weights)
    for q in (10, 50, 90):
        assert percentile(values, q, weights) == pytest.approx(
            float(np.percentile(rep, q, method="hazen")), abs=1e-9
        )


def test_repeats_give_a_spread() -> None:
    a = two_workers()
    b = [rec(r.sent_at, 2.0, 0.5, 5, warm=r.warmup, index=r.index) for r in two_workers()]
    s = summarize([a, b], concurrency=2, rate=None, output_tokens_asked=5)
    assert s["repeats"] == 2 and s["ttft_s"] == pytest.approx(1.5)
    assert s["ttft_s_std"] == pytest.approx(np.std([1.0, 2.0], ddof=1))
    assert s["output_tokens_per_s_std"] is not None


@settings(max_examples=200, deadline=None)
@given(
    c=st.integers(1, 16),
    rounds=st.integers(3, 8),
    n=st.integers(2, 64),
    d=st.floats(0.05, 5.0),
    offsets=st.lists(st.floats(0.0, 1.0), min_size=16, max_size=16),
)
def test_steady_window_against_a_brute_force_closed_loop(
    c: int, rounds: int, n: int, d: float, offsets: list[float]
) -> None:
    """C workers, each sending ``rounds`` requests back to back from its own start; every request
    streams n tokens evenly over D seconds. In the steady window the server streams C n / D
    tokens/s and finishes C / D requests/s: the summary must find that, to within the tokens and
    ends that straddle the window's edges (at most C of each)."""
    records = []
    index = 0
    for w in range(c):
        start = offsets[w] * d
        for k in range(rounds):
            times = [d * (i + 1) / n for i in range(n)]
            records.append(
                Record(
                    level=0,
                    concurrency=c,
                    rate=None,
                    output_tokens_asked=n,
                    repeat=0,
                    index=index,
                    warmup=k == 0,
                    sent_at=start + k * d,
                    chunk_times=times,
                    chunk_tokens=[1] * n,
                    output_tokens=n,
                    e2e_s=times[-1],
                    worker=w,
                )
            )
            index += 1
    out = run_throughput(records, closed_loop=True)
    w = window(records, closed_loop=True)
    assert w is not None
    if w.kind == "steady":
        t = w.seconds
        assert abs(out["output_tokens_per_s"] - c * n / d) <= c / t + 1e-6
        assert out["requests_per_s"] == pytest.approx(c / d, rel=1e-6)
        assert out["mean_in_flight"] == pytest.approx(c, rel=1e-6)
