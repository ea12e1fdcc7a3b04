"""Two scenarios side by side: each side is its own scenario's numbers at the shared load."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from support import make_scenario

from engine.views.report import jsonable
from engine.views.side_by_side import rows, side_by_side, side_by_side_dict, side_by_side_table


def test_each_side_is_its_own_estimate_at_the_shared_batch() -> None:
    a = make_scenario("llama-3.3-70b", "h100-sxm", gpus=4, batch_sizes=[1, 8, 64])
    b = make_scenario("llama-3.3-70b", "h200", gpus=2, batch_sizes=[1, 16, 64])
    found = {r.key: r for r in rows(a, b, 64)}
    a64 = make_scenario("llama-3.3-70b", "h100-sxm", gpus=4, batch_sizes=[64]).run()
    b64 = make_scenario("llama-3.3-70b", "h200", gpus=2, batch_sizes=[64]).run()
    assert found["tpot_s"].a == pytest.approx(float(a64.tpot_s[0]))
    assert found["tpot_s"].b == pytest.approx(float(b64.tpot_s[0]))
    assert found["output_tokens_per_s_per_gpu"].b == pytest.approx(
        float(b64.total_tokens_per_s[0]) / 2
    )
    assert found["tpot_s"].ratio == pytest.approx(float(b64.tpot_s[0] / a64.tpot_s[0]))


def test_the_pinned_side_takes_the_current_load_axis() -> None:
    a = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, batch_sizes=[1, 2])
    b = make_scenario("llama-3.1-8b", "l40s", gpus=1, batch_sizes=[32])
    found = {r.key: r for r in rows(a, b, 32)}
    a32 = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, batch_sizes=[32]).run()
    assert found["ttft_s"].a == pytest.approx(float(a32.ttft_s[0]))


def test_a_scenario_against_itself_is_even() -> None:
    s = make_scenario("mixtral-8x7b", "h100-sxm", gpus=2)
    assert all(math.isclose(r.ratio, 1.0) for r in rows(s, s, 16) if not math.isnan(r.ratio))
    table = side_by_side_table(s, s, 16)
    assert "1.00x" in table
    assert not any(line.rstrip().endswith((" A", " B")) for line in table.splitlines()[4:])


def test_serving_loads_compare_at_the_same_concurrency() -> None:
    a = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, load="concurrency", concurrency=(8, 32))
    b = make_scenario(
        "llama-3.1-8b", "h100-sxm", gpus=1, load="concurrency", concurrency=(8, 32), engine="trtllm"
    )
    found = {r.key: r for r in rows(a, b, 32)}
    own = a.run()
    loads = np.asarray(own.load).ravel()
    assert found["tpot_s"].a == pytest.approx(float(own.tpot_s[list(loads).index(32)]))


def test_another_load_kind_is_taken_at_its_own_middle_point() -> None:
    a = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, batch_sizes=[1, 4, 16, 64, 256])
    b = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, load="concurrency", concurrency=(8, 32))
    sbs = side_by_side(a, b, 32)
    assert not sbs.same_axis and sbs.load_of("b") == 32
    fitting = [x for x, ok in zip([1, 4, 16, 64, 256], a.run().fits.tolist(), strict=True) if ok]
    assert sbs.load_of("a") == fitting[len(fitting) // 2]
    assert "no shared load" in side_by_side_table(a, b, 32).splitlines()[2]


def test_a_rate_of_all_at_once_meets_its_like() -> None:
    a = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, load="rate", rates=(1.0, 4.0, math.inf))
    b = make_scenario("llama-3.1-8b", "l40s", gpus=1, load="rate", rates=(2.0, math.inf))
    sbs = side_by_side(a, b, math.inf)
    assert sbs.load_of("a") == math.inf and sbs.load_of("b") == math.inf
    data = side_by_side_dict(a, b, math.inf)
    json.dumps(jsonable(data), allow_nan=False)  # strict JSON: no Infinity token
