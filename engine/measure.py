"""Measured benchmark results, read into one shape for comparison and calibration.

A :class:`Measurement` is one file: what was run (model name as recorded, hardware if recorded),
what kind of measurement it is, and its points. A :class:`Point` is one measured run and keeps
what was measured, in SI units:

``static-batch``
    B requests arrive together and run to the end (the tokenomics seed's JSON: whole requests,
    output tokens/s of the batch; llama-bench: one sequence, a ``pp`` test is a prefill of
    ``n_prompt`` tokens, a ``tg`` test ``n_gen`` decode steps, after ``n_depth`` tokens of context).
``serving``
    requests arrive continuously at a fixed concurrency or request rate (NIM's CSV,
    ``vllm bench serve``): TTFT, inter-token latency, output throughput.
``single-request``
    one request on its own (an Ollama response): prefill and decode speed.

Every importer refuses a file it cannot read with an :class:`InputError` that names the file and
what is wrong; a file of no known format lists the formats accepted. Formats are detected from
the content, never from the file name.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.errors import InputError

Kind = Literal["static-batch", "serving", "single-request"]
KINDS: tuple[str, ...] = ("static-batch", "serving", "single-request")
Phase = Literal["prefill+decode", "prefill", "decode"]

#: The formats read, by the name :attr:`Measurement.format` carries, with what identifies them.
FORMATS: dict[str, str] = {
    "seed-json": "the tokenomics seed's benchmark JSON (an object with 'metadata' and 'results')",
    "vllm-bench-serve": "'vllm bench serve --save-result' JSON (completed, request_throughput, "
    "output_throughput, mean_ttft_ms ...), one object or one per line",
    "llama-bench": "llama-bench -o json, -o jsonl or -o csv (n_prompt, n_gen, avg_ns, avg_ts ...)",
    "ollama": "an Ollama /api/generate or /api/chat response (eval_count, eval_duration, "
    "prompt_eval_count, prompt_eval_duration), or its streamed lines",
    "nim-csv": "NIM benchmark CSV (input_tokens, output_tokens, concurrency, TTFT_ms, ITL_ms, "
    "Throughput_tokens_per_s)",
}
ACCEPTED = "accepted: " + "; ".join(FORMATS.values())

#: What each compared quantity means. All are tokens per second.
METRICS: dict[str, str] = {
    "total_tokens_per_s": "output tokens of the whole batch / its wall time",
    "prefill_tokens_per_s": "prompt tokens / prefill time",
    "decode_tokens_per_s": "generated tokens / decode time, per sequence (1 / time per token)",
    "tokens_per_s": "(prompt + generated tokens) / wall time (llama-bench prompt+gen tests)",
}


@dataclass(frozen=True)
class Point:
    """One measured run. Token counts are per request (means where the file averages them);
    the measured quantities a kind does not record are ``None``.

    ``context_tokens`` were already in the KV cache before the measured phase (llama-bench's
    ``n_depth``); a ``decode`` point's decode starts after ``context_tokens + input_tokens``.
    """

    batch: int  # requests run together (a static batch; 1 for one request; serving: concurrency)
    input_tokens: float
    output_tokens: float
    elapsed_s: float | None = None  # wall time of the whole batch
    total_tokens_per_s: float | None = None  # output tokens of the batch / elapsed
    per_request_tokens_per_s: float | None = None
    phase: Phase = "prefill+decode"
    context_tokens: float = 0.0
    prefill_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None  # per sequence
    tokens_per_s: float | None = None  # (prompt + generated) / elapsed: llama-bench pg tests
    ttft_s: float | None = None  # serving: mean time to first token
    tpot_s: float | None = None  # serving: mean time per output token after the first
    itl_s: float | None = None  # serving: mean inter-token latency
    concurrency: int | None = None  # serving: requests in flight (closed loop)
    request_rate: float | None = None  # serving: requests/s offered (inf: all at once)

    def measured(self) -> dict[str, float]:
        """The quantities of this point the engine can predict (see :data:`METRICS`)."""
        names = ("total_tokens_per_s", "prefill_tokens_per_s", "decode_tokens_per_s")
        out = {n: v for n in names if (v := getattr(self, n)) is not None}
        if self.tokens_per_s is not None:
            out["tokens_per_s"] = self.tokens_per_s
        return out

    @property
    def label(self) -> str:
        """A short description for tables: 'pp512', 'tg128 @ d4096', 'B=8 2035/300'."""
        depth = f" @ d{self.context_tokens:.0f}" if self.context_tokens else ""
        if self.phase == "prefill":
            return f"pp{self.input_tokens:.0f}{depth}"
        if self.phase == "decode" and not self.input_tokens:
            return f"tg{self.output_tokens:.0f}{depth}"
        return f"B={self.batch} {self.input_tokens:.0f}/{self.output_tokens:.0f}{depth}"


@dataclass(frozen=True)
class Measurement:
    path: str
    format: str  # a key of FORMATS
    model_name: str  # as the file records it ('' when it does not)
    points: tuple[Point, ...]
    gpu_name: str | None = None  # as recorded, when recorded
    gpus: int | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # metadata the file carries
    kind: Kind = "static-batch"
    tp: int | None = None
    weight_dtype: str | None = None  # an engine precision, when the file says (a quantised tag)
    kv_dtype: str | None = None
    step_tokens: int | None = None  # tokens per forward step the runner used (llama.cpp n_ubatch)
    remarks: tuple[str, ...] = ()  # what a reader of the comparison should know about this file

    @property
    def comparable(self) -> bool:
        """Whether the engine predicts this kind (serving needs the serving model: not yet)."""
        return self.kind != "serving" and any(p.measured() for p in self.points)


# ------------------------------------------------------------------------------------ helpers


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _positive(value: Any, where: str) -> float:
    x = _number(value, where)
    if x <= 0:
        raise InputError(f"{where}: must be positive, got {value!r}")
    return x


def _field(row: dict[str, Any], name: str, where: str) -> Any:
    if name not in row:
        raise InputError(f"{where}: missing field {name!r}")
    return row[name]


def _text_number(value: str, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InputError(f"{where}: expected a number, got {value!r}")
    return x


# --------------------------------------------------------------------------------- seed JSON


def parse_seed_json(data: Any, path: str) -> Measurement:
    """The tokenomics seed's format: ``metadata`` + ``results`` keyed by batch size."""
    if not isinstance(data, dict) or "results" not in data or "metadata" not in data:
        raise InputError(f"{path}: not a seed benchmark file (needs 'metadata' and 'results')")
    results = data["results"]
    if not isinstance(results, dict) or not results:
        raise InputError(f"{path}: 'results' must map batch sizes to measurements")
    points = []
    for key, row in results.items():
        where = f"{path}: results.{key}"
        if not re.fullmatch(r"\d+", str(key)) or int(key) < 1:
            raise InputError(f"{where}: batch size must be a positive whole number")
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a table of measurements")
        for name in ("avg_input_tokens", "avg_output_tokens", "tokens_per_second_in_batch"):
            if name not in row:
                raise InputError(f"{where}: missing field {name!r}")
        batch = int(key)
        out = _number(row["avg_output_tokens"], f"{where}.avg_output_tokens")
        tps = _number(row["tokens_per_second_in_batch"], f"{where}.tokens_per_second_in_batch")
        if tps <= 0 or out <= 0:
            raise InputError(f"{where}: tokens and tokens per second must be positive")
        elapsed = row.get("elapsed_time")
        elapsed_s = (
            _number(elapsed, f"{where}.elapsed_time") if elapsed is not None else batch * out / tps
        )
        per_req = row.get("avg_tokens_per_second")
        points.append(
            Point(
                batch=batch,
                input_tokens=_number(row["avg_input_tokens"], f"{where}.avg_input_tokens"),
                output_tokens=out,
                elapsed_s=elapsed_s,
                total_tokens_per_s=tps,
                per_request_tokens_per_s=None if per_req is None else _number(per_req, where),
            )
        )
    meta = data["metadata"] if isinstance(data["metadata"], dict) else {}
    return Measurement(
        path=path,
        format="seed-json",
        model_name=str(meta.get("model", "")),
        points=tuple(sorted(points, key=lambda p: p.batch)),
        notes={k: meta[k] for k in ("description", "timestamp") if k in meta},
        kind="static-batch",
    )


