"""The serving model: its step is the static model's, the static batch is its 'all at once, once'
case, it agrees with the step-by-step simulation of the scheduler, and it keeps the laws of a
queue (Little's law, throughput that does not fall with load, an unstable rate never steady)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import make_scenario

from engine.physics import serving
from engine.physics.deployment import Efficiency
from engine.physics.simulate import simulate
from engine.physics.static_batch import run as static_run
from engine.physics.step import StepCost
from engine.scenario import Scenario

#: Simple factors (no attention ramp, no CUDA-graph edge) so that what is checked is the queueing
REAL = Efficiency(
    compute=0.5,
    memory=0.9,
    attention=0.9,
    step_overhead_s=1e-3,
    seq_overhead_s=2e-5,
    collective_latency_s=1e-5,
)


def h100_8b(chunked: bool, **settings: object) -> Scenario:
    engine = {"chunked_prefill": chunked, "max_num_seqs": 256, "kv_reserve": 1.0, **settings}
    return make_scenario(
        "llama-3.1-8b",
        "h100-sxm",
        gpus=1,
        weight_dtype="fp8",
        kv_dtype="fp8",
        efficiency=REAL,
        settings=engine,
    )


# ---------------------------------------------------------------- the step and the static batch


def test_a_step_without_prefill_is_the_decode_step_and_without_decode_a_prefill_step() -> None:
    s = h100_8b(False)
    cost = StepCost(s)
    b, L = np.array([1.0, 8.0, 64.0, 200.0]), 2185.0
    c0, c1, m0, m1 = cost.decode_step_lines(b)
    decode = np.maximum(c0 + c1 * L, m0 + m1 * L) + cost.comm_per_step(b)
    decode = decode + cost.overhead_per_step(b)
    zero = np.zeros_like(b)
    assert cost.mixed(b, b * L, zero, zero, zero, zero).time == pytest.approx(decode, rel=1e-12)
    prompts = np.array([1.0, 4.0, 16.0])  # of 2,035 tokens, in steps of 8,192 tokens
    steps = np.ceil(prompts * 2035 / 8192)
    tokens = prompts * 2035 / steps
    flops = prompts * cost.prefill_flops(np.full(3, 2035.0)) / steps
    per_step = cost.mixed(0 * prompts, 0 * prompts, tokens, flops, prompts / steps, 0 * prompts)
    whole = cost.prefill(prompts, np.full(3, 2035.0)).time
    assert steps * per_step.time == pytest.approx(whole, rel=1e-12)


def test_all_at_once_and_once_is_the_static_batch(llama70: object, h100: object) -> None:
    """Requests queued together, served by an engine that prefills whole prompts: the static
    batch's cohort, and beyond the KV cache its waves, number for number."""
    s = make_scenario("llama-3.3-70b", "h100-sxm", gpus=4)  # the article's setup and engine
    N = np.array([1.0, 8.0, 64.0, 211.0, 212.0, 512.0, 1000.0])
    offline = serving.offline(s, 2035, 300, N)
    static = static_run(s, N, 2035, 300)
    assert offline.output_tokens_per_s == pytest.approx(static.total_tokens_per_s, rel=1e-12)
    assert offline.ttft_s == pytest.approx(static.ttft_s, rel=1e-12)
    assert offline.tpot_s == pytest.approx(static.tpot_s, rel=1e-12)


# -------------------------------------------------------------------------- against the simulator

CLOSED = [(200, 200, 1), (200, 200, 25), (200, 200, 100), (1000, 1000, 50), (2000, 300, 64)]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "prefill-first"])
@pytest.mark.parametrize(("S", "n", "C"), CLOSED)
def test_closed_loop_in_lockstep_agrees_with_the_simulation(
    chunked: bool, S: int, n: int, C: int
) -> None:
    """Users in lockstep (= 1): a cohort that re-forms each round, its prompts prefilled as a
    staircase. Without chunked prefill users that start together with fixed lengths do so by
    themselves; with it the simulator holds each user's next request for the round's end."""
    s = h100_8b(chunked)
    s = replace(s, efficiency=replace(s.efficiency, lockstep=1.0))
    sim = simulate(
        s, S, n, concurrency=C, num_requests=max(3 * C, 30), warmup=C, rounds=chunked
    ).summary()
    a = serving.closed_loop(s, S, n, [C])
    assert a.output_tokens_per_s[0] == pytest.approx(sim["output_tokens_per_s"], rel=0.15)
    if not chunked:  # with rounds, a user's wait for the round's end is in the model's TPOT
        assert a.tpot_s[0] == pytest.approx(sim["tpot_s"], rel=0.12)
    assert a.ttft_s[0] == pytest.approx(sim["ttft_s"], rel=0.35)
    # Little's law, exact in the model: C = X x E2E
    assert pytest.approx(a.requests_per_s[0] * a.e2e_s[0], rel=1e-9) == C


