"""An Ollama ``/api/generate`` or ``/api/chat`` response, non-streamed or its streamed lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.errors import InputError
from engine.measure.formats._read import number, positive
from engine.measure.points import Measurement, Point

OLLAMA_KEYS = ("eval_count", "eval_duration")


def is_ollama(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in OLLAMA_KEYS)


def parse_ollama(objs: Sequence[Any], path: str) -> Measurement:
    """Ollama responses (``/api/generate`` or ``/api/chat``, non-streamed, or the final line of a
    stream: streamed chunks without the timing fields are skipped). Durations are nanoseconds."""
    final = [o for o in objs if is_ollama(o)]
    if not final:
        raise InputError(
            f"{path}: an Ollama stream without its final line (needs {', '.join(OLLAMA_KEYS)})"
        )
    points = []
    for i, obj in enumerate(final):
        where = f"{path}: response {i + 1}" if len(final) > 1 else path
        n = positive(obj["eval_count"], f"{where}: eval_count")
        dur = positive(obj["eval_duration"], f"{where}: eval_duration") / 1e9
        prompt = obj.get("prompt_eval_count")
        pdur = obj.get("prompt_eval_duration")
        prompt_n = 0.0 if prompt is None else number(prompt, f"{where}: prompt_eval_count")
        prefill = None
        if prompt_n > 0 and pdur is not None:
            prefill = prompt_n / (positive(pdur, f"{where}: prompt_eval_duration") / 1e9)
        total = obj.get("total_duration")
        points.append(
            Point(
                batch=1,
                input_tokens=prompt_n,
                output_tokens=n,
                elapsed_s=None if total is None else number(total, f"{where}: total") / 1e9,
                phase="prefill+decode",
                prefill_tokens_per_s=prefill,
                decode_tokens_per_s=n / dur,
                ttft_s=None if prefill is None else prompt_n / prefill,
            )
        )
    models = {str(o.get("model", "")) for o in final}
    if len(models) > 1:
        raise InputError(
            f"{path}: responses of several models ({', '.join(sorted(models))}); "
            "give one file per model"
        )
    remarks = []
    if any(p.prefill_tokens_per_s is None for p in points):
        remarks.append(
            "prompt evaluation not timed in some responses (a cached prompt): decode only there"
        )
    return Measurement(
        path=path,
        format="ollama",
        model_name=models.pop(),
        points=tuple(points),
        kind="single-request",
        engine="llamacpp",  # Ollama runs llama.cpp
        remarks=tuple(remarks),
    )
