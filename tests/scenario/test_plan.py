"""SLO planning (engine.scenario.plan): the most users each layout serves within the bounds, checked
against the closed-loop physics called on its own at the boundary; layouts that cannot hold the
weights never listed; looser bounds never fewer users; the cost of a token from its definition."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import make_scenario

from engine.errors import InputError
from engine.physics.serving import ConcurrencyRun, closed_loop
from engine.physics.steady import WALLS
from engine.scenario import ScenarioInput
from engine.scenario.plan import (
    DENSE,
    Feasible,
    Plan,
    Slo,
    default_gpu_counts,
    default_weight_dtypes,
    plan,
)
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency

GB = 1e9
H100_BYTES = 80 * 1024**3  # 80 GiB, the H100 SXM's HBM3


def make_plan(slos: list[Slo], **fields: Any) -> Plan:
    """A plan as the CLI builds it; ``gpu_counts``, ``tp_degrees``, ``weight_dtypes`` and
    ``percentile`` go to plan(), the rest to the loose input."""
    search = {
        k: fields.pop(k) for k in ("gpu_counts", "tp_degrees", "weight_dtypes") if k in fields
    }
    return plan(ScenarioInput(**fields), default_catalog(), default_efficiency(), slos, **search)


def bounded(run: ConcurrencyRun, slo: Slo, n: int) -> np.ndarray[Any, Any]:
    """The figure a bound applies to, as the help text defines it (not through the plan's code)."""
    ttft = {"mean": run.ttft_s, "p50": run.ttft_p50_s, "p99": run.ttft_p99_s}
    if slo.metric == "ttft":
        return ttft[slo.percentile]
    if slo.metric == "itl":
        return run.itl_p99_s if slo.percentile == "p99" else run.itl_s  # p50: no median modelled
    if slo.metric == "tpot":
        return run.tpot_s
    if slo.percentile == "mean":
        return run.e2e_s
    return ttft[slo.percentile] + (n - 1) * run.tpot_s


def meets(run: ConcurrencyRun, slos: list[Slo], n: int) -> np.ndarray[Any, Any]:
    ok = np.ones(np.shape(run.load), dtype=bool)
    for slo in slos:
        ok &= bounded(run, slo, n) <= slo.bound_s
    return ok


def independent_run(f: Feasible, concurrencies: np.ndarray[Any, Any], **fields: Any) -> Any:
    s = make_scenario(
        fields.pop("model"),
        fields.pop("gpu"),
        gpus=f.layout.gpus,
        tp=f.layout.tp,
        weight_dtype=f.layout.weight_dtype,
        load="concurrency",
        **fields,
    )
    return closed_loop(s, s.input_tokens, s.output_tokens, concurrencies)


SEVENTY = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "input_tokens": 1000, "output_tokens": 1000}
CHUNKED = {
    "model": "llama-3.1-8b",
    "gpu": "h100-sxm",
    "input_tokens": 2000,
    "output_tokens": 300,
    "engine": "vllm",
}
CASES = [
    ("70B, vLLM V0, TTFT p99 2 s + ITL p99 50 ms", SEVENTY, [Slo("ttft", 2.0), Slo("itl", 0.05)]),
    (
        "8B, vLLM V1, TTFT p50 300 ms + ITL mean 25 ms",
        CHUNKED,
        [Slo("ttft", 0.3, "p50"), Slo("itl", 0.025, "p50")],
    ),
    (
        "8B, vLLM V1, E2E p99 8 s + TPOT 25 ms",
        CHUNKED,
        [Slo("e2e", 8.0, "p99"), Slo("tpot", 0.025, "p99")],
    ),
    ("70B, TTFT mean 400 ms", SEVENTY, [Slo("ttft", 0.4, "mean")]),
]


