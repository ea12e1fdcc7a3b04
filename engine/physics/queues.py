"""Queues of the serving loads: Erlang C for a slot, the quantiles of an M/D/1-like wait, and
the waits of a finite run above capacity (a fluid queue)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def erlang_c(servers: float, offered: Array) -> Array:
    """Probability that an arrival waits, M/M/c with ``servers`` slots and ``offered`` load
    (the mean number busy); 1 at and beyond full load.

    Erlang B's recursion 1/B_k = 1 + (k / a) / B_(k-1) unrolls to 1/B_c = sum over i of the
    products (c / a) (c - 1) / a ... (c - i + 1) / a, summed here in logs over all i at once
    (vectorised over ``offered`` and the slots; no overflow for thousands of slots). Below half
    load on 64 slots or more an arrival waits with probability below 1e-6: left at 0."""
    c = max(int(servers), 1)
    a = np.asarray(offered, dtype=np.float64)
    rho = a / c
    near = ((rho >= 0.5) | (c < 64)) & (a > 0)
    b = np.zeros_like(a)
    if np.any(near):
        x = a[near][:, None]
        m = np.arange(c, 0, -1, dtype=np.float64)[None, :]  # c, c - 1, ..., 1
        logs = np.concatenate(
            (np.zeros((x.shape[0], 1)), np.cumsum(np.log(m) - np.log(x), axis=1)), axis=1
        )
        top = logs.max(axis=1, keepdims=True)
        b[near] = np.exp(-(top[:, 0] + np.log(np.sum(np.exp(logs - top), axis=1))))
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(rho < 1.0, b / (1.0 - rho * (1.0 - b)), 1.0)
    out: Array = np.clip(wait, 0.0, 1.0)
    return out


def queue_quantile(mean_wait: Array, busy: Array, p: float) -> Array:
    """The p-quantile of a wait with P(wait > 0) = ``busy`` and an exponential tail of mean
    ``mean_wait`` (as M/G/1 waits are)."""
    busy = np.clip(busy, 1e-12, 1.0)
    tail = mean_wait / busy
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(1.0 - p >= busy, 0.0, tail * np.log(busy / (1.0 - p)))
    out: Array = np.maximum(q, 0.0)
    return out


def overload_waits(
    rate: Array, N: float, mu: Array, capacity: float, slots: float
) -> tuple[Array, Array]:
    """The waits of a run of N requests at a rate above capacity, as a deterministic queue: the
    k-th arrives at k / rate; it can start once the prompts before it are prefilled (one every
    1 / ``mu`` s) and, past the ``slots``-th, once the (k - slots)-th running request has ended
    (they end at the capacity, one every 1 / ``capacity`` s). So its start is

        start_k = max(k / rate, (k - slots) / capacity, start_(k-1) + 1 / mu),

    which unrolls to a running maximum: start_k = k / mu + max over j <= k of (c_j - j / mu),
    c_j the first two terms. Returns the mean wait (start - arrival) over the N, and the 99th
    percentile's (evaluated on at most 4,096 of the N, evenly spread)."""
    k = np.linspace(1.0, N, int(min(max(N, 1.0), 4096.0)))
    with np.errstate(divide="ignore"):
        gap = np.where(np.isfinite(rate), 1.0 / rate, 0.0)[..., None]
    per_prompt = 1.0 / np.asarray(mu, dtype=np.float64)[..., None]
    arrival = k * gap
    ready = np.maximum(arrival, (k - slots) / capacity)
    start = np.maximum.accumulate(ready - k * per_prompt, axis=-1) + k * per_prompt
    waits = start - arrival
    mean: Array = np.mean(waits, axis=-1)
    return mean, np.quantile(waits, 0.99, axis=-1)
