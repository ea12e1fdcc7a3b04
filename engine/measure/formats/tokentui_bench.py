"""``tokentui bench --save`` results (``"format": "tokentui-bench"``): one serving point a level.

The schema is :mod:`engine.bench.results`; this reader depends only on the file (it is read like
any other format, and refuses a hostile one by field and reason).
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import InputError, terminal_safe
from engine.measure.formats._read import number, positive
from engine.measure.points import Measurement, Point

FORMAT = "tokentui-bench"
#: The engine profile of each server kind the bench recognises (Ollama runs llama.cpp).
ENGINES = {
    "vllm": "vllm",
    "sglang": "sglang",
    "trtllm": "trtllm",
    "llamacpp": "llamacpp",
    "ollama": "llamacpp",
}


def is_tokentui_bench(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get("format") == FORMAT


def _opt(obj: dict[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    return None if value is None else positive(value, f"{where}: {key}")


def _text(value: Any, limit: int = 120) -> str:
    return terminal_safe(str(value), limit) if value else ""


def _section(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def parse_tokentui_bench(obj: dict[str, Any], path: str) -> Measurement:
    version = obj.get("version")
    if version != 1:
        raise InputError(f"{path}: tokentui-bench version {version!r}; this reader knows 1")
    summaries = obj.get("summaries")
    if not isinstance(summaries, list):
        raise InputError(f"{path}: 'summaries' must be a list of the levels' summaries")
    settings = _section(obj, "settings")
    points = []
    skipped = 0
    for i, s in enumerate(summaries):
        where = f"{path}: summary {i + 1}"
        if not isinstance(s, dict):
            raise InputError(f"{where}: not an object")
        requests = s.get("requests")
        if not isinstance(requests, int) or isinstance(requests, bool) or requests < 0:
            raise InputError(f"{where}: requests must be a whole number, got {requests!r}")
        if requests == 0 or s.get("output_tokens_per_s") is None:
            skipped += 1  # a level where nothing finished measures nothing
            continue
        conc = s.get("concurrency")
        rate = s.get("rate")
        if conc is not None:
            c = positive(conc, f"{where}: concurrency")
            if not c.is_integer() or c > 1e6:
                raise InputError(f"{where}: concurrency must be a whole number, got {conc!r}")
            concurrency: int | None = int(c)
            rate_f: float | None = None
        elif rate is not None:
            concurrency = None
            rate_f = math.inf if rate == "inf" else positive(rate, f"{where}: rate")
        else:
            raise InputError(f"{where}: needs a concurrency or a rate")
        inp = s.get("input_tokens")
        if inp is None:
            inp = settings.get("input_tokens")
        if inp is None:
            raise InputError(f"{where}: no input_tokens (the server counted no prompt tokens)")
        input_tokens = positive(inp, f"{where}: input_tokens")
        output_tokens = positive(s.get("output_tokens"), f"{where}: output_tokens")
        if input_tokens > 1e8 or output_tokens > 1e8:
            raise InputError(f"{where}: more than 10^8 tokens a request")
        points.append(
            Point(
                batch=concurrency or requests,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                ttft_s=_opt(s, "ttft_s", where),
                itl_s=_opt(s, "itl_s", where),
                tpot_s=_opt(s, "tpot_s", where),
                concurrency=concurrency,
                request_rate=rate_f,
                num_requests=requests,
                output_tokens_per_s=positive(
                    s["output_tokens_per_s"], f"{where}: output_tokens_per_s"
                ),
                requests_per_s=_opt(s, "requests_per_s", where),
            )
        )
        number(s.get("errors", 0), f"{where}: errors")
    if not points:
        raise InputError(f"{path}: no level with a finished request (nothing was measured)")
    hw = _section(obj, "hardware")
    gpu_name = _text(hw.get("gpu_name")) or None
    count = hw.get("gpu_count")
    gpus = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else None
    server = _section(obj, "server")
    engine = ENGINES.get(str(server.get("engine")))
    remarks = []
    if engine:
        remarks.append(f"engine {engine}: the server said it is {_text(server.get('engine'))}")
    if not gpu_name:
        remarks.append("the file records no hardware (bench ran off the server's machine): --gpu")
    if skipped:
        remarks.append(f"{skipped} levels with no finished request left out")
    if obj.get("complete") is False:
        remarks.append(f"the run ended early: {_text(obj.get('stopped'), 160)}")
    return Measurement(
        path=path,
        format=FORMAT,
        model_name=_text(obj.get("model")),
        points=tuple(points),
        gpu_name=gpu_name,
        gpus=gpus,
        kind="serving",
        engine=engine,
        remarks=tuple(remarks),
        notes={k: _text(obj[k], 40) for k in ("started_at", "tokentui") if obj.get(k) is not None},
    )
