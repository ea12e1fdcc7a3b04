"""The article's cost method, applied to its measured elapsed times, reproduces Table 1."""

from __future__ import annotations

import pytest

from engine.physics.cost import cost_per_million

# Table 1 (2,035 in / 300 out, 4 GPUs x $2.5/h, gamma 0.3) and the elapsed times of Fig. 18.
TABLE_1 = [
    # batch, elapsed s, $/1M input, $/1M output, tokens/s (input + output)
    (1, 5.565227147541009, 5.09, 16.98, 419.57),
    (2, 5.83159231254831, 2.67, 8.90, 800.81),
    (4, 6.580546063836664, 1.51, 5.02, 1419.34),
    (8, 7.507091326988302, 0.86, 2.86, 2488.31),
    (16, 8.966848284006119, 0.51, 1.71, 4166.46),
    (32, 12.410703025874682, 0.35, 1.18, 6020.61),
    (64, 19.927982787950896, 0.28, 0.95, 7453.62),
]


@pytest.mark.parametrize(("batch", "elapsed", "cost_in", "cost_out", "tps"), TABLE_1)
def test_table_1(batch: int, elapsed: float, cost_in: float, cost_out: float, tps: float) -> None:
    got_in, got_out = cost_per_million(elapsed, batch, 2035, 300, 4 * 2.5 / 3600, 0.3)
    assert round(float(got_in), 2) == cost_in
    assert round(float(got_out), 2) == cost_out
    # The last column is (input + output) tokens per second; the article's row 64 is 0.6% off.
    assert batch * (2035 + 300) / elapsed == pytest.approx(tps, rel=0.007)


def test_gamma_is_the_input_to_output_price_ratio() -> None:
    cin, cout = cost_per_million(10.0, 4, 1000, 100, 0.01, 0.5)
    assert float(cin) == pytest.approx(0.5 * float(cout))
    # the whole bill is recovered: price x time = beta x (gamma x in + out) x batch
    assert float(cout) / 1e6 * 4 * (0.5 * 1000 + 100) == pytest.approx(0.01 * 10.0)
