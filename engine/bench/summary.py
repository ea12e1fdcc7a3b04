"""A level's numbers from its requests (pure: records in, a summary out).

Latency statistics pool the measured requests of every repeat (warm-up requests and failed ones
are left out): TTFT (the first chunk of generated text), ITL (the gaps between chunks, a gap
spread over the tokens its chunk carried), TPOT ((E2E - TTFT) / (tokens - 1), as ``vllm bench
serve`` computes it) and E2E (sending to the stream's end); mean, p50, p90, p99 (linear
interpolation).

Throughput is the steady state: the tokens streamed (by any request, warm-up included) while the
load was whole — from the moment every worker has sent and a measured request is out to the first
moment a worker ends its last request (closed loop), or from the first measured sending to the
last sending (a rate). Requests/s counts the requests completed in that window, each by the share
of its life inside it. Where the window is too short to hold two ends, the whole span of the
measured requests is used (``window: "whole"``).

Little's law: the time-averaged number of requests in flight over the window ``L`` against the
completion rate x mean E2E ``λW``; ``littles_law_ratio`` = λW / C for a closed loop (C workers),
λW / L for a rate. A client that keeps its workers busy reads about 1.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: The error of a request cut short by the user (Ctrl+C, Stop): not the server's failure.
STOPPED = "stopped before the end of the stream"


@dataclass
class Record:
    """One request as the results file keeps it (seconds; ``sent_at`` after the run's start,
    ``chunk_times`` and ``e2e_s`` after its own sending)."""

    level: int
    concurrency: int | None
    rate: float | None
    output_tokens_asked: int
    repeat: int
    index: int
    warmup: bool
    sent_at: float
    chunk_times: list[float] = field(default_factory=list)
    chunk_tokens: list[int] | None = None
    output_tokens: int | None = None
    prompt_tokens: int | None = None
    token_source: str = "counted"  # usage | server | counted
    finish_reason: str | None = None
    e2e_s: float | None = None
    error: str | None = None
    server_timings: dict[str, float] | None = None
    worker: int | None = None  # a closed loop's worker that sent it

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.chunk_times) and self.e2e_s is not None

    @property
    def tokens(self) -> int:
        """Output tokens: the server's count when it gave one, else the chunks counted."""
        if self.output_tokens is not None:
            return self.output_tokens
        if self.chunk_tokens is not None:
            return sum(self.chunk_tokens)
        return len(self.chunk_times)

    def per_chunk(self) -> list[float]:
        """Tokens each chunk carried (spread evenly when only the total is known)."""
        n = len(self.chunk_times)
        if self.chunk_tokens is not None and len(self.chunk_tokens) == n:
            return [float(t) for t in self.chunk_tokens]
        if n == 0:
            return []
        total = self.tokens
        if n == 1 or total <= n:
            return [1.0] * n
        rest = (total - 1) / (n - 1)  # the first chunk is the first token
        return [1.0] + [rest] * (n - 1)

    def itl_samples(self) -> list[tuple[float, float]]:
        """(seconds per token, weight in tokens) for each gap between chunks."""
        per = self.per_chunk()
        t = self.chunk_times
        return [((t[i] - t[i - 1]) / per[i], per[i]) for i in range(1, len(t)) if per[i] > 0]

    def tpot(self) -> float | None:
        if not self.ok or self.tokens < 2 or self.e2e_s is None:
            return None
        return (self.e2e_s - self.chunk_times[0]) / (self.tokens - 1)


def percentile(values: Sequence[float], q: float, weights: Sequence[float] | None = None) -> float:
    """The q-th percentile (0-100); with weights, of the weighted distribution (a gap that
    stands for k tokens counts k times)."""
    arr = np.asarray(values, dtype=float)
    if weights is None:
        return float(np.percentile(arr, q))
    w = np.asarray(weights, dtype=float)
    order = np.argsort(arr)
    arr, w = arr[order], w[order]
    cum = np.cumsum(w) - 0.5 * w
    return float(np.interp(q / 100 * w.sum(), cum, arr))


