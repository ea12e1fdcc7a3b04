"""NVIDIA NIM's benchmark CSV: closed-loop concurrency, TTFT, ITL and throughput."""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import InputError
from engine.measure.formats._read import text_number
from engine.measure.points import Measurement, Point

NIM_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "concurrency",
    "TTFT_ms",
    "ITL_ms",
    "Throughput_tokens_per_s",
)


def parse_nim_csv(rows: list[dict[str, str]], path: str) -> Measurement:
    """NVIDIA NIM's benchmark table: closed-loop concurrency, TTFT, ITL and throughput."""
    if not rows:
        raise InputError(f"{path}: NIM CSV with a header but no rows")
    points = []
    for i, row in enumerate(rows):
        where = f"{path}: row {i + 2}"
        vals = {c: text_number(row.get(c, ""), f"{where}: {c}") for c in NIM_COLUMNS}
        if min(vals.values()) <= 0:
            raise InputError(f"{where}: every value must be positive")
        conc = int(vals["concurrency"])
        points.append(
            Point(
                batch=conc,
                input_tokens=vals["input_tokens"],
                output_tokens=vals["output_tokens"],
                ttft_s=vals["TTFT_ms"] / 1e3,
                itl_s=vals["ITL_ms"] / 1e3,
                tpot_s=vals["ITL_ms"] / 1e3,
                total_tokens_per_s=None,
                output_tokens_per_s=vals["Throughput_tokens_per_s"],
                concurrency=conc,
            )
        )
    first = rows[0]
    data_type = str(first.get("data_type", ""))
    tp = re.search(r"TP\s*(\d+)", data_type, re.IGNORECASE)
    dtype = data_type.split()[0].lower() if data_type.split() else ""
    count = first.get("hardware_count", "")
    return Measurement(
        path=path,
        format="nim-csv",
        model_name=str(first.get("model", "")) or re.sub(r"^nim[-_]", "", Path(path).stem),
        points=tuple(points),
        gpu_name=first.get("hardware") or None,
        gpus=int(count) if count.isdigit() else None,
        tp=int(tp.group(1)) if tp else None,
        weight_dtype=dtype if dtype in ("fp8", "bf16", "fp16", "int8", "int4") else None,
        # NIM's fp8 TensorRT-LLM profiles quantise the KV cache too (the engines' kv_cache_dtype)
        kv_dtype="fp8" if dtype == "fp8" else None,
        kind="serving",
        engine="trtllm",  # NIM's optimized profiles for NVIDIA GPUs run TensorRT-LLM
        notes={k: first[k] for k in ("version", "data_type") if first.get(k)},
        remarks=(
            "engine trtllm: NIM's optimized profiles run TensorRT-LLM",
            *(("KV cache fp8, as NIM's fp8 profiles build it",) if dtype == "fp8" else ()),
            *(
                ("model not recorded in the CSV: named after the file",)
                if not first.get("model")
                else ()
            ),
        ),
    )
