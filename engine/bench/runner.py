"""The benchmark's levels, run against one server: closed loop or Poisson arrivals.

A **closed loop** at concurrency C runs C workers; each sends its next request as soon as its last
one ends. A **rate** sends requests at exponentially distributed intervals (a Poisson process,
seeded), each on its own, whatever is in flight (``max_concurrency`` caps it when given). Each
level runs ``repeats`` times; in each, the first ``warmup`` requests sent are measured but left
out of the summaries (by default C for a closed loop, one round of its workers, and about a
second's arrivals for a rate). A level is bounded by its request count or its duration, and every
request by a timeout: a run always ends.

Before the first level one short *probe* request warms the server (Ollama loads the model then)
and measures how many tokens the server counts for the generated prompt, so that later prompts
can be sized to ``input_tokens`` as the server counts them.

:func:`run_bench` never raises for what the server does: failed requests are recorded with their
reason, and a run whose requests keep failing (``abort_after`` in a row) stops with the reason in
:attr:`BenchRun.stopped`, keeping what was measured. ``stop`` (an :class:`asyncio.Event`, set on
Ctrl+C or by the app) ends it the same way.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.bench.client import ServerInfo, Streamed, public_url, server_info, stream_request
from engine.bench.prompts import make_prompt
from engine.bench.protocol import request_body
from engine.bench.settings import BenchSettings
from engine.bench.summary import STOPPED, Record, summarize
from engine.errors import InputError

if TYPE_CHECKING:
    import httpx


@dataclass(frozen=True)
class Progress:
    """Where a run is, for a live display."""

    level: int  # 0-based
    levels: int
    label: str  # 'C=8, 256 out, repeat 1/2'
    done: int  # requests ended in this level run (warm-up included)
    total: int | None  # requests planned in it (None: bounded by duration)
    errors: int
    tokens_per_s: float  # streamed over the last two seconds
    elapsed_s: float
    eta_s: float | None


@dataclass
class BenchRun:
    """A run, finished or not: its settings, what the server said, every request, the summaries."""

    settings: BenchSettings
    server: ServerInfo
    model: str
    started_at: str
    records: list[Record] = field(default_factory=list)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    probe: dict[str, Any] | None = None
    stopped: str | None = None  # why the run ended early; None when it ran to the end
    finished_at: str | None = None
    hardware: dict[str, Any] | None = None
    elapsed_s: float = 0.0


def _label(c: int | None, r: float | None, n: int, repeat: int, repeats: int) -> str:
    load = f"C={c}" if c is not None else f"rate {r:g}/s"
    rep = f", repeat {repeat + 1}/{repeats}" if repeats > 1 else ""
    return f"{load}, {n} out{rep}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Run:
    """The state of one run while it goes."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        run: BenchRun,
        api_key: str | None,
        stop: asyncio.Event,
        progress: Callable[[Progress], None] | None,
        on_level: Callable[[BenchRun], None] | None = None,
    ) -> None:
        self.client, self.run, self.key, self.stop = client, run, api_key, stop
        self.progress = progress
        self.on_level = on_level
        self.s = run.settings
        self.t0 = time.perf_counter()
        self.rng = random.Random(self.s.seed)
        self.words = self.s.input_tokens
        self.count = 0
        self.recent: deque[float] = deque()
        self.failures = 0
        self.level = 0
        self.label = ""
        self.done = 0
        self.errors = 0
        self.total: int | None = None
        self.in_flight: set[asyncio.Task[Record]] = set()

    # one request ------------------------------------------------------------------------------
    def prompt(self) -> str:
        self.count += 1
        if self.s.prompts:
            return f"{self.count} {self.s.prompts[(self.count - 1) % len(self.s.prompts)]}"
        return make_prompt(self.count, self.words, self.rng)

    def chunk(self) -> None:
        self.recent.append(time.perf_counter())

    async def one(
        self,
        level: int,
        c: int | None,
        r: float | None,
        n: int,
        rep: int,
        index: int,
        warm: bool,
        worker: int | None = None,
    ) -> Record:
        body = request_body(
            self.s.api,
            self.run.model,
            self.prompt(),
            n,
            fixed_length=self.s.fixed_length,
            seed=self.s.seed + index,
        )
        got = Streamed(sent=time.perf_counter())
        try:
            await stream_request(
                self.client,
                self.s.api,
                body,
                timeout_s=self.s.timeout_s,
                api_key=self.key,
                into=got,
                on_chunk=self.chunk,
            )
        except asyncio.CancelledError:
            got.error = got.error or STOPPED
            got.end_s = None
            raise
        finally:
            rec = _record(got, level, c, r, n, rep, index, warm, got.sent - self.t0)
            rec.worker = worker
            self.run.records.append(rec)
            self.done += 1
            if rec.ok:
                self.failures = 0
            elif rec.error != STOPPED:
                self.errors += 0 if warm else 1
                self.failures += 1
            self.report()
        return rec

    def check_failures(self, limit: int) -> None:
        if self.failures >= limit and not self.stop.is_set():
            last = next((x.error for x in reversed(self.run.records) if x.error), "")
            self.run.stopped = f"{self.failures} requests in a row failed (last: {last})"
            self.stop.set()

    # levels ------------------------------------------------------------------------------------
    def tokens_per_s(self) -> float:
        now = time.perf_counter()
        while self.recent and self.recent[0] < now - 2.0:
            self.recent.popleft()
        span = min(2.0, now - self.t0)
        return len(self.recent) / span if span > 0 else 0.0

    def report(self) -> None:
        if self.progress is None:
            return
        elapsed = time.perf_counter() - self.t0
        levels = len(self.s.levels) * self.s.repeats
        frac = self.level / levels
        if self.total:
            frac += min(1.0, self.done / self.total) / levels
        eta = elapsed / frac - elapsed if frac > 0.02 else None
        self.progress(
            Progress(
                self.level,
                levels,
                self.label,
                self.done,
                self.total,
                self.errors,
                self.tokens_per_s(),
                elapsed,
                eta,
            )
        )

    async def closed(self, level: int, c: int, n: int, rep: int) -> list[Record]:
        warm, count = self.s.warmup_for(c, None), self.s.requests_for(c, None)
        total = warm + count
        deadline = None if self.s.duration_s is None else time.perf_counter() + self.s.duration_s
        issued = 0
        out: list[Record] = []
        limit = max(3, min(c, 16))

        async def worker(wid: int) -> None:
            nonlocal issued
            while not self.stop.is_set() and issued < total:
                if deadline is not None and issued >= warm and time.perf_counter() > deadline:
                    return
                index, issued = issued, issued + 1
                out.append(await self.one(level, c, None, n, rep, index, index < warm, wid))
                self.check_failures(limit)

        self.total = None if deadline is not None else total
        await self._run_tasks([worker(w) for w in range(c)])
        return out

    async def open(self, level: int, rate: float, n: int, rep: int) -> list[Record]:
        warm, count = self.s.warmup_for(None, rate), self.s.requests_for(None, rate)
        total = warm + count
        deadline = None if self.s.duration_s is None else time.perf_counter() + self.s.duration_s
        rng = random.Random(self.s.seed * 7919 + level * 31 + rep)
        cap = asyncio.Semaphore(self.s.max_concurrency) if self.s.max_concurrency else None
        out: list[Record] = []
        limit = 16

        async def send(index: int) -> None:
            if cap is None:
                out.append(await self.one(level, None, rate, n, rep, index, index < warm))
            else:
                async with cap:
                    out.append(await self.one(level, None, rate, n, rep, index, index < warm))
            self.check_failures(limit)

        async def arrivals() -> None:
            tasks = []
            next_at = time.perf_counter()
            for index in range(total):
                if self.stop.is_set():
                    break
                if deadline is not None and index >= warm and next_at > deadline:
                    break
                delay = next_at - time.perf_counter()
                if delay > 0:
                    try:
                        await asyncio.wait_for(self.stop.wait(), delay)
                        break
                    except TimeoutError:
                        pass
                tasks.append(asyncio.ensure_future(send(index)))
                next_at += rng.expovariate(rate)
            if tasks:
                await asyncio.gather(*tasks)

        self.total = None if deadline is not None else total
        await self._run_tasks([arrivals()])
        return out

    async def _run_tasks(self, coros: Sequence[Any]) -> None:
        """Run the level's coroutines; on ``stop``, cancel them (their requests keep what they
        read, marked as stopped)."""
        tasks = [asyncio.ensure_future(c) for c in coros]
        stopper = asyncio.ensure_future(self.stop.wait())
        try:
            pending: set[asyncio.Future[Any]] = set(tasks)
            while pending - {stopper}:
                done, pending = await asyncio.wait(
                    pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
                )
                pending.discard(stopper)
                if stopper in done:
                    for t in pending:
                        t.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
                    break
                for t in done:
                    if t is not stopper and not t.cancelled() and t.exception():
                        raise t.exception()  # type: ignore[misc]
        finally:
            stopper.cancel()

    async def _probe_one(self, text: str) -> Streamed:
        body = request_body(self.s.api, self.run.model, text, 2, fixed_length=self.s.fixed_length)
        return await stream_request(
            self.client, self.s.api, body, timeout_s=self.s.timeout_s, api_key=self.key
        )

    async def probe(self) -> None:
        """Short requests before the levels: they warm the server and size the prompts.

        The server's count of a prompt of w words is about a w + b (a: tokens a word; b: the
        chat template, the request's number): two probes, of w and w/2 words, give a and b,
        and the prompts get the words that make ``input_tokens``.
        """
        text = self.prompt() if self.s.prompts else make_prompt(0, self.words, self.rng)
        got = await self._probe_one(text)
        self.run.probe = {
            "prompt_tokens": got.prompt_tokens,
            "words": self.words,
            "ttft_s": got.chunk_times[0] if got.chunk_times else None,
            "error": got.error,
        }
        if got.error:
            if got.status in (400, 401, 403, 404, 405, 422) or got.error.startswith(
                ("cannot connect", "the server did not stream")
            ):
                self.run.stopped = f"the first request failed: {got.error}"
                self.stop.set()
            return
        if not got.prompt_tokens or self.s.prompts:
            return
        w1, p1 = self.words, got.prompt_tokens
        a, b = p1 / w1, 0.0  # one probe: tokens in proportion to words
        if w1 >= 8:
            w2 = w1 // 2
            second = await self._probe_one(make_prompt(0, w2, self.rng))
            p2 = second.prompt_tokens
            if second.error is None and p2 and p1 > p2:
                a = (p1 - p2) / (w1 - w2)
                b = p1 - a * w1
                self.run.probe["second"] = {"words": w2, "prompt_tokens": p2}
        self.words = max(1, round((self.s.input_tokens - b) / a))
        self.run.probe.update(words_after=self.words, tokens_per_word=a, fixed_tokens=b)

    async def levels(self) -> None:
        await self.probe()
        reps = self.s.repeats
        for li, (c, r, n) in enumerate(self.s.levels):
            runs: list[list[Record]] = []
            for rep in range(reps):
                if self.stop.is_set():
                    break
                self.level = li * reps + rep
                self.label = _label(c, r, n, rep, reps)
                self.done = self.errors = 0
                if c is not None:
                    runs.append(await self.closed(li, c, n, rep))
                else:
                    runs.append(await self.open(li, r or 1.0, n, rep))
            runs = [x for x in runs if any(not rec.warmup for rec in x)]
            if runs:
                summary = summarize(runs, concurrency=c, rate=r, output_tokens_asked=n)
                if self.stop.is_set():
                    summary["partial"] = True
                self.run.summaries.append({"level": li, **summary})
                if self.on_level is not None:
                    self.on_level(self.run)
            if self.stop.is_set():
                break