@cache
def case_plan(i: int) -> Plan:
    _, fields, slos = CASES[i]
    return make_plan(slos, **fields)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_the_most_users_meet_the_slo_and_one_more_misses_it_or_passes_the_wall(i: int) -> None:
    _, fields, slos = CASES[i]
    p = case_plan(i)
    n = int(fields["output_tokens"])
    assert p.feasible, "every case has layouts that meet its SLO"
    for f in p.feasible:
        C = f.max_concurrency
        run = independent_run(f, np.arange(1.0, C + 2.0), **fields)
        ok = meets(run, slos, n)
        assert ok[:C].all(), f"{f.layout}: a load up to {C} misses the SLO"
        if f.binding in WALLS:
            # every load meets it up to the wall (a whole number of users, to rounding); one user
            # more is past the wall, queued
            assert C <= f.wall_concurrency * (1 + 1e-9) < C + 1, f.layout
            assert str(run.binding_wall[C]) == f.binding
        else:
            assert not ok[C], f"{f.layout}: {C + 1} users still meet the SLO"
            missed = {s.label for s in slos if not bounded(run, s, n)[C] <= s.bound_s}
            assert f.binding in missed
        # the figures reported are the physics' at that load
        assert f.point.concurrency == C
        assert f.point.ttft_p99_s == pytest.approx(float(run.ttft_p99_s[C - 1]), rel=1e-12)
        assert f.point.itl_s == pytest.approx(float(run.itl_s[C - 1]), rel=1e-12)


@pytest.mark.parametrize("i", range(len(CASES)), ids=[c[0] for c in CASES])
def test_sorted_by_cost_with_exactly_one_cheapest(i: int) -> None:
    p = case_plan(i)
    costs = [f.point.cost_per_1m_output_usd for f in p.feasible]
    assert costs == sorted(costs)
    assert p.cheapest is p.feasible[0]
    assert sum(f is p.cheapest for f in p.feasible) == 1


def test_the_cost_is_the_gpu_time_split_between_the_tokens() -> None:
    """$/1M output = price of all the GPUs per second / (requests/s x (gamma S + n)) x 1e6 (the
    article's split, gamma the input/output price ratio); input is gamma times that."""
    p = case_plan(0)
    for f in p.feasible:
        pt, g = f.point, f.layout.gpus
        beta = 2.5 * g / 3600 / (pt.requests_per_s * (0.3 * 1000 + 1000))
        assert pt.cost_per_1m_output_usd == pytest.approx(beta * 1e6, rel=1e-9)
        assert pt.cost_per_1m_input_usd == pytest.approx(0.3 * beta * 1e6, rel=1e-9)
        assert pt.output_tokens_per_s == pytest.approx(pt.requests_per_s * 1000, rel=1e-12)
        assert pt.output_tokens_per_s_per_gpu == pytest.approx(pt.output_tokens_per_s / g)


def llama70_params() -> int:
    """Llama 3.1 70B from its published config: hidden 8,192, 80 layers, 64 query / 8 KV heads of
    128, MLP 28,672, vocabulary 128,256, untied embeddings."""
    h, layers, kv, mlp, vocab = 8192, 80, 8 * 128, 28672, 128256
    attention = h * h + 2 * h * kv + h * h  # q, k, v, o
    per_layer = attention + 3 * h * mlp + 2 * h  # gate/up/down, two norms
    return layers * per_layer + 2 * vocab * h + h  # embeddings, LM head, final norm


def test_a_layout_that_cannot_hold_the_weights_is_never_feasible() -> None:
    params = llama70_params()
    assert params == 70_553_706_496  # the article's figure
    assert params * 2 / GB == pytest.approx(141.1, abs=0.05)  # bf16: more than one 80 GB H100
    p = case_plan(0)
    byte = {"bf16": 2.0, "fp8": 1.0, "int4": 0.5}
    too_big = {
        (lay.gpus, lay.tp, lay.weight_dtype)
        for lay in p.space.layouts()
        if params * byte[lay.weight_dtype] / lay.tp > H100_BYTES  # even split, a lower bound
    }
    assert (1, 1, "bf16") in too_big
    skipped = {(s.layout.gpus, s.layout.tp, s.layout.weight_dtype) for s in p.skipped}
    listed = {(f.layout.gpus, f.layout.tp, f.layout.weight_dtype) for f in p.feasible}
    listed |= {(c.layout.gpus, c.layout.tp, c.layout.weight_dtype) for c in p.cannot_meet}
    assert too_big <= skipped and not too_big & listed
    for s in p.skipped:
        if (s.layout.gpus, s.layout.tp, s.layout.weight_dtype) in too_big:
            assert s.reason == "weights" and s.need_per_gpu_bytes > s.usable_per_gpu_bytes
    assert len(skipped) + len(listed) == p.searched == len(p.space.layouts())