RATES = [(467, 256, 0.1), (467, 256, 0.5), (467, 256, 0.8), (202, 214, 0.5), (2000, 300, 0.5)]


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "prefill-first"])
@pytest.mark.parametrize(("S", "n", "load"), RATES)
def test_poisson_arrivals_agree_with_the_simulation(
    chunked: bool, S: int, n: int, load: float
) -> None:
    s = h100_8b(chunked)
    capacity = serving.poisson(s, S, n, [1.0]).wall
    rate = load * capacity
    sim = simulate(s, S, n, rate=rate, num_requests=500, warmup=100, seed=3).summary()
    a = serving.poisson(s, S, n, [rate])
    assert a.stable[0]
    assert a.output_tokens_per_s[0] == pytest.approx(sim["output_tokens_per_s"], rel=0.10)
    assert a.tpot_s[0] == pytest.approx(sim["tpot_s"], rel=0.12)
    assert a.ttft_s[0] == pytest.approx(sim["ttft_s"], rel=0.30)
    assert a.running_batch[0] == pytest.approx(sim["running_batch"], rel=0.25, abs=1.0)


def test_offline_with_chunked_prefill_flows_at_the_steady_capacity() -> None:
    s = h100_8b(True)
    sim = simulate(s, 467, 256, rate=None, num_requests=800).summary()
    a = serving.offline(s, 467, 256, [800])
    assert a.output_tokens_per_s[0] == pytest.approx(sim["output_tokens_per_s"], rel=0.10)


# ------------------------------------------------------------------------------- the walls


def test_each_wall_binds_where_it_should() -> None:
    seqs = serving.closed_loop(h100_8b(True, max_num_seqs=16), 200, 200, [500])
    assert seqs.binding_wall[0] == "sequences" and seqs.running_batch[0] == pytest.approx(16)
    kv = serving.closed_loop(h100_8b(True), 20_000, 2000, [500])
    assert kv.binding_wall[0] == "kv"
    budget = serving.closed_loop(h100_8b(True, max_batched_tokens=2048), 8000, 64, [500])
    assert budget.binding_wall[0] == "token_budget"
    free = serving.closed_loop(h100_8b(True), 200, 200, [2])
    assert free.binding_wall[0] == "none"


def test_past_the_wall_ttft_is_queueing_linear_in_the_users() -> None:
    s = h100_8b(True, max_num_seqs=32)
    r = serving.closed_loop(s, 500, 500, [64, 128, 256])
    assert np.allclose(r.running_batch, 32)
    assert np.allclose(r.requests_per_s, r.requests_per_s[0])
    assert np.diff(r.ttft_s) == pytest.approx(np.diff([64, 128, 256]) / r.requests_per_s[0])


# -------------------------------------------------------------------------------- properties

SHAPES = st.tuples(st.integers(16, 8000), st.integers(2, 2000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=SHAPES,
    chunked=st.booleans(),
    phi=st.floats(0, 1),
    users=st.lists(st.integers(1, 2000), min_size=2, max_size=8, unique=True),
)
@example(shape=(327, 7), chunked=True, phi=1.0, users=[115, 131])
def test_closed_loop_laws(
    shape: tuple[int, int], chunked: bool, phi: float, users: list[int]
) -> None:
    S, n = shape
    s = h100_8b(chunked)
    s = replace(s, efficiency=replace(s.efficiency, lockstep=phi))
    C = np.sort(np.array(users, dtype=float))
    r = serving.closed_loop(s, S, n, C)
    assert np.allclose(C, r.requests_per_s * r.e2e_s, rtol=1e-9)  # Little's law
    below = r.wall >= C
    tps = r.output_tokens_per_s[below]
    # no less throughput for more users, to within the model's discreteness: a cohort's prompts
    # are prefilled in whole token-budget chunks, and 131 users in lockstep came out 2e-6 below
    # 115 (327 in / 7 out, chunked; found by hypothesis in CI)
    assert np.all(np.diff(tps) >= -1e-5 * tps[:-1])
    _finite_and_positive(r)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=SHAPES,
    chunked=st.booleans(),
    loads=st.lists(st.floats(0.01, 3.0), min_size=2, max_size=8, unique=True),
)
def test_rate_laws(shape: tuple[int, int], chunked: bool, loads: list[float]) -> None:
    S, n = shape
    s = h100_8b(chunked)
    capacity = serving.poisson(s, S, n, [1.0]).wall
    lam = np.sort(np.array(loads)) * capacity
    r = serving.poisson(s, S, n, lam)
    assert not np.any(r.stable & (lam >= capacity))  # above capacity is never steady
    assert np.all(r.stable[lam < 0.999 * capacity])
    assert np.all(np.diff(r.ttft_s) >= -1e-9 * r.ttft_s[:-1])  # more load, no faster first token
    _finite_and_positive(r)


def _finite_and_positive(r: serving.ServingRun) -> None:
    for name in ("ttft_s", "ttft_p99_s", "itl_s", "tpot_s", "e2e_s", "output_tokens_per_s"):
        value = getattr(r, name)
        assert np.all(np.isfinite(value)) and np.all(value > 0), name
    assert np.all(r.ttft_p99_s >= r.ttft_s * (1 - 1e-9))