def _stats(
    prefix: str, values: Sequence[float], weights: Sequence[float] | None = None
) -> dict[str, float | None]:
    if not len(values):
        return {f"{prefix}_s": None, **{f"{prefix}_p{q}_s": None for q in (50, 90, 99)}}
    mean = float(np.average(values, weights=weights))
    out: dict[str, float | None] = {f"{prefix}_s": mean}
    for q in (50, 90, 99):
        out[f"{prefix}_p{q}_s"] = percentile(values, q, weights)
    return out


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    kind: str  # steady | whole

    @property
    def seconds(self) -> float:
        return self.end - self.start


def window(records: Sequence[Record], closed_loop: bool) -> Window | None:
    """The span over which the load was whole (module docstring); None without a measured end.

    A closed loop whose records name their workers: from the moment every worker has sent and
    a measured request is out, to the first moment a worker ends its last request. Otherwise
    (a rate; records without workers): from the first measured sending to the last sending, or,
    for a closed loop, to the first end after it.
    """
    measured = [r for r in records if not r.warmup and r.ok]
    if not measured:
        return None
    start = min(r.sent_at for r in measured)
    ends = [r.sent_at + r.e2e_s for r in records if r.e2e_s is not None]
    workers: dict[int, list[Record]] = {}
    for r in records:
        if r.worker is not None:
            workers.setdefault(r.worker, []).append(r)
    if closed_loop and workers and all(r.worker is not None for r in records):
        start = max(start, *(min(x.sent_at for x in rs) for rs in workers.values()))
        lasts = [max(rs, key=lambda x: x.sent_at) for rs in workers.values()]
        end = min(x.sent_at + (x.e2e_s if x.e2e_s is not None else math.inf) for x in lasts)
        if not math.isfinite(end):
            end = max(ends, default=start)
    else:
        last_send = max(r.sent_at for r in records)
        after = [e for e in ends if e > last_send] if closed_loop else []
        end = min(after) if after else last_send
    inside = sum(1 for e in ends if start < e <= end)
    if end - start > 0 and inside >= 2:
        return Window(start, end, "steady")
    whole_end = max(r.sent_at + (r.e2e_s or 0.0) for r in measured)
    if whole_end <= start:
        return None
    return Window(start, whole_end, "whole")


def _tokens_in(records: Sequence[Record], w: Window) -> float:
    total = 0.0
    for r in records:
        for t, k in zip(r.chunk_times, r.per_chunk(), strict=True):
            if w.start < r.sent_at + t <= w.end:
                total += k
    return total


def _completions_in(records: Sequence[Record], w: Window) -> float:
    """Requests completed in the window, each counted by the share of its life inside it (a
    request half in the window is half a completion): the counts of a closed loop whose users
    move in step are not lumpy at the window's edges."""
    done = 0.0
    for r in records:
        if not r.ok or not r.e2e_s:
            continue
        lo, hi = max(r.sent_at, w.start), min(r.sent_at + r.e2e_s, w.end)
        done += max(0.0, hi - lo) / r.e2e_s
    return done


def _in_flight(records: Sequence[Record], w: Window) -> float:
    """The time-averaged number of requests in flight over the window."""
    busy = 0.0
    for r in records:
        if r.e2e_s is None:
            continue
        lo, hi = max(r.sent_at, w.start), min(r.sent_at + r.e2e_s, w.end)
        busy += max(0.0, hi - lo)
    return busy / w.seconds


def run_throughput(records: Sequence[Record], closed_loop: bool) -> dict[str, Any]:
    """One repeat's throughput: output tokens/s and requests/s over its window."""
    w = window(records, closed_loop)
    if w is None or w.seconds <= 0:
        return {"output_tokens_per_s": None, "requests_per_s": None, "window": None}
    if w.kind == "steady":
        tokens = _tokens_in(records, w)
        ends = _completions_in(records, w)
    else:
        measured = [r for r in records if not r.warmup and r.ok]
        tokens = float(sum(r.tokens for r in measured))
        ends = len(measured)
    in_flight = _in_flight(records, w)
    return {
        "output_tokens_per_s": tokens / w.seconds,
        "requests_per_s": ends / w.seconds,
        "window": w.kind,
        "window_s": w.seconds,
        "mean_in_flight": in_flight,
        # the latency of the requests in the window (each by its share of it): with the rate
        # above, the two sides of Little's law over the same requests
        "window_e2e_s": in_flight * w.seconds / ends if ends and w.kind == "steady" else None,
    }