def test_room_for_the_weights_but_not_one_sequence_is_skipped_for_the_kv_cache() -> None:
    """70B in fp8 on one H100: ~70.6 GB of weights leave a few GB, and one sequence of 100,000
    tokens needs 100,000 x 327,680 B = 32.8 GB of KV cache."""
    kv_bytes = 100_000 * 2 * 80 * 8 * 128 * 2  # K and V, 80 layers, 8 heads of 128, bf16
    assert kv_bytes / GB == pytest.approx(32.8, abs=0.05)
    p = make_plan(
        [Slo("ttft", 60.0)],
        model="llama-3.1-70b",
        gpu="h100-sxm",
        input_tokens=100_000,
        output_tokens=100,
        gpu_counts=(1,),
        weight_dtypes=("fp8",),
    )
    assert [s.reason for s in p.skipped] == ["kv"] and not p.feasible


def test_a_layout_that_misses_the_slo_with_one_user_is_listed_with_the_miss() -> None:
    p = make_plan([Slo("itl", 0.001), Slo("ttft", 60.0)], **SEVENTY)  # 1 ms between tokens
    assert not p.feasible and p.cheapest is None
    assert len(p.cannot_meet) + len(p.skipped) == p.searched
    for c in p.cannot_meet:
        run = independent_run(c, np.ones(1), **SEVENTY)  # type: ignore[arg-type]
        assert [m.slo.label for m in c.misses] == ["itl p99"]  # the TTFT bound is met
        assert c.misses[0].value_s == pytest.approx(float(run.itl_p99_s[0]), rel=1e-12)
        assert c.misses[0].over_s == pytest.approx(float(run.itl_p99_s[0]) - 0.001)
        assert c.point.concurrency == 1


def test_past_the_dense_grid_the_boundary_is_still_exact() -> None:
    """8 replicas of sglang's 4,096 sequences of a short request: a wall of tens of thousands of
    users, searched on a geometric grid and refined to the whole number."""
    fields = {
        "model": "llama-3.1-8b",
        "gpu": "h100-sxm",
        "input_tokens": 64,
        "output_tokens": 32,
        "engine": "sglang",
    }
    slos = [Slo("ttft", 0.2, "mean")]  # some 18,000 users
    p = make_plan(slos, gpu_counts=(8,), tp_degrees=(1,), weight_dtypes=("fp8",), **fields)
    (f,) = p.feasible
    assert f.wall_concurrency > DENSE and f.binding == "ttft mean"
    C = f.max_concurrency
    run = independent_run(f, np.array([C, C + 1.0]), **fields)
    assert list(meets(run, slos, 32)) == [True, False]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ttft=st.floats(0.05, 5.0),
    itl=st.floats(0.005, 0.2),
    looser=st.floats(1.0, 4.0),
    percentile=st.sampled_from(["p99", "p50", "mean"]),
)
def test_a_looser_slo_never_serves_fewer_users(
    ttft: float, itl: float, looser: float, percentile: str
) -> None:
    fields = {**CHUNKED, "gpu_counts": (1, 2), "tp_degrees": (1,), "weight_dtypes": ("bf16",)}
    tight = make_plan([Slo("ttft", ttft, percentile), Slo("itl", itl, percentile)], **fields)
    loose = make_plan(
        [Slo("ttft", ttft * looser, percentile), Slo("itl", itl * looser, percentile)], **fields
    )

    def users(p: Plan) -> dict[tuple[int, int], int]:
        return {(f.layout.gpus, f.layout.tp): f.max_concurrency for f in p.feasible}

    tight_users, loose_users = users(tight), users(loose)
    assert set(tight_users) <= set(loose_users)
    for layout, c in tight_users.items():
        assert loose_users[layout] >= c


