"""Where measurement meets physics: for each kind of measurement and each quantity it measured, the
engine's prediction of that quantity (:data:`PREDICTORS`).

A prediction uses each point's own batch and token counts, under the scenario resolved for its file:

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

``serving``: a server under load (:mod:`engine.physics.serving`)
    a point at a fixed concurrency is a closed loop of that many users; at a request rate, Poisson
    arrivals for a run of its requests (``inf``: all at once); ``offline``, all queued at t = 0.
    Its TTFT, ITL, TPOT, output tokens/s and requests/s are the load's steady state (or, above
    capacity, the run's estimate); a single stream is one user's 1 / TPOT.

A quantity with no entry is not compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from engine.errors import InputError
from engine.measure.points import Point
from engine.physics import serving
from engine.physics.deployment import Deployment
from engine.physics.load import DEFAULT_REQUESTS
from engine.physics.static_batch import run

Array = npt.NDArray[np.float64]
#: Predicted values of one quantity for a list of points, under one deployment.
Predictor = Callable[[Deployment, Sequence[Point]], Array]


@dataclass(frozen=True)
class Target:
    """One measured quantity of one point of a file of kind ``kind``."""

    point: Point
    metric: str
    measured: float
    kind: str


def _tokens(x: Array) -> Array:
    out: Array = np.maximum(np.round(x), 1.0)
    return out


def _arrays(points: Sequence[Point]) -> tuple[Array, Array, Array, Array]:
    """Batch, context before, input and output tokens of each point."""
    b = np.array([p.batch for p in points], dtype=np.float64)
    ctx = np.array([p.context_tokens for p in points], dtype=np.float64)
    n_in = np.array([p.input_tokens for p in points], dtype=np.float64)
    n_out = np.array([p.output_tokens for p in points], dtype=np.float64)
    return b, ctx, n_in, n_out


def _prefill_s(d: Deployment, b: Array, ctx: Array, n: Array) -> Array:
    """Time to prefill ``n`` prompt tokens of ``b`` sequences after ``ctx`` tokens of context."""
    full: Array = run(d, b, _tokens(ctx + n), 1).prefill_total_s
    has_ctx = ctx >= 1
    if not has_ctx.any():
        return full
    before: Array = run(d, b, _tokens(ctx), 1).prefill_total_s
    out: Array = np.maximum(full - np.where(has_ctx, before, 0.0), 1e-12)
    return out


def _decode_step_s(d: Deployment, b: Array, start: Array, n: Array) -> Array:
    """Mean time per token of ``n`` decode steps of ``b`` sequences after ``start`` tokens."""
    tpot: Array = run(d, b, _tokens(start), _tokens(n) + 1).tpot_s
    return tpot


def total_tokens_per_s(d: Deployment, points: Sequence[Point]) -> Array:
    b, ctx, n_in, n_out = _arrays(points)
    value: Array = run(d, b, _tokens(ctx + n_in), _tokens(n_out)).total_tokens_per_s
    return value


def decode_tokens_per_s(d: Deployment, points: Sequence[Point]) -> Array:
    b, ctx, n_in, n_out = _arrays(points)
    value: Array = 1.0 / _decode_step_s(d, b, ctx + n_in, n_out)
    return value


def prefill_tokens_per_s(d: Deployment, points: Sequence[Point]) -> Array:
    b, ctx, n_in, _ = _arrays(points)
    value: Array = b * n_in / _prefill_s(d, b, ctx, n_in)
    return value


def prompt_and_generation_tokens_per_s(d: Deployment, points: Sequence[Point]) -> Array:
    b, ctx, n_in, n_out = _arrays(points)
    wall = _prefill_s(d, b, ctx, n_in) + n_out * _decode_step_s(d, b, ctx + n_in, n_out)
    value: Array = b * (n_in + n_out) / wall
    return value


#: The serving runs of one :func:`predict_targets` call, by deployment and point (a point's
#: metrics share one run); the objects are kept beside their ids so that no id is reused.
_RUNS: dict[tuple[int, int], tuple[Deployment, Point, serving.ServingRun]] = {}


def serving_run(d: Deployment, p: Point) -> serving.ServingRun:
    """The serving model at point ``p``: its load, with its own (mean) lengths."""
    hit = _RUNS.get((id(d), id(p)))
    if hit is not None:
        return hit[2]
    run = _serving_run(d, p)
    _RUNS[(id(d), id(p))] = (d, p, run)
    return run


def _serving_run(d: Deployment, p: Point) -> serving.ServingRun:
    S, n = float(round(p.input_tokens)), float(max(round(p.output_tokens), 1))
    if p.offline:
        return serving.offline(d, S, n, [p.num_requests or DEFAULT_REQUESTS])
    if p.concurrency:
        return serving.closed_loop(d, S, n, [float(p.concurrency)])
    rate = math.inf if p.request_rate is None else p.request_rate
    return serving.poisson(d, S, n, [rate], p.num_requests or DEFAULT_REQUESTS)


def _serving(attr: str, scale: Callable[[Point], float] = lambda p: 1.0) -> Predictor:
    def predict(d: Deployment, points: Sequence[Point]) -> Array:
        return np.array([float(getattr(serving_run(d, p), attr)[0]) * scale(p) for p in points])

    return predict


#: (kind of measurement, quantity) -> its prediction. The kinds are
#: :data:`engine.measure.points.KINDS`; the quantities :data:`engine.measure.points.METRICS`.
PREDICTORS: dict[tuple[str, str], Predictor] = {
    ("static-batch", "total_tokens_per_s"): total_tokens_per_s,
    ("static-batch", "prefill_tokens_per_s"): prefill_tokens_per_s,
    ("static-batch", "decode_tokens_per_s"): decode_tokens_per_s,
    ("static-batch", "tokens_per_s"): prompt_and_generation_tokens_per_s,
    ("single-request", "prefill_tokens_per_s"): prefill_tokens_per_s,
    ("single-request", "decode_tokens_per_s"): decode_tokens_per_s,
    ("serving", "ttft_s"): _serving("ttft_s"),
    ("serving", "itl_s"): _serving("itl_s"),
    ("serving", "tpot_s"): _serving("tpot_s"),
    ("serving", "output_tokens_per_s"): _serving("output_tokens_per_s"),
    ("serving", "requests_per_s"): _serving("requests_per_s"),
    ("serving", "total_token_throughput"): _serving(
        "requests_per_s", lambda p: p.input_tokens + p.output_tokens
    ),
    ("serving", "single_stream_tokens_per_s"): _serving("per_user_tokens_per_s"),
}

#: Why a kind with no predictor yet is not compared.
PENDING: dict[str, str] = {}


def targets(points: Sequence[Point], kind: str) -> tuple[Target, ...]:
    """Every measured quantity of ``points`` the engine predicts for this kind, point by point."""
    return tuple(
        Target(p, m, v, kind)
        for p in points
        for m, v in p.measured().items()
        if (kind, m) in PREDICTORS
    )


def predict_targets(d: Deployment, tgts: Sequence[Target]) -> Array:
    """The engine's value of every target under deployment ``d`` (its mode and efficiency)."""
    out = np.empty(len(tgts))
    _RUNS.clear()
    groups: dict[tuple[str, str], list[int]] = {}
    for i, t in enumerate(tgts):
        groups.setdefault((t.kind, t.metric), []).append(i)
    for key, idx in groups.items():
        predictor = PREDICTORS.get(key)
        if predictor is None:
            raise InputError(f"no prediction of {key[1]!r} for a {key[0]} measurement")
        out[idx] = predictor(d, [tgts[i].point for i in idx])
    _RUNS.clear()
    return out
