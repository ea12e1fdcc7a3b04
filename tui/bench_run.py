"""What the Bench screen runs and says, apart from its widgets: the form's fields and parsers,
the run (each level's summary seen as it finishes), the prediction of
the levels (before they run, and as measured), the rows of the table and the texts of the
progress, the scenario, the analysis and a fit.

"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from engine.bench.results import run_json
from engine.bench.runner import BenchRun, Progress
from engine.bench.settings import server_url, whole_numbers
from engine.errors import InputError
from engine.measure.calibration import DEFAULT_FACTORS, FitCase, FitResult
from engine.measure.points import Measurement, Point
from engine.physics.deployment import Efficiency
from engine.scenario.factors import FACTOR_BY_FIELD, FACTOR_BY_SHORT
from engine.scenario.scenario import Scenario
from engine.storage.profiles import check_profile_name, profiles_dir
from engine.views.bench_report import (
    HEADER,
    PREDICTION_HEADER,
    LevelPrediction,
    level_rows,
    measurement,
    predict_levels,
    prediction_rows,
    scaling_analysis,
)
from engine.views.calibrate_report import display_path, pooled_mape

if TYPE_CHECKING:
    pass

DEFAULT_URL = "http://127.0.0.1:8000"
OLLAMA_URL = "http://127.0.0.1:11434"
APIS = (("completions", "completions"), ("chat", "chat"), ("ollama", "ollama"))
#: The factors a calibration fits: ``tokentui calibrate``'s default.
FREE = tuple(FACTOR_BY_SHORT[f].field for f in DEFAULT_FACTORS)


def parse_url(text: str) -> str:
    return server_url(text)


def parse_levels(text: str) -> tuple[int, ...]:
    """Concurrency levels, comma-separated whole numbers from 1 to 4096 (repeats dropped)."""
    return whole_numbers(text, "concurrency", 1, 4096, "concurrency")


def parse_model(text: str) -> str | None:
    return text.strip() or None


def whole(what: str, high: int, blank: bool = False) -> Callable[[str], int | None]:
    """A parser of a whole number from 1 to ``high`` (``blank``: empty text is None)."""

    def parse(text: str) -> int | None:
        text = text.strip().replace(",", "").replace("_", "")
        if not text and blank:
            return None
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not value.is_integer() or not 1 <= value <= high:
            raise InputError(f"{what}: give 1 to {high:,}")
        return int(value)

    return parse


#: The form: (name, label, initial text, parser, placeholder, tooltip).
FORM: tuple[tuple[str, str, str, Callable[[str], Any], str, str], ...] = (
    ("url", "URL", DEFAULT_URL, parse_url, "", "the server's base URL"),
    ("model", "model", "", parse_model, "the server's only one", "the model the requests name"),
    ("concurrency", "concurrency", "1,8,32,128", parse_levels, "", "users in a closed loop"),
    ("output", "out", "256", whole("output tokens", 1_000_000), "", "output tokens a request"),
    ("input", "in", "256", whole("input tokens", 10_000_000), "", "prompt tokens a request"),
    (
        "requests",
        "reqs",
        "",
        whole("requests per level", 100_000, blank=True),
        "auto",
        "measured requests a level (auto: 4 x the users, at least 10)",
    ),
)
#: The field of the form that a BenchSettings error names.
SETTINGS_FIELDS = {
    "concurrency": "concurrency",
    "output": "output",
    "input_tokens": "input",
    "requests": "requests",
    "url": "url",
    "model": "model",
}


def scenario_text(s: Scenario) -> str:
    """'llama-3.1-8b on 1 x h100-sxm, engine vllm-v0' (the layout and precisions when they
    are not the plain ones)."""
    tp = f", TP {s.tp}" if s.tp > 1 else ""
    dtypes = (
        ""
        if (s.weight_dtype, s.kv_dtype) == ("bf16", "bf16")
        else (f", {s.weight_dtype} weights, {s.kv_dtype} KV")
    )
    return f"{s.model.id} on {s.gpus} x {s.gpu.id}{tp}, engine {s.engine_name}{dtypes}, {s.mode}"


def planned(levels: tuple[int, ...], input_tokens: int, output_tokens: int) -> Measurement:
    """The levels of a run before it runs, as a measurement to predict (the asked lengths)."""
    points = tuple(
        Point(batch=c, input_tokens=input_tokens, output_tokens=output_tokens, concurrency=c)
        for c in levels
    )
    return Measurement("planned", "tokentui-bench", "", points, kind="serving")


def summaries_json(run: BenchRun) -> dict[str, Any]:
    """The results file of ``run`` without its requests: what the measurement is read from,
    cheap enough to make while the next level runs in the same event loop."""
    return run_json(run, requests=False)


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return ""
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def progress_text(p: Progress) -> str:
    """'2/4 C=8, 256 out · 12/40 req · 0 err · 2,345 tok/s · 0:12 left'"""
    total = f"/{p.total}" if p.total else ""
    eta = _duration(p.eta_s)
    return (
        f"{p.level + 1}/{p.levels} {p.label} · {p.done}{total} req · {p.errors} err · "
        f"{p.tokens_per_s:,.0f} tok/s" + (f" · {eta} left" if eta else "")
    )


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")[:40] or "server"


def check_save_path(text: str) -> str:
    if not text.strip():
        raise InputError("give the path of the results file (e.g. bench.json)")
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        raise InputError(f"{path} is a folder: give a file name in it")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    return text


def check_new_profile(name: str) -> str:
    check_profile_name(name)
    path = profiles_dir() / f"{name}.toml"
    if path.exists():
        raise InputError(f"profile {name!r} exists ({display_path(path)}): choose another name")
    return name


def fit_text(result: FitResult, case: FitCase, start: Efficiency) -> str:
    """The fit in two lines: the error before and after, what was fitted and what was not."""
    before, after = pooled_mape([case], start), pooled_mape([case], result.efficiency)
    fitted = [FACTOR_BY_FIELD[n].short for n in result.free if n not in result.undetermined]
    held = [FACTOR_BY_FIELD[n].short for n in result.undetermined]
    lines = [
        f"MAPE {before:.1f}% before, {after:.1f}% after, over {result.points} measured numbers.",
        f"fitted: {', '.join(fitted) or 'none'}"
        + (f"; not pinned down (kept): {', '.join(held)}" if held else ""),
    ]
    return "\n".join(lines)


def table_rows(
    summaries: list[dict[str, Any]], predictions: list[LevelPrediction] | None
) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The table of the levels: measured against predicted with the signed errors (a level cut
    short marked *), or the measured numbers alone when there is no prediction."""
    if predictions is None:
        return HEADER, level_rows(summaries)
    rows = prediction_rows(summaries, predictions)
    kept = [s for s in summaries if s.get("requests") and s.get("output_tokens_per_s")]
    return PREDICTION_HEADER, [
        (r[0] + (" *" if s.get("partial") else ""), *r[1:])
        for r, s in zip(rows, kept, strict=False)
    ]


