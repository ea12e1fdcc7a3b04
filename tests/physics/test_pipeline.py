"""Pipeline and expert parallelism against first principles and a brute-force pipeline.

The pipeline reference is an event-by-event simulation of pp stages: micro-batches walk through
the stages in order, a stage serves one at a time, the activations take a hop between stages,
and a micro-batch's next token starts only when its last one left the last stage (decode is
autoregressive). Its steady period per round is what the analytical step must give.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import InputError
from engine.physics import arch
from engine.physics.memory import memory_plan
from engine.physics.roofline import link_for
from engine.physics.step import StepCost
from engine.storage.catalog import Catalog
from tests.support import make_scenario


def _pipeline_period(stage_s: float, hop_s: float, stages: int, micro: int, rounds: int) -> float:
    """Simulated time per round of ``micro`` micro-batches through ``stages`` stages."""
    free = [0.0] * stages  # when each stage is next free
    ready = [0.0] * micro  # when each micro-batch may enter stage 1 again
    finished = []
    for _ in range(rounds):
        for i in range(micro):  # stage 1 takes the micro-batches in order, then each stage
            t = ready[i]
            for k in range(stages):
                start = max(t, free[k])
                free[k] = start + stage_s
                t = free[k] + (hop_s if k < stages - 1 else 0.0)
            ready[i] = t
        finished.append(max(ready))
    half = rounds // 2
    return (finished[-1] - finished[half]) / (rounds - 1 - half)


def _decode_step(s: object, batch: float, context: float) -> float:
    cost = StepCost(s)  # type: ignore[arg-type]
    return float(cost.decode(np.array(batch), np.array(context), np.array(1.0)).time)


@pytest.mark.parametrize(("pp", "batch"), [(2, 1), (2, 2), (2, 8), (4, 2), (4, 4), (4, 16), (6, 6)])
def test_decode_round_matches_a_simulated_pipeline(pp: int, batch: int) -> None:
    one = make_scenario("llama-2-7b", "rtx-3090", gpus=1, mode="ideal")
    staged = make_scenario("llama-2-7b", "rtx-3090", gpus=pp, pp=pp, mode="ideal")
    micro = min(batch, pp)
    per_micro = batch / micro
    # a stage runs a pp-th of the layers: a pp-th of the one-GPU step of one micro-batch
    stage_s = _decode_step(one, per_micro, 512) / pp
    link = link_for(staged.gpu, pp)
    hop_s = link.latency + per_micro * 4096 * 2 / link.bandwidth  # one micro-batch's activations
    period = _pipeline_period(stage_s, hop_s, pp, micro, rounds=60)
    assert _decode_step(staged, batch, 512) == pytest.approx(period, rel=1e-9)


def test_batch_one_decode_gets_slower_with_every_stage() -> None:
    # llama.cpp's layer split: one sequence walks through the GPUs one after another
    times = [
        _decode_step(make_scenario("llama-2-7b", "rtx-3090", gpus=n, pp=n, mode="ideal"), 1, 512)
        for n in (1, 2, 3, 6)
    ]
    assert times == sorted(times) and times[0] < times[-1]


def test_enough_sequences_fill_the_pipeline() -> None:
    # compute-bound prefill-sized micro-batches: pp stages divide the per-sequence work
    one = make_scenario("llama-2-7b", "h100-sxm", gpus=1, mode="ideal")
    four = make_scenario("llama-2-7b", "h100-sxm", gpus=4, pp=4, mode="ideal")
    big = 4096.0
    assert _decode_step(four, big, 512) < 0.3 * _decode_step(one, big, 512)


def test_memory_per_gpu_is_a_stage(catalog: Catalog) -> None:
    m = catalog.model("llama-2-70b")
    # a layer: q, o (8192^2 each), k, v (8192 x 1024), gate/up/down (3 x 8192 x 28672), 2 norms
    layer = 2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192
    embedding = 32000 * 8192  # the first stage's table; the last holds the LM head, as large
    stage = 40 * layer + embedding + 8192 // 2  # half the final norm (norms are shared out)
    assert arch.weights_per_gpu_bytes(m, 1, "bf16", pp=2) == pytest.approx(stage * 2, rel=1e-9)
    assert arch.kv_bytes_per_token(m, "bf16", 1, pp=2) == 2 * 40 * 8 * 128 * 2
    assert arch.kv_bytes_per_token(m, "bf16", 1, pp=3) == 2 * 27 * 8 * 128 * 2  # ceil(80 / 3)
    s = make_scenario("llama-2-70b", "a100-80gb", gpus=4, tp=2, pp=2)
    assert memory_plan(s, 4096).weights_bytes == pytest.approx(
        arch.weights_per_gpu_bytes(m, 2, "bf16", pp=2)
    )


def test_layouts_are_checked() -> None:
    s = make_scenario("llama-2-7b", "rtx-3090", gpus=6, pp=3)
    assert (s.tp, s.pp, s.replicas) == (2, 3, 1)
    with pytest.raises(InputError, match="multiple of PP"):
        make_scenario("llama-2-7b", "rtx-3090", gpus=6, pp=4)
    with pytest.raises(InputError, match="more pipeline stages than the 32 layers"):
        make_scenario("llama-2-7b", "rtx-3090", gpus=33, pp=33)
    with pytest.raises(InputError, match="not a mixture of experts"):
        make_scenario("llama-2-7b", "h100-sxm", gpus=8, ep=8)
    with pytest.raises(InputError, match="multiple of TP"):
        make_scenario("mixtral-8x7b", "h100-sxm", gpus=8, tp=4, ep=2)
    with pytest.raises(InputError, match="does not divide the 8 experts"):
        make_scenario("mixtral-8x7b", "h100-sxm", gpus=12, tp=1, ep=12)


def test_expert_parallel_memory_holds_a_share_of_the_experts(catalog: Catalog) -> None:
    m = catalog.model("deepseek-v3")
    c = arch.param_counts(m)
    ep8 = arch.weights_per_gpu_bytes(m, 1, "fp8", ep=8)
    # everything but the routed experts whole on each GPU (attention is data-parallel), 1/8 of
    # them; matmuls in fp8 (1 byte), the embedding, LM head and norms in 16 bits
    matmuls = c.linear - c.routed + c.routed / 8
    assert ep8 == pytest.approx(matmuls + 2 * (c.embedding + c.lm_head + c.norms), rel=1e-9)
    assert arch.weights_per_gpu_bytes(m, 8, "fp8") < ep8 < arch.weights_per_gpu_bytes(m, 1, "fp8")


def test_expert_parallel_swaps_the_moe_all_reduce_for_all_to_alls() -> None:
    tp8 = make_scenario("qwen3-30b-a3b", "h100-sxm", gpus=8, mode="ideal")
    ep8 = make_scenario("qwen3-30b-a3b", "h100-sxm", gpus=8, tp=1, ep=8, mode="ideal")
    link = tp8.gpu.interconnect
    tokens = 64.0
    # TP 8: two ring all-reduces of the tokens' hidden states in every one of the 48 layers
    ring = 2 * 7 / 8 * tokens * 2048 * 2 / link.bandwidth + 2 * 7 * link.latency
    assert float(StepCost(tp8).comm_per_step(np.array(tokens))) == pytest.approx(96 * ring)
    # EP 8, TP 1: no all-reduce; each MoE layer sends the tokens' 8 copies out and back
    a2a = 7 / 8 * tokens * 8 * 2048 * 2 / link.bandwidth + 7 * link.latency
    assert float(StepCost(ep8).comm_per_step(np.array(tokens))) == pytest.approx(96 * a2a)


def _brute_force_busiest(e: int, k: int, ep: int, tokens: int, trials: int, seed: int) -> float:
    """Route ``tokens`` tokens to k distinct experts of e at random; experts e/ep to a GPU, in
    order; the most distinct experts any GPU runs, averaged."""
    rng = np.random.default_rng(seed)
    most = []
    for _ in range(trials):
        picks = np.argsort(rng.random((tokens, e)), axis=1)[:, :k]
        touched = np.zeros(e, dtype=bool)
        touched[picks.ravel()] = True
        most.append(touched.reshape(ep, e // ep).sum(axis=1).max())
    return float(np.mean(most))


@pytest.mark.parametrize("tokens", [1, 4, 16, 64, 256])
def test_the_busiest_expert_parallel_gpu_matches_random_routing(
    catalog: Catalog, tokens: int
) -> None:
    model = catalog.model("deepseek-v3")  # 256 experts, 8 a token, over 8 GPUs
    brute = _brute_force_busiest(256, 8, 8, tokens, trials=400, seed=tokens)
    assert arch.busiest_gpu_experts(model, tokens, 8) == pytest.approx(brute, rel=0.06)


def test_expert_parallel_reads_more_than_tensor_parallel_at_small_batch(
    catalog: Catalog,
) -> None:
    # the same 8 GPUs: at batch 1 the busiest EP GPU reads more than its mean share
    m = catalog.model("qwen3-235b-a22b")
    ep = arch.decode_weight_read_bytes(m, 1, "bf16", 1, ep=8)
    tp = arch.decode_weight_read_bytes(m, 8, "bf16", 1)
    c = arch.param_counts(m)
    routed_ep = ep - (
        arch.weights_per_gpu_bytes(m, 1, "bf16", ep=8) - c.embedding * 2 - c.routed * 2 / 8
    )
    routed_tp = tp - (
        arch.weights_per_gpu_bytes(m, 8, "bf16") - c.embedding * 2 / 8 - c.routed * 2 / 8
    )
    assert routed_ep > 1.5 * routed_tp  # the k = 8 experts do not land one per GPU