_AFTER = re.compile(r"\d[\d,]* chunks")


def reason(error: str) -> str:
    """An error grouped with its kind: the number of chunks read is not part of the reason."""
    return _AFTER.sub("N chunks", error)


def summarize(
    repeats: Sequence[Sequence[Record]],
    *,
    concurrency: int | None,
    rate: float | None,
    output_tokens_asked: int,
) -> dict[str, Any]:
    """A level's summary over its repeats (each repeat: that run's records)."""
    every = [r for rep in repeats for r in rep]
    measured = [r for r in every if not r.warmup and r.error != STOPPED]
    good = [r for r in measured if r.ok]
    failed = [r for r in measured if not r.ok]
    out: dict[str, Any] = {
        "concurrency": concurrency,
        "rate": rate,
        "output_tokens_asked": output_tokens_asked,
        "requests": len(good),
        "errors": len(failed),
        "warmup_requests": sum(1 for r in every if r.warmup),
        "repeats": len(repeats),
        "stopped_requests": sum(1 for r in every if r.error == STOPPED),
    }
    reasons = Counter(reason(r.error or "no tokens streamed") for r in failed)
    out["error_reasons"] = dict(reasons.most_common(5))
    out["input_tokens"] = _mean([r.prompt_tokens for r in good if r.prompt_tokens is not None])
    out["output_tokens"] = _mean([float(r.tokens) for r in good])
    out["short_requests"] = sum(1 for r in good if r.tokens < output_tokens_asked)
    for key in ("ttft", "itl", "tpot"):
        out.update(_stats(key, *_samples(good, key)))
    out.update(_stats("e2e", [r.e2e_s for r in good if r.e2e_s is not None]))
    # what a user sees once tokens flow (1 / TPOT), and over the whole request (tokens / E2E)
    out["per_user_tokens_per_s"] = _mean([1 / t for r in good if (t := r.tpot())])
    out["per_request_tokens_per_s"] = _mean([r.tokens / r.e2e_s for r in good if r.e2e_s])
    runs = [run_throughput(rep, closed_loop=concurrency is not None) for rep in repeats]
    for key in ("output_tokens_per_s", "requests_per_s"):
        vals = [x[key] for x in runs if x[key] is not None]
        out[key] = _mean(vals)
        out[f"{key}_std"] = float(np.std(vals, ddof=1)) if len(vals) > 1 else None
    for key in ("ttft", "itl", "tpot"):
        per_repeat = [_samples([r for r in rep if not r.warmup and r.ok], key) for rep in repeats]
        means = [float(np.average(v, weights=w)) for v, w in per_repeat if v]
        out[f"{key}_s_std"] = float(np.std(means, ddof=1)) if len(means) > 1 else None
    out["window"] = next((x["window"] for x in runs if x["window"]), None)
    in_flight = _mean([x["mean_in_flight"] for x in runs if x.get("mean_in_flight")])
    out["mean_in_flight"] = in_flight
    lam = out["requests_per_s"]
    wait = _mean([x["window_e2e_s"] for x in runs if x.get("window_e2e_s")]) or out["e2e_s"]
    if lam and wait:
        out["littles_law_concurrency"] = lam * wait
        load = concurrency if concurrency is not None else in_flight
        out["littles_law_ratio"] = lam * wait / load if load else None
    else:
        out["littles_law_concurrency"] = out["littles_law_ratio"] = None
    return out


def _samples(good: Sequence[Record], key: str) -> tuple[list[float], list[float] | None]:
    """A latency's samples over finished requests, with their weights (ITL: a gap counts for
    the tokens its chunk carried)."""
    if key == "ttft":
        return [r.chunk_times[0] for r in good], None
    if key == "itl":
        itl = [x for r in good for x in r.itl_samples()]
        return [v for v, _ in itl], [w for _, w in itl]
    return [t for r in good if (t := r.tpot()) is not None], None


def _mean(values: Sequence[float]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None