# ------------------------------------------------------------------------- vllm bench serve

_VLLM_KEYS = ("completed", "request_throughput", "output_throughput")


def _is_vllm_serve(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in _VLLM_KEYS)


def parse_vllm_serve(objs: Sequence[Any], path: str) -> Measurement:
    """``vllm bench serve --save-result`` (or ``--append-result``: one result per line)."""
    points = []
    model = ""
    for i, obj in enumerate(objs):
        where = f"{path}: result {i + 1}" if len(objs) > 1 else path
        if not _is_vllm_serve(obj):
            raise InputError(
                f"{where}: not a 'vllm bench serve' result (needs {', '.join(_VLLM_KEYS)})"
            )
        completed = _number(obj["completed"], f"{where}: completed")
        if completed < 1:
            raise InputError(f"{where}: no request completed ('completed' is {obj['completed']})")
        total_in = _number(_field(obj, "total_input_tokens", where), f"{where}: total_input_tokens")
        total_out = _number(
            _field(obj, "total_output_tokens", where), f"{where}: total_output_tokens"
        )

        def ms(name: str, o: dict[str, Any] = obj, w: str = where) -> float | None:
            v = o.get(name)
            return None if v is None else _number(v, f"{w}: {name}") / 1e3

        rate = obj.get("request_rate", "inf")
        rate_f = math.inf if rate in ("inf", None) else _text_number(str(rate), f"{where}: rate")
        conc = obj.get("max_concurrency")
        concurrency = None if conc is None else int(_positive(conc, f"{where}: max_concurrency"))
        points.append(
            Point(
                batch=concurrency or int(completed),
                input_tokens=total_in / completed,
                output_tokens=total_out / completed,
                elapsed_s=None
                if obj.get("duration") is None
                else _number(obj["duration"], f"{where}: duration"),
                ttft_s=ms("mean_ttft_ms"),
                tpot_s=ms("mean_tpot_ms"),
                itl_s=ms("mean_itl_ms"),
                concurrency=concurrency,
                request_rate=rate_f,
            )
        )
        model = model or str(obj.get("model_id") or obj.get("tokenizer_id") or "")
    return Measurement(
        path=path,
        format="vllm-bench-serve",
        model_name=model,
        points=tuple(points),
        kind="serving",
        notes={k: objs[0][k] for k in ("date", "backend", "label") if objs[0].get(k)},
    )


