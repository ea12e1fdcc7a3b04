"""Theory against measurement: the engine's prediction for every measured point, and its error.

For each measured quantity (see :data:`engine.measure.METRICS`) the prediction comes from
:func:`engine.batch.run` with that point's own batch and token counts:

``total_tokens_per_s`` (a static batch of whole requests)
    the batch's output tokens over its predicted makespan.
``decode_tokens_per_s``
    1 / the predicted time per output token, the decode starting after the point's context and
    prompt (an Ollama response; a llama-bench ``tg`` test after ``n_depth`` tokens).
``prefill_tokens_per_s``
    prompt tokens over the predicted prefill time; after ``d`` tokens of context (llama-bench
    ``n_depth``), the prefill of ``d + n`` tokens less that of ``d``.
``tokens_per_s`` (llama-bench prompt+generation tests)
    (prompt + generated tokens) over prefill + decode time.

Serving measurements (requests arriving continuously at a fixed concurrency or rate) need a model
of continuous batching, which the engine does not have yet: they are reported as not compared.

Hardware a file does not record comes from the caller's choice (command-line flags), else the
base scenario (the CLI's defaults, or the app's current scenario); what was used, and where it
came from, is returned with every comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from engine.arch import parameter_count
from engine.batch import run
from engine.catalog import Catalog
from engine.errors import InputError
from engine.measure import Measurement, Point, quantization_from_name, resolve_gpu_name
from engine.measure import resolve_model_name as _resolve_name
from engine.memory import check_fits
from engine.scenario import Scenario, make_scenario
from engine.specs import WEIGHT_DTYPES

Array = npt.NDArray[np.float64]

#: Ollama's default tags (``llama3.1:8b``) are 4-bit (Q4_K_M) GGUF files.
OLLAMA_DEFAULT_QUANT = ("int4", "Q4_K_M")


def not_compared_reason(meas: Measurement) -> str | None:
    """Why a file is not compared, or None when it is."""
    if meas.kind == "serving":
        fixed = (
            "fixed concurrency"
            if any(p.concurrency for p in meas.points) or meas.format == "nim-csv"
            else "a fixed request rate"
        )
        return f"serving measurement at {fixed} — not compared yet (needs the serving model)"
    if not any(p.measured() for p in meas.points):
        return "no quantity the engine predicts"
    return None


# ------------------------------------------------------------------------------ predictions


@dataclass(frozen=True)
class Target:
    """One measured quantity of one point."""

    point: Point
    metric: str
    measured: float


def targets(points: Sequence[Point]) -> tuple[Target, ...]:
    return tuple(Target(p, m, v) for p in points for m, v in p.measured().items())


def _tokens(x: Array) -> Array:
    out: Array = np.maximum(np.round(x), 1.0)
    return out


def _prefill_s(s: Scenario, b: Array, ctx: Array, n: Array) -> Array:
    """Time to prefill ``n`` prompt tokens of ``b`` sequences after ``ctx`` tokens of context."""
    full: Array = run(s, batch=b, input_tokens=_tokens(ctx + n), output_tokens=1).prefill_total_s
    has_ctx = ctx >= 1
    if not has_ctx.any():
        return full
    before: Array = run(s, batch=b, input_tokens=_tokens(ctx), output_tokens=1).prefill_total_s
    out: Array = np.maximum(full - np.where(has_ctx, before, 0.0), 1e-12)
    return out


def _decode_step_s(s: Scenario, b: Array, start: Array, n: Array) -> Array:
    """Mean time per token of ``n`` decode steps of ``b`` sequences after ``start`` tokens."""
    r = run(s, batch=b, input_tokens=_tokens(start), output_tokens=_tokens(n) + 1)
    tpot: Array = r.tpot_s
    return tpot


def predict_targets(s: Scenario, tgts: Sequence[Target]) -> Array:
    """The engine's value of every target under scenario ``s`` (its mode and efficiency)."""
    out = np.empty(len(tgts))
    groups: dict[str, list[int]] = {}
    for i, t in enumerate(tgts):
        groups.setdefault(t.metric, []).append(i)
    for metric, idx in groups.items():
        pts = [tgts[i].point for i in idx]
        b = np.array([p.batch for p in pts], dtype=np.float64)
        ctx = np.array([p.context_tokens for p in pts], dtype=np.float64)
        n_in = np.array([p.input_tokens for p in pts], dtype=np.float64)
        n_out = np.array([p.output_tokens for p in pts], dtype=np.float64)
        if metric == "total_tokens_per_s":
            r = run(s, batch=b, input_tokens=_tokens(ctx + n_in), output_tokens=_tokens(n_out))
            value = r.total_tokens_per_s
        elif metric == "decode_tokens_per_s":
            value = 1.0 / _decode_step_s(s, b, ctx + n_in, n_out)
        elif metric == "prefill_tokens_per_s":
            value = b * n_in / _prefill_s(s, b, ctx, n_in)
        elif metric == "tokens_per_s":
            wall = _prefill_s(s, b, ctx, n_in) + n_out * _decode_step_s(s, b, ctx + n_in, n_out)
            value = b * (n_in + n_out) / wall
        else:
            raise InputError(f"no prediction for {metric!r}")
        out[idx] = value
    return out


