"""Fitting the realistic model's factors to measurements (least squares).

The factors, their scales and the order in which undetermined ones are held are the factor table's
(:mod:`engine.scenario.factors`); the profile files are :mod:`engine.storage.profiles`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from engine.errors import InputError
from engine.measure.points import Point
from engine.measure.predict import Target, predict_targets, targets
from engine.physics.deployment import Efficiency
from engine.scenario.factors import FACTOR_BY_SHORT, FACTORS, HOLD_ORDER
from engine.scenario.scenario import Scenario

#: The factors that can be fitted (Efficiency's fields, in order).
PARAMS: tuple[str, ...] = tuple(k.field for k in FACTORS)
_FRACTIONS = {k.field for k in FACTORS if k.fit_scale == 0.0}
_SCALE = {k.field: k.fit_scale for k in FACTORS if k.fit_scale}
#: The most a fitted factor may reach (the table's top), in SI units.
_TOP = {k.field: k.high / k.scale for k in FACTORS}
_FLOOR = 0.01  # efficiencies are fitted in (1%, 100%]


#: The factors ``calibrate`` fits unless told otherwise: one per physical effect the usual data
#: pins down (the CLI's and the app's default).
DEFAULT_FACTORS = ("compute", "memory", "step_overhead", "collective_latency")


@dataclass(frozen=True)
class FitCase:
    """One measured file: the hardware and model it ran on, and its points."""

    label: str
    scenario: Scenario
    points: tuple[Point, ...]
    kind: str = "static-batch"  # the file's kind of measurement

    @property
    def targets(self) -> tuple[Target, ...]:
        """Every measured quantity of every point the engine predicts (an Ollama response has
        two: prefill and decode speed; a seed point one: total tokens/s)."""
        return targets(self.points, self.kind)

    def measured(self) -> np.ndarray:
        return np.array([t.measured for t in self.targets], dtype=np.float64)


def predict_tokens_per_s(case: FitCase, eff: Efficiency) -> np.ndarray:
    """Predicted tokens/s of every measured quantity of ``case`` under ``eff`` (realistic mode),
    in the order of :attr:`FitCase.targets`."""
    s = replace(case.scenario, efficiency=eff, mode="realistic", flop_count="flash")
    return predict_targets(s, case.targets)


def ape(case: FitCase, eff: Efficiency) -> np.ndarray:
    """Absolute percentage error of every measured quantity (tokens/s)."""
    measured = case.measured()
    err: np.ndarray = np.abs(predict_tokens_per_s(case, eff) - measured) / measured * 100
    return err


def mape(case: FitCase, eff: Efficiency) -> float:
    return float(np.mean(ape(case, eff)))


@dataclass(frozen=True)
class FitResult:
    efficiency: Efficiency
    free: tuple[str, ...]  # factors fitted
    undetermined: tuple[str, ...]  # factors the data cannot pin down (kept at the start value)
    rel_stderr: dict[str, float]  # relative standard error of each fitted factor
    mape_before: dict[str, float]  # per case label
    mape_after: dict[str, float]
    points: int
    iterations: int
    evaluations: int = 0  # of the model, over every round so far (:class:`FitProgress`)


@dataclass(frozen=True)
class FitProgress:
    """Where a fit has got to, for a progress line: the round (:func:`fit_determined` fits again
    after holding a factor), the factors of this round, its Levenberg-Marquardt iteration (of at
    most ``max_iterations``), and the evaluations of the model so far over every round (each one
    predicts every measured point)."""

    round: int
    factors: int
    iteration: int
    max_iterations: int
    evaluations: int


#: What :func:`fit` and :func:`fit_determined` call after each evaluation of the model.
OnProgress = Callable[[FitProgress], None]


def _to_vector(eff: Efficiency, names: tuple[str, ...]) -> np.ndarray:
    out = []
    for name in names:
        x = float(getattr(eff, name))
        if name in _FRACTIONS:
            p = min(max((x - _FLOOR) / (1 - _FLOOR), 1e-6), 1 - 1e-6)
            out.append(np.log(p / (1 - p)))
        else:
            out.append(np.log(max(x, 1e-9) / _SCALE[name]))
    return np.array(out)


def _from_vector(u: np.ndarray, names: tuple[str, ...], base: Efficiency) -> Efficiency:
    values: dict[str, float] = {}
    for name, v in zip(names, u, strict=True):
        if name in _FRACTIONS:
            values[name] = _FLOOR + (1 - _FLOOR) / (1 + np.exp(-v))
        else:
            values[name] = min(_SCALE[name] * float(np.exp(min(v, 30.0))), 0.999 * _TOP[name])
    return replace(base, **values)


def _dx_du(eff: Efficiency, name: str) -> float:
    x = float(getattr(eff, name))
    if name in _FRACTIONS:
        p = (x - _FLOOR) / (1 - _FLOOR)
        return (1 - _FLOOR) * p * (1 - p)
    return x


def fit(
    cases: list[FitCase],
    start: Efficiency,
    free: tuple[str, ...] = PARAMS,
    robust_scale: float = 0.1,
    max_iter: int = 60,
    weights: list[float] | None = None,
    progress: OnProgress | None = None,
    round_: int = 1,
    evaluations: int = 0,
) -> FitResult:
    """Least-squares fit of ``free`` factors to the measured throughput of ``cases``.

    Residuals are log(predicted / measured) tokens/s, each file weighted equally (a file of 10
    points counts as much as a file of 7), with a soft-L1 loss so that single outliers (a
    60-second stall in a one-off run) do not pull the factors; ``weights`` (one per case) weigh
    the files otherwise (e.g. each table as much as another). Factors the data cannot pin down
    (no sensitivity, or a standard error above their value) are reported and held at ``start``.
    ``progress`` is told after each evaluation of the model (``round_`` and ``evaluations``: where
    :func:`fit_determined`'s earlier rounds left off).
    """
    if weights is not None and len(weights) != len(cases):
        raise ValueError(f"{len(weights)} weights for {len(cases)} cases")
    given = [1.0] * len(cases) if weights is None else weights
    kept = [(c, w) for c, w in zip(cases, given, strict=True) if c.targets]
    cases = [c for c, _ in kept]
    n_points = sum(len(c.targets) for c in cases)
    if n_points < max(8, 3 * len(free)):
        raise InputError(
            f"too little data to fit {len(free)} factors: {n_points} points "
            f"(need at least {max(8, 3 * len(free))})"
        )
    measured = [c.measured() for c in cases]
    weights_of = np.concatenate(
        [np.full(len(m), w / len(m)) for m, (_, w) in zip(measured, kept, strict=True)]
    )

    where = {"factors": len(free), "iteration": 0, "evaluations": evaluations}

    def residuals(eff: Efficiency) -> np.ndarray:
        pred = [predict_tokens_per_s(c, eff) for c in cases]
        where["evaluations"] += 1
        if progress is not None:
            progress(FitProgress(round_, max_iterations=max_iter, **where))
        return np.concatenate([np.log(p / m) for p, m in zip(pred, measured, strict=True)])

    def solve(names: tuple[str, ...], base: Efficiency) -> tuple[Efficiency, np.ndarray, int]:
        """Levenberg-Marquardt with IRLS weights, in unbounded coordinates."""
        u = _to_vector(base, names)
        lam, it = 1e-2, 0
        where["factors"], where["iteration"] = len(names), 0
        r = residuals(_from_vector(u, names, base))
        for it in range(1, max_iter + 1):
            where["iteration"] = it
            robust = 1.0 / np.sqrt(1.0 + (r / robust_scale) ** 2)
            w = np.sqrt(weights_of * robust)
            jac = np.empty((len(r), len(names)))
            for k in range(len(names)):
                du = np.zeros_like(u)
                du[k] = 1e-4
                jac[:, k] = (residuals(_from_vector(u + du, names, base)) - r) / 1e-4
            jw, rw = jac * w[:, None], r * w
            cost = float(rw @ rw)
            jtj, jtr = jw.T @ jw, jw.T @ rw
            improved = False
            for _ in range(12):
                step = np.linalg.solve(jtj + lam * np.diag(np.diag(jtj) + 1e-12), -jtr)
                r_new = residuals(_from_vector(u + step, names, base))
                if float((r_new * w) @ (r_new * w)) < cost:
                    u, r, lam, improved = u + step, r_new, max(lam / 3, 1e-7), True
                    break
                lam *= 10
            if not improved or np.max(np.abs(step)) < 1e-6:
                break
        return _from_vector(u, names, base), r, it

    eff, _, iterations = solve(free, start)
    # Which factors does the data determine? Sensitivity and standard error at the optimum,
    # in the factors' own units (so a factor resting at its bound still counts as determined),
    # each relative to its value (or its scale, when it is near 0): the factors span 12 orders of
    # magnitude in SI units (a nanosecond per token, a fraction of peak), which would leave the
    # normal matrix too ill-conditioned to invert.
    r = residuals(eff)
    robust = 1.0 / np.sqrt(1.0 + (r / robust_scale) ** 2)
    w = weights_of * robust
    jac = np.empty((len(r), len(free)))
    for k, name in enumerate(free):
        x = float(getattr(eff, name))
        unit = max(x, _SCALE.get(name, 0.01))
        h = 1e-3 * (x if x > 0 else _SCALE.get(name, 0.01))
        if name in _FRACTIONS and x + h > 1:
            h = -h
        jac[:, k] = (residuals(replace(eff, **{name: x + h})) - r) / h * unit
    dof = max(len(r) - len(free), 1)
    sigma2 = float((r * r) @ w) / float(np.sum(w)) * len(r) / dof
    jtj = (jac * w[:, None]).T @ jac / float(np.sum(w)) * len(r)
    norms = np.sqrt(np.diag(jtj))
    cov = np.linalg.pinv(jtj) * sigma2
    undetermined: list[str] = []
    rel: dict[str, float] = {}
    for k, name in enumerate(free):
        rel[name] = float(np.sqrt(max(cov[k, k], 0.0)))
        if norms[k] <= 1e-9 * max(float(norms.max()), 1e-300) or rel[name] > 1.0:
            undetermined.append(name)
    if undetermined:
        keep = tuple(n for n in free if n not in undetermined)
        held = replace(eff, **{n: getattr(start, n) for n in undetermined})
        eff, _, more = solve(keep, held) if keep else (held, r, 0)
        iterations += more
    return FitResult(
        efficiency=eff,
        free=free,
        undetermined=tuple(undetermined),
        rel_stderr=rel,
        mape_before={c.label: mape(c, start) for c in cases},
        mape_after={c.label: mape(c, eff) for c in cases},
        points=n_points,
        iterations=iterations,
        evaluations=where["evaluations"],
    )


#: Which undetermined factor :func:`fit_determined` holds first (fields; see the factor table).
HOLD_ORDER_FIELDS: tuple[str, ...] = tuple(FACTOR_BY_SHORT[n].field for n in HOLD_ORDER)


def fit_determined(
    cases: list[FitCase],
    start: Efficiency,
    free: tuple[str, ...] = PARAMS,
    hold_order: tuple[str, ...] = HOLD_ORDER_FIELDS,
    progress: OnProgress | None = None,
) -> FitResult:
    """:func:`fit`, then, while some factors are not pinned down, hold the first of them in
    ``hold_order`` at its ``start`` value and fit the others again.

    :func:`fit` holds every undetermined factor at once; but often they are undetermined only
    together. The memory efficiency, the fixed step overhead and the collective latency all add a
    constant to every decode step of one setup (model, GPU, TP), so two setups pin down only two
    combinations of the three: holding one lets the data determine the other two.
    """
    result = fit(cases, start, free=free, progress=progress)
    held: list[str] = []
    rel = dict(result.rel_stderr)
    while result.undetermined:
        order = [n for n in hold_order if n in result.undetermined] + list(result.undetermined)
        held.append(order[0])
        rest = tuple(n for n in free if n not in held)
        if not rest:
            break
        result = fit(
            cases,
            start,
            free=rest,
            progress=progress,
            round_=len(held) + 1,
            evaluations=result.evaluations,
        )
        rel.update(result.rel_stderr)
    undetermined = tuple(n for n in free if n in held or n in result.undetermined)
    if not held:
        return result
    eff = replace(result.efficiency, **{n: getattr(start, n) for n in held})
    return replace(
        result,
        efficiency=eff,
        free=free,
        undetermined=undetermined,
        rel_stderr={n: rel[n] for n in free if n in rel},
        mape_after={c.label: mape(c, eff) for c in cases if c.targets},
    )
