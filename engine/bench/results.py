"""The results file of ``tokentui bench`` (``"format": "tokentui-bench"``, version 1).

One JSON object::

    format, version, tokentui        "tokentui-bench", 1, the version that wrote it
    started_at, finished_at          UTC, ISO 8601
    elapsed_s                        the run's wall time
    complete, stopped                true and null, or false and why it ended early
    settings                         what was asked (url without credentials, api, model, levels,
                                     lengths, bounds, warm-up, repeats, timeout, seed; never a key)
    server                           {models, engine, owned_by}: what the server said of itself
    model                            the model the requests named
    hardware                         {source: nvml | user | none, gpu_name, gpu_count, gpus, ...}
    probe                            the first request: prompt tokens counted, words per prompt
    requests                         every request, in the order they ended:
        level, concurrency | rate, output_tokens_asked, repeat, index, warmup,
        sent_at (s after the run's start), chunk_times (s after sending, one per streamed chunk
        of generated text), chunk_tokens (tokens each chunk carried, or null), output_tokens and
        prompt_tokens (as the server counted them), token_source (usage: the stream's usage
        object; server: the server's own counts; counted: chunks counted), finish_reason, e2e_s,
        error, server_timings
    summaries                        one per level: concurrency (or rate), output_tokens_asked,
        requests, errors, error_reasons, input_tokens, output_tokens, short_requests, ttft_s,
        ttft_p50_s, ttft_p90_s, ttft_p99_s, itl_s (and p50/p90/p99), tpot_s (...), e2e_s (...),
        output_tokens_per_s, per_user_tokens_per_s, requests_per_s, the *_std over repeats,
        window, mean_in_flight, littles_law_concurrency, littles_law_ratio, partial

Times are seconds; a rate of ``inf`` is written "inf"; nothing is NaN.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from engine import __version__
from engine.bench.client import public_url
from engine.bench.runner import BenchRun
from engine.bench.summary import Record
from engine.storage.paths import atomic_write

FORMAT = "tokentui-bench"
VERSION = 1


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else None
        return round(value, 7)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def record_json(r: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"level": r.level}
    if r.concurrency is not None:
        out["concurrency"] = r.concurrency
    else:
        out["rate"] = r.rate
    out.update(
        output_tokens_asked=r.output_tokens_asked,
        repeat=r.repeat,
        index=r.index,
        warmup=r.warmup,
        sent_at=round(r.sent_at, 6),
        chunk_times=[round(t, 6) for t in r.chunk_times],
        chunk_tokens=r.chunk_tokens,
        output_tokens=r.output_tokens,
        prompt_tokens=r.prompt_tokens,
        token_source=r.token_source,
        finish_reason=r.finish_reason,
        e2e_s=None if r.e2e_s is None else round(r.e2e_s, 6),
        error=r.error,
    )
    if r.worker is not None:
        out["worker"] = r.worker
    if r.server_timings:
        out["server_timings"] = r.server_timings
    return out


def _head(run: BenchRun) -> dict[str, Any]:
    settings = run.settings.public()
    settings["url"] = public_url(run.settings.url)
    out: dict[str, Any] = _clean(
        {
            "format": FORMAT,
            "version": VERSION,
            "tokentui": __version__,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "elapsed_s": run.elapsed_s,
            "complete": run.stopped is None,
            "stopped": run.stopped,
            "settings": settings,
            "server": {
                "models": list(run.server.models),
                "engine": run.server.engine,
                "owned_by": run.server.owned_by,
            },
            "model": run.model,
            "hardware": run.hardware or {"source": "none"},
            "probe": run.probe,
        }
    )
    return out


def run_json(run: BenchRun, requests: bool = True) -> dict[str, Any]:
    """The results file as a dictionary (``requests=False``: without the requests, which is
    all the summaries and a measurement are read from)."""
    out = _head(run)
    out["requests"] = [record_json(r) for r in run.records] if requests else []
    out["summaries"] = _clean(run.summaries)
    return out


def dumps(run: BenchRun) -> str:
    """The file's text: the settings and summaries indented, a request a line (a run of
    thousands of requests of hundreds of chunks stays quick to write and to read)."""
    head = json.dumps(_head(run), allow_nan=False, indent=1)
    lines = ",\n  ".join(
        json.dumps(record_json(r), allow_nan=False, separators=(",", ":")) for r in run.records
    )
    summaries = json.dumps(_clean(run.summaries), allow_nan=False, indent=1)
    requests = f"[\n  {lines}\n ]" if lines else "[]"
    return f'{head[:-2]},\n "requests": {requests},\n "summaries": {summaries}\n}}\n'


def save_run(run: BenchRun, path: Path) -> None:
    """Write the results file atomically (an interrupted save leaves the previous file)."""
    atomic_write(path, dumps(run).encode())
