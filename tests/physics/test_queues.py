"""The queues of the serving loads against their definitions, computed one request at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.physics.queues import erlang_c, overload_waits


def _erlang_c_by_sums(c: int, a: float) -> float:
    """Erlang C from its textbook formula, in logs (no overflow for hundreds of slots)."""
    logs = [k * math.log(a) - math.lgamma(k + 1) for k in range(c)]
    top = c * math.log(a) - math.lgamma(c + 1) + math.log(c / (c - a))
    m = max(*logs, top)
    s = sum(math.exp(v - m) for v in logs)
    t = math.exp(top - m)
    return t / (s + t)


@pytest.mark.parametrize(
    ("c", "a"), [(1, 0.5), (4, 3.0), (10, 7.0), (64, 50.0), (64, 40.0), (200, 190.0)]
)
def test_erlang_c_is_the_textbook_formula(c: int, a: float) -> None:
    assert erlang_c(c, np.array([a]))[0] == pytest.approx(_erlang_c_by_sums(c, a), rel=1e-9)


def test_erlang_c_below_half_load_is_negligible() -> None:
    """The shortcut it takes: on 64 slots or more, below half load, the exact value is < 1e-6."""
    for c in (64, 128, 512):
        exact = _erlang_c_by_sums(c, 0.499 * c)
        assert exact < 1e-6
        assert erlang_c(c, np.array([0.499 * c]))[0] == 0.0


def _waits_one_by_one(rate: float, N: int, mu: float, capacity: float, slots: float) -> list[float]:
    """The queue of overload_waits, request by request: arrivals at k / rate, one prompt
    prefilled every 1 / mu, the (k - slots)-th departure at (k - slots) / capacity."""
    out, last = [], -math.inf
    for k in range(1, N + 1):
        arrive = k / rate if math.isfinite(rate) else 0.0
        start = max(arrive, (k - slots) / capacity, last + 1.0 / mu)
        out.append(start - arrive)
        last = start
    return out


@settings(max_examples=60, deadline=None)
@given(
    rate=st.one_of(st.floats(0.5, 500.0), st.just(math.inf)),
    N=st.integers(1, 3000),
    mu=st.floats(0.5, 500.0),
    capacity=st.floats(0.5, 200.0),
    slots=st.floats(1.0, 2000.0),
)
def test_overload_waits_are_the_queue_request_by_request(
    rate: float, N: int, mu: float, capacity: float, slots: float
) -> None:
    exact = _waits_one_by_one(rate, N, mu, capacity, slots)
    mean, p99 = overload_waits(np.array([rate]), float(N), np.array([mu]), capacity, slots)
    assert mean[0] == pytest.approx(np.mean(exact), rel=1e-9, abs=1e-9)
    assert p99[0] == pytest.approx(np.quantile(exact, 0.99), rel=1e-9, abs=1e-9)


def test_overload_waits_on_a_grid_for_long_runs() -> None:
    """Past 4,096 requests the waits are taken on 4,096 of them: within 0.1% of all."""
    exact = _waits_one_by_one(50.0, 20_000, 30.0, 20.0, 300.0)
    mean, _ = overload_waits(np.array([50.0]), 20_000.0, np.array([30.0]), 20.0, 300.0)
    assert mean[0] == pytest.approx(np.mean(exact), rel=1e-3)
