"""The article's cost method: the GPU time of a run, split between input and output tokens."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def cost_per_million(
    elapsed_s: Array | float,
    batch: Array | float,
    input_tokens: Array | float,
    output_tokens: Array | float,
    price_per_second: float,
    gamma: float,
) -> tuple[Array, Array]:
    """The article's cost method. GPU time cost = beta x (gamma x input + output tokens), so
    beta = cost / (batch x (gamma x in + out)); returns ($/1M input, $/1M output)."""
    beta = (
        price_per_second
        * np.asarray(elapsed_s)
        / (np.asarray(batch) * (gamma * np.asarray(input_tokens) + np.asarray(output_tokens)))
    )
    return gamma * beta * 1e6, beta * 1e6