def _record(
    got: Streamed,
    level: int,
    c: int | None,
    r: float | None,
    n: int,
    rep: int,
    index: int,
    warm: bool,
    sent_at: float,
) -> Record:
    """The record of a request: where its token counts came from ('usage': the OpenAI stream's
    usage object; 'server': the server's own counts, Ollama's lines and eval_count; 'counted':
    the chunks), and the tokens of each chunk where they are known and add up."""
    chunks = len(got.chunk_times)
    own = bool(got.chunk_tokens) and all(t is not None for t in got.chunk_tokens)
    per: list[int] | None = [int(t or 0) for t in got.chunk_tokens] if own else None
    if got.output_tokens is not None:
        source = "server" if own else "usage"
        if per is not None and sum(per) != got.output_tokens:
            per = None  # the total is the server's; how it split over the chunks is not known
        if per is None and got.output_tokens == chunks:
            per = [1] * chunks
    else:
        source = "server" if own else "counted"
    return Record(
        level=level,
        concurrency=c,
        rate=r,
        output_tokens_asked=n,
        repeat=rep,
        index=index,
        warmup=warm,
        sent_at=sent_at,
        chunk_times=list(got.chunk_times),
        chunk_tokens=per,
        output_tokens=got.output_tokens,
        prompt_tokens=got.prompt_tokens,
        token_source=source,
        finish_reason=got.finish_reason,
        e2e_s=got.end_s,
        error=got.error,
        server_timings=got.server_timings,
    )


