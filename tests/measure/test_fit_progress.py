"""The fit's progress hook (what ``calibrate``'s status line shows): told after every evaluation
of the model, through every round of :func:`fit_determined`, without changing the fit."""

from __future__ import annotations

from dataclasses import replace

from support import make_scenario

from engine.measure.calibration import FitCase, FitProgress, fit_determined, predict_tokens_per_s
from engine.measure.points import Point
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency

FREE = ("compute", "collective_latency_s")


def one_gpu_cases() -> list[FitCase]:
    """Single-GPU points of known factors: the collective latency cannot be pinned down, so
    :func:`fit_determined` holds it and fits again (a second round)."""
    cat = default_catalog()
    s = make_scenario(cat.model("llama-3.1-8b"), cat.gpu("h100-sxm"), gpus=1)
    truth = replace(default_efficiency(), compute=0.6)
    points = tuple(
        Point(batch=b, input_tokens=2000, output_tokens=300, total_tokens_per_s=1.0)
        for b in (1, 2, 4, 8, 16, 32, 64, 128)
    )
    values = predict_tokens_per_s(FitCase("", s, points), truth)
    points = tuple(
        replace(p, total_tokens_per_s=float(v)) for p, v in zip(points, values, strict=True)
    )
    return [FitCase("8b", s, points)]


def test_progress_through_every_round() -> None:
    cases = one_gpu_cases()
    seen: list[FitProgress] = []
    result = fit_determined(cases, default_efficiency(), free=FREE, progress=seen.append)
    assert result.undetermined == ("collective_latency_s",)
    assert [p.evaluations for p in seen] == list(range(1, len(seen) + 1))  # every one, counted on
    assert {p.round for p in seen} == {1, 2}
    assert {p.factors for p in seen if p.round == 2} == {1}  # the held factor left out
    assert all(0 <= p.iteration <= p.max_iterations == 60 for p in seen)
    assert result == fit_determined(cases, default_efficiency(), free=FREE)  # no other effect
