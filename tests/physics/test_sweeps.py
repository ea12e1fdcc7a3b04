"""Context sweep and the boundness grid."""

from __future__ import annotations

import numpy as np
import pytest
from support import make_scenario

from engine.physics.specs import GPUSpec, ModelSpec
from engine.physics.sweeps import boundness, context_sweep
from engine.scenario.axes import batch_ladder, format_batch_sizes, parse_batch_sizes


def test_batch_sizes_as_a_range_or_a_list() -> None:
    assert batch_ladder(512) == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
    assert batch_ladder(100)[-2:] == (64, 100)
    assert parse_batch_sizes("1..512") == parse_batch_sizes("max:512") == batch_ladder(512)
    assert parse_batch_sizes("512") == (512,)  # one number is one batch (it was a maximum)
    assert parse_batch_sizes("8, 1,2,2") == (1, 2, 8)
    assert format_batch_sizes(batch_ladder(512)) == "1..512"
    assert format_batch_sizes((1, 3, 7)) == "1,3,7"
    for bad in ("", "1,x", "0", "1,0"):
        with pytest.raises(ValueError, match="batch sizes"):
            parse_batch_sizes(bad)


def test_boundness_matches_the_article(llama70: ModelSpec, h100: GPUSpec) -> None:
    """Prefill of 2,048 tokens is compute-bound at batch 1, decoding one sequence memory-bound.
    Decode turns compute-bound only at short contexts and large batches: at 2,048 tokens each
    sequence's KV cache (168 MB per GPU) outweighs its FLOPs (3.6e10 per GPU, worth 109 MB at the
    H100's 295 FLOPs/byte), so no batch makes it compute-bound."""
    s = make_scenario(llama70, h100, gpus=4, mode="ideal")
    g = boundness(s, [1, 64, 4096], [128, 2048])
    assert g.prefill_compute_bound[0, 1]
    assert not g.decode_compute_bound[0, 1]
    assert g.decode_compute_bound[2, 0] and not g.decode_compute_bound[1, 0]
    assert 64 < g.decode_boundary[0] < 4096
    assert g.decode_boundary[1] == np.inf
    assert not g.decode_compute_bound[2, 1]


def test_boundary_separates_the_grid(llama8: ModelSpec, h100: GPUSpec) -> None:
    s = make_scenario(llama8, h100, gpus=1, mode="ideal")
    batches, contexts = np.arange(1, 257), np.linspace(16, 8192, 64)
    g = boundness(s, batches, contexts)
    for j in range(len(contexts)):
        above = batches[:, None][:, 0] > g.decode_boundary[j] * (1 + 1e-9)
        below = batches < g.decode_boundary[j] * (1 - 1e-9)
        assert np.all(g.decode_compute_bound[above, j])
        assert not np.any(g.decode_compute_bound[below, j])


def test_decode_compute_time_is_flops_over_peak(llama8: ModelSpec, h100: GPUSpec) -> None:
    """Llama 3.1 8B (hidden 4096, 32 layers, 32 heads, 8 KV heads of 128, MLP 14336, vocabulary
    128256): one decode token costs 2 x its matmul parameters, the article's elementwise terms
    (4 h + 6 q per layer), the LM head, and per attended position 4 q + 5 heads per layer."""
    s = make_scenario(llama8, h100, gpus=1, mode="ideal")
    g = boundness(s, [32], [1000])
    h, layers = 4096, 32
    matmul = layers * (2 * h * h + 2 * h * 1024 + 3 * h * 14336)  # q, o; k, v; the MLP
    a = 2 * matmul + layers * (4 * h + 6 * h) + 2 * h * 128256
    b = layers * (4 * h + 5 * 32)
    assert (a, b) == (15_010_627_584, 529_408)
    assert g.decode_compute_s[0, 0] == pytest.approx(32 * (a + b * 1000) / 989.4e12, rel=1e-12)


def test_context_sweep_kv_overtakes_weights(llama70: ModelSpec, h100: GPUSpec) -> None:
    """The article's Fig. 11/15: at batch 8 the KV cache passes the weights' size somewhere
    between 8k and 128k tokens of context; time per token rises with context."""
    s = make_scenario(llama70, h100, gpus=4, output_tokens=100)
    sweep = context_sweep(s, 8, s.output_tokens, [1000, 8000, 64000, 120000])
    kv_per_gpu = 8 * (np.array([1000, 8000, 64000, 120000]) + 100) * 327_680 / 4
    assert sweep.kv_bytes == pytest.approx(kv_per_gpu)
    assert sweep.kv_bytes[1] < sweep.weight_bytes < sweep.kv_bytes[-1]
    assert np.all(np.diff(sweep.step_s) > 0)
    assert np.all(np.diff(sweep.run.ttft_s) > 0)
