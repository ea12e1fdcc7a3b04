"""llama-bench results: ``-o json``, ``-o jsonl`` or ``-o csv``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.errors import InputError
from engine.measure.formats._read import number, positive, text_number
from engine.measure.points import Measurement, Point

LLAMA_BENCH_KEYS = ("n_prompt", "n_gen")


def is_llama_bench(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and all(k in obj for k in LLAMA_BENCH_KEYS)
        and ("avg_ns" in obj or "avg_ts" in obj)
    )


def parse_llama_bench(rows: Sequence[dict[str, Any]], path: str) -> Measurement:
    """llama-bench results, one object per test. ``avg_ts`` is (n_prompt + n_gen) tokens per
    second of the timed part; the ``n_depth`` context before it is processed untimed."""
    if not rows:
        raise InputError(f"{path}: llama-bench output with no tests")
    points: list[Point] = []
    for i, row in enumerate(rows):
        where = f"{path}: test {i + 1}"
        if not is_llama_bench(row):
            raise InputError(f"{where}: not a llama-bench result (needs n_prompt, n_gen, avg_ns)")
        n_prompt = number(row["n_prompt"], f"{where}: n_prompt")
        n_gen = number(row["n_gen"], f"{where}: n_gen")
        depth = number(row.get("n_depth", 0) or 0, f"{where}: n_depth")
        if n_prompt < 0 or n_gen < 0 or depth < 0 or n_prompt + n_gen <= 0:
            raise InputError(f"{where}: n_prompt and n_gen must be 0 or more, not both 0")
        if row.get("avg_ts") is not None:
            ts = positive(row["avg_ts"], f"{where}: avg_ts")
        else:
            ts = (n_prompt + n_gen) / (positive(row["avg_ns"], f"{where}: avg_ns") / 1e9)
        common: dict[str, Any] = {"batch": 1, "context_tokens": depth}
        if n_gen == 0:
            p = Point(
                input_tokens=n_prompt,
                output_tokens=0,
                elapsed_s=n_prompt / ts,
                phase="prefill",
                prefill_tokens_per_s=ts,
                **common,
            )
        elif n_prompt == 0:
            p = Point(
                input_tokens=0,
                output_tokens=n_gen,
                elapsed_s=n_gen / ts,
                phase="decode",
                decode_tokens_per_s=ts,
                **common,
            )
        else:
            p = Point(
                input_tokens=n_prompt,
                output_tokens=n_gen,
                elapsed_s=(n_prompt + n_gen) / ts,
                tokens_per_s=ts,
                **common,
            )
        points.append(p)
    first = rows[0]
    model_file = str(first.get("model_filename") or "")
    model_type = str(first.get("model_type") or "")
    remarks = []
    gpu_info = str(first.get("gpu_info") or "").strip()
    backends = str(first.get("backends") or first.get("backend") or "")
    ngl = first.get("n_gpu_layers")
    if not gpu_info or backends.upper() == "CPU" or ngl == 0:
        remarks.append(
            "llama-bench ran on the CPU (no GPU, or 0 GPU layers): the GPU model does not apply"
        )
    gpus = [g.strip() for g in gpu_info.split(",") if g.strip()]
    split = str(first.get("split_mode") or "layer").lower()
    n, tp, pp = len(gpus), 1, 1
    if n > 1 and split == "none":
        n = 1
    elif n > 1 and split == "row":
        tp = n  # each matmul's rows over the GPUs: tensor parallel
        remarks.append(f"{n} GPUs in llama.cpp's row split: modelled as tensor parallelism")
    elif n > 1:
        pp = n  # the layers over the GPUs, one after the other: pipeline stages
        remarks.append(f"{n} GPUs in llama.cpp's layer split: modelled as {n} pipeline stages")
    kv = {
        "f16": "fp16",
        "bf16": "bf16",
        "f32": "fp32",
        "q8_0": "q8_0",
        "q4_0": "q4_0",
    }.get(str(first.get("type_k", "f16")).lower())
    ubatch = first.get("n_ubatch")
    return Measurement(
        path=path,
        format="llama-bench",
        model_name=model_file.replace("\\", "/").rsplit("/", 1)[-1] or model_type,
        points=tuple(points),
        gpu_name=gpus[0] if gpus else None,
        gpus=n if gpus else None,
        tp=tp if gpus else None,
        pp=pp if gpus else None,
        engine="llamacpp",
        kind="static-batch",
        kv_dtype=kv,
        step_tokens=int(ubatch) if isinstance(ubatch, int) and ubatch > 0 else None,
        notes={
            k: first[k]
            for k in ("model_type", "model_n_params", "build_commit", "backends", "test_time")
            if first.get(k) not in (None, "")
        },
        remarks=tuple(remarks),
    )


def csv_rows(rows: list[dict[str, str]], path: str) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        conv: dict[str, Any] = dict(row)
        for name in ("n_prompt", "n_gen", "n_depth", "avg_ns", "avg_ts", "n_ubatch"):
            if row.get(name) not in (None, ""):
                x = text_number(row[name], f"{path}: row {i + 2}: {name}")
                conv[name] = int(x) if x.is_integer() and name != "avg_ts" else x
        for name in ("model_n_params", "n_gpu_layers"):
            if row.get(name) not in (None, ""):
                conv[name] = int(text_number(row[name], f"{path}: row {i + 2}: {name}"))
        out.append(conv)
    return out