# ------------------------------------------------------------------------------- llama-bench

_LLAMA_BENCH_KEYS = ("n_prompt", "n_gen")


def _is_llama_bench(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and all(k in obj for k in _LLAMA_BENCH_KEYS)
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
        if not _is_llama_bench(row):
            raise InputError(f"{where}: not a llama-bench result (needs n_prompt, n_gen, avg_ns)")
        n_prompt = _number(row["n_prompt"], f"{where}: n_prompt")
        n_gen = _number(row["n_gen"], f"{where}: n_gen")
        depth = _number(row.get("n_depth", 0) or 0, f"{where}: n_depth")
        if n_prompt < 0 or n_gen < 0 or depth < 0 or n_prompt + n_gen <= 0:
            raise InputError(f"{where}: n_prompt and n_gen must be 0 or more, not both 0")
        if row.get("avg_ts") is not None:
            ts = _positive(row["avg_ts"], f"{where}: avg_ts")
        else:
            ts = (n_prompt + n_gen) / (_positive(row["avg_ns"], f"{where}: avg_ns") / 1e9)
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
    if len(gpus) > 1:
        remarks.append(
            f"{len(gpus)} GPUs listed: llama.cpp splits layers across them (one after the "
            "other), which runs at about one GPU's speed; modelled as one GPU"
        )
    kv = {"f16": "fp16", "bf16": "bf16", "f32": "fp32", "q8_0": "fp8"}.get(
        str(first.get("type_k", "f16")).lower()
    )
    if str(first.get("type_k", "f16")).lower() == "q8_0":
        remarks.append("KV cache q8_0 modelled as 1 byte per element (as fp8)")
    ubatch = first.get("n_ubatch")
    return Measurement(
        path=path,
        format="llama-bench",
        model_name=model_file.replace("\\", "/").rsplit("/", 1)[-1] or model_type,
        points=tuple(points),
        gpu_name=gpus[0] if gpus else None,
        gpus=1 if gpus else None,
        tp=1 if gpus else None,
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


def _llama_bench_csv_rows(rows: list[dict[str, str]], path: str) -> list[dict[str, Any]]:
    out = []
    for i, row in enumerate(rows):
        conv: dict[str, Any] = dict(row)
        for name in ("n_prompt", "n_gen", "n_depth", "avg_ns", "avg_ts", "n_ubatch"):
            if row.get(name) not in (None, ""):
                x = _text_number(row[name], f"{path}: row {i + 2}: {name}")
                conv[name] = int(x) if x.is_integer() and name != "avg_ts" else x
        for name in ("model_n_params", "n_gpu_layers"):
            if row.get(name) not in (None, ""):
                conv[name] = int(_text_number(row[name], f"{path}: row {i + 2}: {name}"))
        out.append(conv)
    return out


# ------------------------------------------------------------------------------------ Ollama

_OLLAMA_KEYS = ("eval_count", "eval_duration")


def _is_ollama(obj: Any) -> bool:
    return isinstance(obj, dict) and all(k in obj for k in _OLLAMA_KEYS)


def parse_ollama(objs: Sequence[Any], path: str) -> Measurement:
    """Ollama responses (``/api/generate`` or ``/api/chat``, non-streamed, or the final line of a
    stream: streamed chunks without the timing fields are skipped). Durations are nanoseconds."""
    final = [o for o in objs if _is_ollama(o)]
    if not final:
        raise InputError(
            f"{path}: an Ollama stream without its final line (needs {', '.join(_OLLAMA_KEYS)})"
        )
    points = []
    for i, obj in enumerate(final):
        where = f"{path}: response {i + 1}" if len(final) > 1 else path
        n = _positive(obj["eval_count"], f"{where}: eval_count")
        dur = _positive(obj["eval_duration"], f"{where}: eval_duration") / 1e9
        prompt = obj.get("prompt_eval_count")
        pdur = obj.get("prompt_eval_duration")
        prompt_n = 0.0 if prompt is None else _number(prompt, f"{where}: prompt_eval_count")
        prefill = None
        if prompt_n > 0 and pdur is not None:
            prefill = prompt_n / (_positive(pdur, f"{where}: prompt_eval_duration") / 1e9)
        total = obj.get("total_duration")
        points.append(
            Point(
                batch=1,
                input_tokens=prompt_n,
                output_tokens=n,
                elapsed_s=None if total is None else _number(total, f"{where}: total") / 1e9,
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
        remarks=tuple(remarks),
    )


# ---------------------------------------------------------------------------------- NIM CSV

_NIM_COLUMNS = (
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
        vals = {c: _text_number(row.get(c, ""), f"{where}: {c}") for c in _NIM_COLUMNS}
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
        kind="serving",
        notes={k: first[k] for k in ("version", "data_type") if first.get(k)},
        remarks=("model not recorded in the CSV: named after the file",)
        if not first.get("model")
        else (),
    )


# --------------------------------------------------------------------------------- detection


def _unknown(path: str, why: str) -> InputError:
    return InputError(f"{path}: not a benchmark file tokentui reads ({why}); {ACCEPTED}")


def _json_lines(text: str) -> list[Any] | None:
    """Each non-empty line a JSON value, or None when some line is not."""
    out = []
    for line in text.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                return None
    return out or None


def parse_objects(objs: list[Any], path: str) -> Measurement:
    """Detect the format of parsed JSON values (a whole file's, or one per line)."""
    if len(objs) == 1 and isinstance(objs[0], list):
        objs = objs[0]
    if not objs:
        raise _unknown(path, "an empty JSON list")
    dicts = [o for o in objs if isinstance(o, dict)]
    if len(dicts) != len(objs):
        raise _unknown(path, "JSON values that are not objects")
    first = dicts[0]
    if "metadata" in first and "results" in first:
        if len(dicts) > 1:
            raise InputError(f"{path}: several seed benchmark objects; give one per file")
        return parse_seed_json(first, path)
    detectors: list[tuple[Callable[[Any], bool], Callable[[Any, str], Measurement]]] = [
        (_is_vllm_serve, parse_vllm_serve),
        (_is_llama_bench, parse_llama_bench),
    ]
    for test, parser in detectors:
        if test(first):
            return parser(dicts, path)
    if any(_is_ollama(o) for o in dicts) or all("done" in o and "model" in o for o in dicts):
        return parse_ollama(dicts, path)
    keys = ", ".join(sorted(first)[:8]) + (" ..." if len(first) > 8 else "")
    raise _unknown(path, f"JSON with fields {keys}")


def parse_csv(text: str, path: str) -> Measurement:
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = reader.fieldnames or []
        rows = list(reader)
    except csv.Error as exc:
        raise _unknown(path, f"CSV that cannot be read: {exc}") from None
    if all(c in header for c in _NIM_COLUMNS):
        return parse_nim_csv(rows, path)
    if all(c in header for c in _LLAMA_BENCH_KEYS) and ("avg_ns" in header or "avg_ts" in header):
        return parse_llama_bench(_llama_bench_csv_rows(rows, path), path)
    missing = [c for c in _NIM_COLUMNS if c not in header]
    raise _unknown(path, f"a CSV without the NIM columns {', '.join(missing)}")


def parse_text(text: str, path: str) -> Measurement:
    """Detect the format of a file's text and read it."""
    stripped = text.strip()
    if not stripped:
        raise _unknown(path, "the file is empty")
    if stripped[0] in "[{":
        try:
            return parse_objects([json.loads(stripped)], path)
        except json.JSONDecodeError as exc:
            lines = _json_lines(stripped)
            if lines is not None:
                return parse_objects(lines, path)
            raise _unknown(
                path, f"broken JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
    first_line = stripped.splitlines()[0]
    if "," in first_line:
        return parse_csv(stripped, path)
    raise _unknown(path, "neither JSON nor CSV")


def load_measurement(path: Path) -> Measurement:
    """Read a benchmark file, detecting its format from its content."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give the benchmark files in it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return parse_text(text, str(path))


# ------------------------------------------------------------------- names -> catalog entries


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _name_variants(name: str) -> list[str]:
    """A recorded name and what it likely means: 'meta-llama/Llama-3.1-8B-Instruct' ->
    'Llama-3.1-8B-Instruct'; 'Meta-Llama-3.1-8B.gguf' -> 'Llama-3.1-8B'; Ollama's
    'llama3.1:8b-instruct-q4_K_M' as it is (its tag follows the colon)."""
    base = name.strip().replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = re.sub(r"\.(gguf|bin|safetensors)$", "", base, flags=re.IGNORECASE)
    out = [name, base]
    stripped = re.sub(r"^(meta|hf|models?)[-_ ]+", "", base, flags=re.IGNORECASE)
    out.append(stripped)
    return out


def resolve_model_name(name: str, ids: list[str]) -> str | None:
    """Match a recorded model name to a catalog id: 'llama-3.3-70bb', 'Llama 3.1 8B',
    'meta-llama/Llama-3.1-8B-Instruct', Ollama's 'llama3.1:8b-instruct-q4_K_M', a GGUF file name
    'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf'. The longest id the name starts with wins."""
    for variant in _name_variants(name):
        target = _norm(variant)
        best = [i for i in ids if target.startswith(_norm(i))]
        if best:
            return max(best, key=len)
    return None


#: Quantisation tags in model names and GGUF types, as the engine's weight precisions.
_QUANT_TAGS: list[tuple[str, str | None]] = [
    (r"i?q4(_\w*)?|awq|gptq|int4|w4a16|nf4|mxfp4|4bit", "int4"),
    (r"i?q8(_\w*)?|int8|w8a8|w8a16|8bit", "int8"),
    (r"fp8|f8|fp8_\w+", "fp8"),
    (r"bf16|bfloat16", "bf16"),
    (r"f16|fp16|float16", "fp16"),
    (r"f32|fp32|float32", "fp32"),
    (r"i?q[1-7](_\w*)?|tq\d_\d", None),  # 1.5 to 6.6 bits per weight: no engine precision
]


def quantization_from_name(name: str) -> tuple[str | None, str | None]:
    """(engine weight precision, the tag found) from a name: 'llama3.1:8b-instruct-q4_K_M' ->
    ('int4', 'q4_K_M'); a tag the engine has no precision for ('Q6_K') -> (None, 'Q6_K');
    no tag -> (None, None)."""
    for token in re.split(r"[^A-Za-z0-9_]+", name):
        low = token.lower()
        for pattern, dtype in _QUANT_TAGS:
            if re.fullmatch(pattern, low):
                return dtype, token
    return None, None


def resolve_gpu_name(name: str, ids: list[str]) -> str | None:
    """Match a driver's GPU name ('NVIDIA GeForce RTX 4090', 'NVIDIA H100 80GB HBM3',
    'Apple M2 Ultra', NIM's 'H100_80G') to a catalog id, or None."""
    tokens = set(re.split(r"[^a-z0-9]+", name.lower()))
    text = _norm(name)
    matches = []
    for gid in ids:
        # every part of the id is a word of the name ('sxm' matches 'SXM5'), or the id is in it
        words = all(
            any(t == p or (t.startswith(p) and p.isalpha()) for t in tokens) for p in gid.split("-")
        )
        if words or (text and _norm(gid) in text):
            matches.append(gid)
    if not matches and "h100" in tokens:
        # nvidia-smi calls the SXM part 'H100 80GB HBM3' (the PCIe card has HBM2e and says PCIe)
        # and NIM writes 'H100_80G'.
        pcie = "pcie" in tokens
        matches = [g for g in ids if g == ("h100-pcie" if pcie else "h100-sxm")]
    return max(matches, key=len) if matches else None