def test_a_p99_bound_never_serves_more_users_than_the_same_bound_on_the_mean() -> None:
    """The p99 of the time to first token is at least its mean."""
    mean = make_plan([Slo("ttft", 0.3, "mean")], **CHUNKED)
    p99 = make_plan([Slo("ttft", 0.3, "p99")], **CHUNKED)
    by_mean = {f.layout: f.max_concurrency for f in mean.feasible}
    for f in p99.feasible:
        assert by_mean[f.layout] >= f.max_concurrency


def test_the_search_space() -> None:
    cat = default_catalog()
    h100, a100, m2 = cat.gpu("h100-sxm"), cat.gpu("a100-80gb"), cat.gpu("apple-m2-ultra")
    llama = cat.model("llama-3.1-70b")
    assert default_gpu_counts(h100) == (1, 2, 4, 8)  # one NVLink board
    assert default_gpu_counts(m2) == (1, 2, 4)  # Thunderbolt: 4
    assert default_weight_dtypes(llama, h100) == ("bf16", "fp8", "int4")
    assert default_weight_dtypes(llama, a100) == ("bf16", "int8", "int4")  # no fp8 cores
    p = case_plan(0)
    for lay in p.space.layouts():
        assert lay.gpus % lay.tp == 0 and 64 % lay.tp == 0 and lay.replicas == lay.gpus // lay.tp
    assert p.searched == 10 * 3  # (1) + (1, 2) + (1, 2, 4) + (1, 2, 4, 8) TP, 3 precisions
    only = make_plan([Slo("ttft", 2.0)], **SEVENTY, weight_dtypes=("fp8",), gpu_counts=(2, 8))
    assert {lay.weight_dtype for lay in only.space.layouts()} == {"fp8"}
    assert {lay.gpus for lay in only.space.layouts()} == {2, 8}


def test_the_input_layout_and_load_are_ignored_the_other_inputs_apply() -> None:
    slos = [Slo("ttft", 2.0), Slo("itl", 0.05)]
    base = make_plan(slos, **SEVENTY, gpu_counts=(2,), tp_degrees=(2,), weight_dtypes=("fp8",))
    other = make_plan(
        slos,
        **SEVENTY,
        gpus=4,
        tp=4,
        load="static",
        batch_sizes=(1, 2),
        gpu_counts=(2,),
        tp_degrees=(2,),
        weight_dtypes=("fp8",),
    )
    assert base.feasible[0].max_concurrency == other.feasible[0].max_concurrency
    dearer = make_plan(
        slos,
        **SEVENTY,
        price_per_gpu_hour=5.0,
        gpu_counts=(2,),
        tp_degrees=(2,),
        weight_dtypes=("fp8",),
    )
    a, b = base.feasible[0], dearer.feasible[0]
    assert b.max_concurrency == a.max_concurrency  # the price changes no latency
    assert b.point.cost_per_1m_output_usd == pytest.approx(2 * a.point.cost_per_1m_output_usd)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Slo("ttft", 0.0), "must be a positive number"),
        (lambda: Slo("ttft", -1.0), "must be a positive number"),
        (lambda: Slo("ttft", float("nan")), "must be a positive number"),
        (lambda: Slo("ttft", float("inf")), "must be a finite number"),
        (lambda: Slo("ttfb", 1.0), "is not one of ttft, itl, tpot, e2e"),
        (lambda: Slo("ttft", 1.0, "p90"), "is not one of p99, p50, mean"),
        (lambda: make_plan([]), "give at least one SLO"),
        (lambda: make_plan([Slo("itl", 0.05)], output_tokens=1), "at least 2"),
        (lambda: make_plan([Slo("ttft", 1.0)], tp_degrees=(3,)), "does not split"),
        (lambda: make_plan([Slo("ttft", 1.0)], gpu_counts=(0,)), "must be from 1 to 4,096"),
        (lambda: make_plan([Slo("ttft", 1.0)], gpu_counts=(2,), tp_degrees=(4,)), "no layout"),
        (lambda: make_plan([Slo("ttft", 1.0)], weight_dtypes=("int3",)), "not one of"),
    ],
)
def test_bad_input_is_an_input_error(call: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()
