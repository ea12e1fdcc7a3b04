"""Communication and the closed-form decode sum, against first principles and a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.physics.roofline import allreduce_time, sum_max_of_lines
from engine.physics.specs import Interconnect

NVLINK = Interconnect(kind="NVLink 4", bandwidth=450e9, latency=0.0, max_gpus=8)


def test_allreduce_is_zero_without_tensor_parallelism() -> None:
    assert allreduce_time(1e9, 1, NVLINK, extra_latency=1e-3) == 0.0


def test_article_tp4_bandwidth_term() -> None:
    """The article: 2 bytes x 2 syncs x 8192 x 80 layers x 3/4 / 450 GB/s = 1,966,080 bytes,
    "about 4 us" (4.37 us). Its (N-1)/N is the volume of half a ring all-reduce (the
    reduce-scatter); the ring also all-gathers, so 2(N-1)/N crosses each link: 160 syncs of one
    token's 16,384-byte hidden state take twice the article's figure, 8.74 us."""
    article_bytes = 2 * 2 * 8192 * 80 * 3 / 4
    assert article_bytes == 1_966_080
    assert article_bytes / 450e9 == pytest.approx(4.37e-6, rel=1e-3)
    per_step = 160 * allreduce_time(8192 * 2, 4, NVLINK)
    assert per_step == pytest.approx(2 * article_bytes / 450e9, rel=1e-12)
    assert per_step == pytest.approx(8.74e-6, rel=1e-3)


def test_ring_latency_term() -> None:
    link = Interconnect(kind="x", bandwidth=1e30, latency=2e-6, max_gpus=8)
    assert allreduce_time(0.0, 4, link) == pytest.approx(2 * 3 * 2e-6)
    assert allreduce_time(0.0, 8, link, extra_latency=5e-6) == pytest.approx(2 * 7 * 2e-6 + 5e-6)


def loop(
    p0: float, p1: float, q0: float, q1: float, x0: float, n: int
) -> tuple[float, float, float]:
    """The article's per-token loop."""
    total = sp = sq = 0.0
    for j in range(1, n + 1):
        x = x0 + j
        p, q = p0 + p1 * x, q0 + q1 * x
        total += max(p, q)
        sp += p
        sq += q
    return total, sp, sq


coef = st.floats(-10.0, 10.0, allow_nan=False)


@given(coef, coef, coef, coef, st.integers(0, 5000), st.integers(0, 400))
def test_closed_form_equals_the_loop(
    p0: float, p1: float, q0: float, q1: float, x0: int, n: int
) -> None:
    got = sum_max_of_lines(
        np.float64(p0),
        np.float64(p1),
        np.float64(q0),
        np.float64(q1),
        np.float64(x0),
        np.float64(n),
    )
    want = loop(p0, p1, q0, q1, x0, n)
    scale = 1.0 + sum(abs(w) for w in want)
    for g, w in zip(got, want, strict=True):
        assert float(g) == pytest.approx(w, abs=1e-9 * scale)


def test_closed_form_vectorises() -> None:
    p1 = np.array([0.0, 1.0, -1.0, 0.5])
    got, _, _ = sum_max_of_lines(1.0, p1, 2.0, 0.25, 10.0, 7.0)
    want = [loop(1.0, float(v), 2.0, 0.25, 10.0, 7)[0] for v in p1]
    assert np.allclose(got, want)
