"""Roofline building blocks: communication time and exact sums of per-step times.

Decode runs one step per output token; step j of a sequence with an S-token prompt attends to
L_j = S + j positions. Both its compute time and its memory time are linear in L_j, so the sum over
all steps of max(compute, memory) is a sum of the larger of two straight lines: it has a closed
form (two arithmetic series split at the crossover), computed here for whole arrays at once. This
is exactly the article's per-token loop, without the loop.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine.physics.specs import NETWORK, GPUSpec, Interconnect

Array = npt.NDArray[np.float64]


def link_for(gpu: GPUSpec, tp: int) -> Interconnect:
    """The GPU's own link inside its domain (an NVLink board), the network beyond it."""
    return gpu.interconnect if tp <= gpu.interconnect.max_gpus else NETWORK


def allreduce_time(
    nbytes: Array | float, tp: int, link: Interconnect, extra_latency: float = 0.0
) -> Array | float:
    """Ring all-reduce of ``nbytes`` over ``tp`` GPUs: 2(t-1)/t x bytes / bandwidth (reduce-scatter
    then all-gather) plus 2(t-1) hops of latency, plus ``extra_latency`` (software). 0 at TP 1."""
    if tp <= 1:
        return np.zeros_like(nbytes) if np.ndim(nbytes) else 0.0
    t = float(tp)
    return 2 * (t - 1) / t * nbytes / link.bandwidth + 2 * (t - 1) * link.latency + extra_latency


def all_to_all_time(
    nbytes: Array | float, n: int, link: Interconnect, extra_latency: float = 0.0
) -> Array | float:
    """All-to-all over ``n`` GPUs, each sending ``nbytes`` spread evenly over all of them (its own
    share stays): (n-1)/n x bytes / bandwidth, and n - 1 exchanges of latency, plus
    ``extra_latency`` (software). 0 on one GPU."""
    if n <= 1:
        return np.zeros_like(nbytes) if np.ndim(nbytes) else 0.0
    m = float(n)
    return (m - 1) / m * nbytes / link.bandwidth + (m - 1) * link.latency + extra_latency


def _range_sum(c0: Array, c1: Array, x0: Array, lo: Array, hi: Array) -> Array:
    """sum_{j=lo..hi} (c0 + c1 * (x0 + j)); empty (hi < lo) gives 0."""
    cnt = np.maximum(hi - lo + 1, 0)
    sum_x = cnt * x0 + (lo + hi) * cnt / 2.0
    return c0 * cnt + c1 * sum_x


def sum_max_of_lines(
    p0: Array, p1: Array, q0: Array, q1: Array, x0: Array, n: Array
) -> tuple[Array, Array, Array]:
    """For j = 1..n and x_j = x0 + j: the sums of max(p, q), of p, and of q, where
    p = p0 + p1 x and q = q0 + q1 x. All arguments broadcast; n may be 0.

    Returns (sum of the max, sum of p over all steps, sum of q over all steps).
    """
    p0, p1, q0, q1, x0, n = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (p0, p1, q0, q1, x0, n))
    )
    d0 = p0 - q0
    d1 = p1 - q1
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = np.where(d1 != 0, -d0 / np.where(d1 != 0, d1, 1.0) - x0, 0.0)
    # p wins on a suffix [first, n] when d1 > 0, on a prefix [1, last] when d1 < 0,
    # everywhere or nowhere when d1 == 0.
    first = np.clip(np.ceil(cross), 1, n + 1)
    last = np.clip(np.floor(cross), 0, n)
    one = np.ones_like(n)
    p_lo = np.where(d1 > 0, first, one)
    p_hi = np.where(d1 > 0, n, np.where(d1 < 0, last, np.where(d0 >= 0, n, 0)))
    q_lo = np.where(d1 > 0, one, np.where(d1 < 0, last + 1, np.where(d0 >= 0, n + 1, 1)))
    q_hi = np.where(d1 > 0, first - 1, n)
    total = _range_sum(p0, p1, x0, p_lo, p_hi) + _range_sum(q0, q1, x0, q_lo, q_hi)
    sum_p = _range_sum(p0, p1, x0, one, n)
    sum_q = _range_sum(q0, q1, x0, one, n)
    return total, sum_p, sum_q