async def run_bench(
    settings: BenchSettings,
    *,
    api_key: str | None = None,
    stop: asyncio.Event | None = None,
    progress: Callable[[Progress], None] | None = None,
    on_level: Callable[[BenchRun], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    hardware: dict[str, Any] | None = None,
) -> BenchRun:
    """Run every level against ``settings.url``. Raises :class:`InputError` only when the server
    cannot be reached at all or serves no model to name; everything later is kept in the run.

    ``progress`` is called as requests end; ``on_level`` with the run each time a level's
    summary is added to it (a live display draws the levels as they finish).
    """
    import httpx  # here: importing httpx loads its optional CLI's rich, a UI library

    stop = stop or asyncio.Event()
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
    timeout = httpx.Timeout(settings.timeout_s, connect=min(10.0, settings.timeout_s))
    async with httpx.AsyncClient(
        base_url=public_url(settings.url),
        limits=limits,
        timeout=timeout,
        transport=transport,
        trust_env=False,
        follow_redirects=False,
    ) as client:
        try:
            info = await server_info(
                client, settings.api, timeout_s=min(30.0, settings.timeout_s), api_key=api_key
            )
        except ConnectionError as exc:
            raise InputError(f"{settings.url}: {exc}", "url") from None
        model = settings.model or (info.models[0] if len(info.models) == 1 else "")
        if not model:
            listed = ", ".join(info.models[:8]) or "none listed"
            raise InputError(
                f"{settings.url} serves several models or lists none ({listed}): give --model NAME",
                "model",
            )
        run = BenchRun(settings, info, model, _now(), hardware=hardware)
        state = _Run(client, run, api_key, stop, progress, on_level)
        try:
            await state.levels()
        except asyncio.CancelledError:
            run.stopped = run.stopped or "stopped by the user"
            raise
        finally:
            if stop.is_set() and run.stopped is None:
                run.stopped = "stopped by the user"
            run.finished_at = _now()
            run.elapsed_s = time.perf_counter() - state.t0
            _summarize_partial(run)
    return run


def _summarize_partial(run: BenchRun) -> None:
    """A level stopped before its summary was made gets one from what it measured."""
    done = {s["level"] for s in run.summaries}
    levels = run.settings.levels
    for li in sorted({r.level for r in run.records} - done):
        c, r, n = levels[li]
        reps = [
            [x for x in run.records if x.level == li and x.repeat == k]
            for k in sorted({x.repeat for x in run.records if x.level == li})
        ]
        reps = [x for x in reps if any(not rec.warmup for rec in x)]
        if reps:
            run.summaries.append(
                {
                    "level": li,
                    **summarize(reps, concurrency=c, rate=r, output_tokens_asked=n),
                    "partial": True,
                }
            )
    run.summaries.sort(key=lambda s: int(s["level"]))


__all__ = ["BenchRun", "BenchSettings", "Progress", "run_bench"]