# ------------------------------------------------------------------- which scenario per file


@dataclass(frozen=True)
class Choice:
    """What the user chose explicitly (command-line flags); None: the file's, else the base's."""

    model: str | None = None
    gpu: str | None = None
    gpus: int | None = None
    tp: int | None = None
    weight_dtype: str | None = None
    kv_dtype: str | None = None


def _model_ids(catalog: Catalog) -> list[str]:
    ids = list(catalog.models)
    for m in catalog.models.values():
        ids.extend(m.aliases)
    return ids


def resolve_model(meas: Measurement, catalog: Catalog, explicit: str | None = None) -> str:
    """The catalog id of the file's model: ``explicit`` if given, else from the names the file
    records (a llama-bench file also by its parameter count). Unknown or ambiguous: an error
    that asks for ``--model``."""
    if explicit:
        return catalog.model(explicit).id
    names = [meas.model_name, str(meas.notes.get("model_type", ""))]
    for name in names:
        if name and (found := _resolve_name(name, _model_ids(catalog))):
            return catalog.model(found).id
    n_params = meas.notes.get("model_n_params")
    if isinstance(n_params, int) and n_params > 0:
        near = sorted(
            m.id
            for m in catalog.models.values()
            if abs(parameter_count(m) - n_params) <= 0.01 * n_params
        )
        if len(near) == 1:
            return near[0]
        if near:
            raise InputError(
                f"{meas.path}: {meas.model_name or 'the model'} ({n_params / 1e9:.2f} B "
                f"parameters) could be {' or '.join(near)}; give --model ID"
            )
    recorded = next((n for n in names if n), "")
    if not recorded:
        raise InputError(f"{meas.path}: the file does not record its model; give --model ID")
    raise InputError(
        f"{meas.path}: cannot tell which catalog model {recorded!r} is "
        f"(catalog: {', '.join(sorted(catalog.models))}); give --model ID"
    )


def _weight_dtype(meas: Measurement, choice: Choice) -> tuple[str | None, str, str | None]:
    """(precision or None for the model's own, where it came from, a remark)."""
    if choice.weight_dtype:
        return choice.weight_dtype, "flag", None
    if meas.weight_dtype:
        return meas.weight_dtype, "file", None
    for name in (str(meas.notes.get("model_type", "")), meas.model_name):
        dtype, tag = quantization_from_name(name)
        if tag and dtype is None:
            raise InputError(
                f"{meas.path}: weight quantisation {tag} has no engine precision "
                f"(accepted: {', '.join(WEIGHT_DTYPES)}); give --weight-dtype"
            )
        if dtype:
            return dtype, "file", f"weights {dtype} (from {tag!r} in the model name)"
    if meas.format == "ollama":
        dtype, tag = OLLAMA_DEFAULT_QUANT
        return dtype, "file", f"weights {dtype}: Ollama's default tags are {tag}"
    return None, "default", None


@dataclass(frozen=True)
class Resolved:
    """The scenario a file's points are predicted under, and where each part came from
    ('flag', 'file' or the base's label, e.g. 'default')."""

    scenario: Scenario
    sources: dict[str, str]
    remarks: tuple[str, ...] = ()


