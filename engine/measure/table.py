"""A table of measurements, one number a row (:mod:`engine.measure.formats.public_tsv`): each row
predicted under its own scenario — its model, GPU, layout, precision, lengths, load and engine —
or kept with the reason the engine cannot express it (:func:`express`).

How a row's words become a scenario:

- model and GPU: the catalog's by name (``Llama 3.1 8B`` -> ``llama-3.1-8b``, ``H100 SXM 80GB``
  -> ``h100-sxm``); not in the catalog: the reason;
- precision: ``fp8`` weights with an fp8 KV cache (TensorRT-LLM quantises both), ``bf16``/``f16``
  with a bf16 cache; GGUF quantisations (``q4_0``) have no engine precision yet: the reason;
- layout: ``pp`` stages (llama.cpp's layer split) and ``tp`` (``num_gpus`` / ``pp`` when not
  stated, said so);
- engine: the ``engine`` column's profile (``TensorRT-LLM ...`` -> ``trtllm``, ``vLLM`` -> ``vllm``,
  ``SGLang`` -> ``sglang``, ``llama.cpp`` -> ``llamacpp``), unless ``--engine`` is given. An engine
  built by ``trtllm-bench`` takes the sizes trtllm-bench chose for the row's lengths
  (:func:`trtllm_bench_settings`);
- lengths not stated: for a single-stream decode, a short prompt of 16 tokens and the ``-n`` the
  notes give (else 512) are assumed and said (they only set the context the decode attends to);
  for anything else, the reason;
- a row the notes mark as run on the CPU: the reason. llama.cpp on an Apple GPU is the
  ``llamacpp-metal`` profile.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from engine.errors import InputError
from engine.measure.calibration import FitCase
from engine.measure.file_scenario import FileOverrides
from engine.measure.names import quantization_from_name, resolve_model_name
from engine.measure.points import Measurement, Point, TableRow
from engine.physics.arch import kv_bytes_per_token, parameter_count
from engine.physics.memory import check_fits
from engine.physics.specs import GPUSpec, ModelSpec
from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import resolve
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog, match_gpu_name

#: The ``engine`` column's words -> the engine profile, first match.
ENGINE_NAMES: tuple[tuple[str, str], ...] = (
    (r"tensorrt[- ]?llm|trt[- ]?llm|\bnim\b", "trtllm"),
    (r"sglang", "sglang"),
    (r"llama\.?cpp|llama-server", "llamacpp"),
    (r"vllm", "vllm"),
)


@dataclass(frozen=True)
class Expressed:
    """A row as the engine sees it: the scenario its point is predicted under."""

    scenario: Scenario
    assumed: tuple[str, ...] = ()  # what the row does not say and was assumed
    point: Point | None = None  # the point as predicted (assumed lengths filled in)


def engine_of(row: TableRow) -> str | None:
    text = row.engine.lower()
    for pattern, name in ENGINE_NAMES:
        if re.search(pattern, text):
            if name == "vllm" and re.match(r"0\.[0-7]\.", row.engine_version):
                return "vllm-v0"  # V1 became the default in 0.8.0
            return name
    return None


def _precision(row: TableRow) -> tuple[str, str] | str:
    """(weights, KV cache) or the reason."""
    p = row.precision.lower()
    if re.match(r"q\d|iq\d|gguf", p) or "gguf" in p:
        tag = row.precision.split()[0]
        weights, _ = quantization_from_name(tag)
        if weights is None:
            return f"GGUF {tag} weights have no engine precision"
        return weights, "fp16"  # llama.cpp keeps its KV cache in f16 by default
    if p.startswith("fp8"):
        return "fp8", "fp8"
    if p.startswith(("bf16", "bfloat16")):
        return "bf16", "bf16"
    if p.startswith(("f16", "fp16", "float16")):
        return "fp16", "bf16"
    if p.startswith(("int8", "w8a8")):
        return "int8", "bf16"
    if p.startswith(("int4", "w4a16", "awq", "gptq")):
        return "int4", "bf16"
    return f"precision {row.precision!r} has no engine precision"


def trtllm_bench_settings(
    model: ModelSpec, gpu: GPUSpec, gpus: int, weights: str, kv: str, S: float, n: float
) -> dict[str, float | int]:
    """The engine sizes ``trtllm-bench`` builds for requests of S in and n out (its tuning
    heuristic, tensorrt_llm/bench/build/tuning.py of the 0.1x releases): the KV cache of 95% of
    what the weights leave, in requests; the batch that many (at most 4,096, rounded up to a
    multiple of 32, 128 or 256, at least 64); the tokens per step the batch times 1 + S/n (at
    most 32,768, rounded up, at least 2,048)."""
    bytes_w = 1 if weights == "fp8" else 2
    engine_size = parameter_count(model) * bytes_w
    available = gpus * gpu.memory_bytes - engine_size
    kv_mem = max(available, 0.0) * 0.95
    per_token = kv_bytes_per_token(model, kv)  # all layers, all heads: the whole group's
    requests = kv_mem / per_token / (S + n)
    raw_bs = min(requests, 4096.0)
    raw_tokens = min(raw_bs * (1 + S / max(n, 1.0)), 32768.0)
    if raw_bs < 256:
        bs = max(64, 32 * math.ceil(raw_bs / 32))
    elif raw_bs < 1024:
        bs = 128 * math.ceil(raw_bs / 128)
    else:
        bs = 256 * math.ceil(raw_bs / 256)
    if raw_tokens < 4096:
        tokens = max(2048, 256 * math.ceil(raw_tokens / 256))
    elif raw_tokens < 8192:
        tokens = 512 * math.ceil(raw_tokens / 512)
    else:
        tokens = 1024 * math.ceil(raw_tokens / 1024)
    return {"max_num_seqs": int(bs), "max_batched_tokens": int(tokens), "memory_utilization": 0.95}


def express(
    p: Point, catalog: Catalog, base: Scenario, overrides: FileOverrides | None = None
) -> Expressed | str:
    """The scenario of a table row's point, or why the engine cannot express it."""
    row = p.row
    assert row is not None
    overrides = overrides or FileOverrides()
    assumed: list[str] = []
    ids = [*catalog.models, *(a for m in catalog.models.values() for a in m.aliases)]
    model_id = overrides.model or resolve_model_name(row.model, ids)
    if model_id is None:
        return f"model {row.model!r} not in the catalog"
    gpu_id = overrides.gpu or match_gpu_name(row.gpu, catalog.gpus)
    if gpu_id is None:
        return f"GPU {row.gpu!r} not in the catalog"
    if re.search(r"\bon CPU\b|\bCPU run\b", row.notes, re.IGNORECASE):
        return "run on the CPU, not the GPU (CPU inference is not modelled)"
    precision = _precision(row)
    if isinstance(precision, str):
        return precision
    weights, kv = precision
    if not row.lengths_stated:
        if row.metric != "decode_throughput_single_stream":
            return "input and output lengths not stated"
        given = re.search(r"-n (\d+)", row.notes)
        out = int(given.group(1)) if given else 512
        p = replace(p, input_tokens=16.0, output_tokens=float(out))
        assumed.append(
            f"16 tokens in (a short prompt), {out:,} out "
            f"({'the -n of the notes' if given else 'not stated'}): lengths not stated"
        )
    engine = overrides.engine or engine_of(row)
    if engine is None:
        return f"engine {row.engine!r} has no profile (accepted: {', '.join(catalog.engines)})"
    model, gpu = catalog.model(model_id), catalog.gpu(gpu_id)
    if engine == "llamacpp" and gpu.vendor == "apple" and not overrides.engine:
        engine = "llamacpp-metal"
    gpus = row.num_gpus or row.tp or 1
    pp = row.pp or 1
    tp = row.tp or gpus // pp
    if not row.tp:
        gpu_words = "the 1 GPU" if gpus == 1 else f"all {gpus} GPUs"
        assumed.append(f"tp {tp} (not stated: {gpu_words})")
    settings: dict[str, object] = {}
    if "trtllm-bench" in row.engine.lower() and p.offline:
        settings = dict(
            trtllm_bench_settings(model, gpu, gpus, weights, kv, p.input_tokens, p.output_tokens)
        )
        assumed.append(
            f"trtllm-bench's engine: {settings['max_num_seqs']} sequences, "
            f"{settings['max_batched_tokens']:,} tokens a step"
        )
    settings.update(overrides.settings)
    if p.offline and p.num_requests is None:
        assumed.append("1,000 requests (the count is not stated)")
    keep = base.mode == "realistic" and overrides.factors_given
    inp = ScenarioInput(
        model=model,
        gpu=gpu,
        gpus=gpus,
        tp=tp,
        pp=pp,
        input_tokens=max(1, round(p.input_tokens)),
        output_tokens=max(1, round(p.output_tokens)),
        mode=base.mode,
        engine=engine,
        profile=base.efficiency if keep else None,
        weight_dtype=weights,
        kv_dtype=kv,
        settings=settings,  # type: ignore[arg-type]
    )
    try:
        s = resolve(inp, catalog, base.efficiency)
        check_fits(s, s.context_tokens)
    except InputError as exc:
        return str(exc)
    return Expressed(s, tuple(assumed), p)


def table_fit_cases(
    meas: Measurement, catalog: Catalog, base: Scenario, overrides: FileOverrides | None = None
) -> tuple[list[FitCase], dict[str, int]]:
    """A table's rows as cases to fit: the rows of one setup and load (one scenario) together,
    each case labelled by its first line; and how many rows could not be expressed, by reason."""
    groups: dict[str, tuple[Scenario, list[Point]]] = {}
    reasons: dict[str, int] = {}
    for p in meas.points:
        how = express(p, catalog, base, overrides)
        if isinstance(how, str):
            reasons[how] = reasons.get(how, 0) + 1
            continue
        p = how.point or p
        row = p.row
        assert row is not None
        key = "|".join(
            str(v)
            for v in (
                row.table,
                row.model,
                row.gpu,
                row.num_gpus,
                row.tp,
                row.precision,
                p.input_tokens,
                p.output_tokens,
                row.load,
                row.engine,
            )
        )
        groups.setdefault(key, (how.scenario, []))[1].append(p)
    cases = [
        FitCase(f"{meas.path} line {pts[0].line}", s, tuple(pts), meas.kind)
        for s, pts in groups.values()
    ]
    return cases, reasons