def analysis_lines(
    summaries: list[dict[str, Any]],
    predictions: list[LevelPrediction] | None,
    stopped: str | None,
) -> list[str]:
    """The scaling analysis, then the levels' errors, the mark of a level cut short and why
    the run stopped early."""
    lines = [x.strip() for x in scaling_analysis(summaries, predictions)]
    for s in summaries:
        if s.get("errors"):
            why = "; ".join(f"{k} ({v})" for k, v in (s.get("error_reasons") or {}).items())
            lines.append(f"C={s.get('concurrency')}: {s['errors']} errors: {why}")
    if any(s.get("partial") for s in summaries):
        lines.append("* a level cut short: its numbers are from the requests that finished")
    if stopped:
        lines.append(f"stopped early: {stopped}")
    return lines


@dataclass(frozen=True)
class Prediction:
    """The scenario's numbers for a run: every planned level at the asked lengths, each measured
    level at its own; or why there are none."""

    planned: dict[int, LevelPrediction]
    measured: list[LevelPrediction] | None = None
    problem: str = ""
    server_engine: str | None = None  # the engine profile the server says it is

    def by_level(self) -> dict[int, LevelPrediction]:
        """A prediction per concurrency: the measured level's where there is one."""
        out = dict(self.planned)
        out.update({p.concurrency: p for p in self.measured or () if p.concurrency is not None})
        return out


def predict(
    scenario: Scenario | None, run: BenchRun | None, plan: tuple[tuple[int, ...], int, int]
) -> Prediction:
    """The prediction of ``run`` (its levels and lengths), or before a run of ``plan`` (the
    form's levels, input and output tokens)."""
    if scenario is None:
        return Prediction({}, problem="no scenario to predict")
    if run is not None:
        st = run.settings
        plan = (st.concurrency, st.input_tokens, st.output_tokens[0])
    try:
        levels = predict_levels(planned(*plan), scenario)
    except InputError as exc:
        return Prediction({}, problem=str(exc))
    ahead = {p.concurrency or 0: p for p in levels}
    if run is None or not any(s.get("requests") for s in run.summaries):
        return Prediction(ahead)
    try:
        meas = measurement(summaries_json(run))
    except InputError:  # no level with a measured throughput: nothing to compare
        return Prediction(ahead)
    try:
        return Prediction(ahead, predict_levels(meas, scenario), server_engine=meas.engine)
    except InputError as exc:
        return Prediction({}, problem=str(exc), server_engine=meas.engine)


def prediction_line(s: Scenario | None, p: Prediction) -> Text:
    """'predicted (dotted): llama-3.1-8b on 1 x h100-sxm, engine vllm-v0, realistic', with
    the levels that do not fit and a server of another engine; or why there is no prediction."""
    line = Text()
    if p.problem or s is None:
        line.append("prediction: ", style="bold")
        line.append(p.problem)
        return line
    line.append("predicted", style="bold")
    line.append(" (dotted): ")
    line.append(scenario_text(s))
    other = p.server_engine
    if other and not s.engine_name.startswith(other):  # vllm-v0 is a vllm
        line.append(f" · the server is {other}: choose engine {other} to predict it")
    unfit = [f"C={c}" for c, x in sorted(p.by_level().items()) if not x.fits]
    if unfit:
        line.append(
            f" · none at {', '.join(unfit)}: a request does not fit these lengths", style="bold"
        )
    return line
