"""``vllm bench serve --save-result`` JSON (or ``--append-result``: one result a line)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.errors import InputError
from engine.measure.formats._read import field, number, positive, text_number
from engine.measure.points import Measurement, Point

VLLM_KEYS = ("completed", "request_throughput", "output_throughput")


def is_vllm_serve(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in VLLM_KEYS)


def parse_vllm_serve(objs: Sequence[Any], path: str) -> Measurement:
    """``vllm bench serve --save-result`` (or ``--append-result``: one result per line)."""
    points = []
    model = ""
    for i, obj in enumerate(objs):
        where = f"{path}: result {i + 1}" if len(objs) > 1 else path
        if not is_vllm_serve(obj):
            raise InputError(
                f"{where}: not a 'vllm bench serve' result (needs {', '.join(VLLM_KEYS)})"
            )
        completed = number(obj["completed"], f"{where}: completed")
        if completed < 1:
            raise InputError(f"{where}: no request completed ('completed' is {obj['completed']})")
        total_in = number(field(obj, "total_input_tokens", where), f"{where}: total_input_tokens")
        total_out = number(
            field(obj, "total_output_tokens", where), f"{where}: total_output_tokens"
        )

        def ms(name: str, o: dict[str, Any] = obj, w: str = where) -> float | None:
            v = o.get(name)
            return None if v is None else number(v, f"{w}: {name}") / 1e3

        rate = obj.get("request_rate", "inf")
        rate_f = math.inf if rate in ("inf", None) else text_number(str(rate), f"{where}: rate")
        conc = obj.get("max_concurrency")
        concurrency = None if conc is None else int(positive(conc, f"{where}: max_concurrency"))
        points.append(
            Point(
                batch=concurrency or int(completed),
                input_tokens=total_in / completed,
                output_tokens=total_out / completed,
                elapsed_s=None
                if obj.get("duration") is None
                else number(obj["duration"], f"{where}: duration"),
                ttft_s=ms("mean_ttft_ms"),
                tpot_s=ms("mean_tpot_ms"),
                itl_s=ms("mean_itl_ms"),
                concurrency=concurrency,
                request_rate=rate_f,
                num_requests=int(completed),
                output_tokens_per_s=positive(
                    obj["output_throughput"], f"{where}: output_throughput"
                ),
                requests_per_s=positive(obj["request_throughput"], f"{where}: request_throughput"),
            )
        )
        model = model or str(obj.get("model_id") or obj.get("tokenizer_id") or "")
    return Measurement(
        path=path,
        format="vllm-bench-serve",
        model_name=model,
        points=tuple(points),
        kind="serving",
        engine="vllm",  # vllm bench serve: a vLLM server, V1 since 0.8
        remarks=("engine vllm (V1): give --engine vllm-v0 for a server before 0.8",),
        notes={k: objs[0][k] for k in ("date", "backend", "label") if objs[0].get(k)},
    )