def resolve_scenario(
    meas: Measurement,
    catalog: Catalog,
    base: Scenario,
    choice: Choice = Choice(),
    base_label: str = "default",
) -> Resolved:
    """The scenario for ``meas``: ``choice`` first, then what the file records, then ``base``
    (its GPU, GPU count and TP, mode, efficiency, serving settings and KV precision)."""
    remarks: list[str] = []
    model_id = resolve_model(meas, catalog, choice.model)
    model = catalog.model(model_id)
    sources = {"model": "flag" if choice.model else "file"}

    if choice.gpu:
        gpu, sources["gpu"] = catalog.gpu(choice.gpu), "flag"
    elif meas.gpu_name:
        gid = resolve_gpu_name(meas.gpu_name, list(catalog.gpus))
        if gid is None:
            raise InputError(
                f"{meas.path}: the file's GPU {meas.gpu_name!r} is not in the catalog; give "
                f"--gpu ID (accepted: {', '.join(sorted(catalog.gpus))})"
            )
        gpu, sources["gpu"] = catalog.gpu(gid), "file"
    else:
        gpu, sources["gpu"] = base.gpu, base_label

    if choice.gpus is not None:
        gpus, sources["gpus"] = choice.gpus, "flag"
        tp = gpus if choice.tp is None else choice.tp
    elif meas.gpus:
        gpus, sources["gpus"] = meas.gpus, "file"
        tp = choice.tp if choice.tp is not None else (meas.tp or gpus)
    else:
        gpus, sources["gpus"] = base.gpus, base_label
        tp = base.tp if choice.tp is None else choice.tp
    sources["tp"] = "flag" if choice.tp is not None else sources["gpus"]

    weight_dtype, sources["weight_dtype"], remark = _weight_dtype(meas, choice)
    if remark:
        remarks.append(remark)
    if choice.kv_dtype:
        kv_dtype, sources["kv_dtype"] = choice.kv_dtype, "flag"
    elif meas.kv_dtype:
        kv_dtype, sources["kv_dtype"] = meas.kv_dtype, "file"
    else:
        kv_dtype, sources["kv_dtype"] = base.kv_dtype, base_label

    serving = base.serving
    if meas.step_tokens:
        serving = replace(serving, max_batched_tokens=meas.step_tokens)

    longest = max(meas.points, key=lambda p: p.context_tokens + p.input_tokens + p.output_tokens)
    total = longest.context_tokens + longest.input_tokens + longest.output_tokens
    if total > model.max_context:
        raise InputError(
            f"{meas.path}: a point of {total:,.0f} tokens exceeds the "
            f"{model.max_context:,}-token context of {model.id}"
        )
    shortest = min(meas.points, key=lambda p: p.context_tokens + p.input_tokens + p.output_tokens)
    try:
        s = make_scenario(
            model,
            gpu,
            gpus=gpus,
            tp=tp,
            input_tokens=max(1, round(shortest.context_tokens + shortest.input_tokens)),
            output_tokens=max(1, round(shortest.output_tokens)),
            mode=base.mode,
            efficiency=base.efficiency,
            flop_count=base.flop_count,
            weight_dtype=weight_dtype,
            kv_dtype=kv_dtype,
            price_per_gpu_hour=base.price_per_gpu_hour if gpu.id == base.gpu.id else None,
            gamma=base.gamma,
            serving=serving,
        )
        check_fits(s)
    except InputError as exc:
        raise InputError(f"{meas.path}: {exc}") from None
    return Resolved(s, sources, tuple(remarks))


# ---------------------------------------------------------------------------- comparisons


@dataclass(frozen=True)
class Row:
    """One measured quantity against its prediction."""

    point: Point
    metric: str
    measured: float
    predicted: float

    @property
    def error_pct(self) -> float:
        """Signed: positive when the engine predicts more than was measured."""
        return (self.predicted - self.measured) / self.measured * 100

    @property
    def ape(self) -> float:
        return abs(self.error_pct)


@dataclass(frozen=True)
class FileComparison:
    """One file: its rows, or why it is not compared (``skipped``)."""

    measurement: Measurement
    rows: tuple[Row, ...] = ()
    resolved: Resolved | None = None
    skipped: str | None = None
    remarks: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return self.measurement.path

    @property
    def mape(self) -> float | None:
        """Mean absolute percentage error over the file's rows (None when not compared)."""
        return float(np.mean([r.ape for r in self.rows])) if self.rows else None


def compare_file(meas: Measurement, resolved: Resolved) -> FileComparison:
    tgts = targets(meas.points)
    predicted = predict_targets(resolved.scenario, tgts)
    rows = tuple(
        Row(t.point, t.metric, t.measured, float(v)) for t, v in zip(tgts, predicted, strict=True)
    )
    return FileComparison(
        measurement=meas,
        rows=rows,
        resolved=resolved,
        remarks=tuple(dict.fromkeys((*meas.remarks, *resolved.remarks))),
    )


def skip_file(meas: Measurement, reason: str) -> FileComparison:
    return FileComparison(measurement=meas, skipped=reason, remarks=meas.remarks)


def compare_measurement(
    meas: Measurement,
    catalog: Catalog,
    base: Scenario,
    choice: Choice = Choice(),
    base_label: str = "default",
) -> FileComparison:
    """One file against the engine: skipped with the reason when it cannot be compared (serving),
    else under :func:`resolve_scenario` (``base``: e.g. the app's current scenario)."""
    reason = not_compared_reason(meas)
    if reason:
        return skip_file(meas, reason)
    return compare_file(meas, resolve_scenario(meas, catalog, base, choice, base_label))


@dataclass(frozen=True)
class Summary:
    files: tuple[FileComparison, ...]

    @property
    def compared(self) -> tuple[FileComparison, ...]:
        return tuple(f for f in self.files if f.rows)

    @property
    def points(self) -> int:
        return sum(len(f.rows) for f in self.compared)

    @property
    def mape(self) -> float | None:
        """Over every compared row of every file, pooled (a file of many points weighs more)."""
        rows = [r.ape for f in self.compared for r in f.rows]
        return float(np.mean(rows)) if rows else None

    @property
    def median_ape(self) -> float | None:
        """The median absolute percentage error of a point: robust to a few stalled runs."""
        rows = [r.ape for f in self.compared for r in f.rows]
        return float(np.median(rows)) if rows else None

    @property
    def median_file_mape(self) -> float | None:
        per_file = [f.mape for f in self.compared if f.mape is not None]
        return float(np.median(per_file)) if per_file else None

    def worst(self, n: int = 5) -> list[tuple[FileComparison, Row]]:
        pairs = [(f, r) for f in self.compared for r in f.rows]
        return sorted(pairs, key=lambda fr: fr[1].ape, reverse=True)[: max(n, 0)]
