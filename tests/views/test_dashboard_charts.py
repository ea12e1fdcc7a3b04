"""The numbers the charts draw that the run does not hold as such: the time per output token split
by resource (its height is the run's TPOT, waves included), the longest prompt with which the
selected batch fits in the KV cache, and the KV wall over the context. Each is checked against the
engine's own figures (the run, :func:`memory_plan`), never against numbers of the code itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from support import make_scenario

from engine.physics.memory import memory_plan
from engine.scenario.workload import StaticBatch
from engine.views.dashboard import build, decode_step, kv_wall_batch, max_prompt_tokens

BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def _article(mode: str = "realistic", **fields: object):  # type: ignore[no-untyped-def]
    s = make_scenario(
        "llama-3.3-70b",
        "h100-sxm",
        gpus=4,
        input_tokens=2035,
        output_tokens=300,
        mode=mode,
        batch_sizes=BATCHES,
        **fields,
    )
    other = make_scenario(
        "llama-3.3-70b",
        "h100-sxm",
        gpus=4,
        input_tokens=2035,
        output_tokens=300,
        mode="ideal" if mode == "realistic" else "realistic",
        batch_sizes=BATCHES,
        **fields,
    )
    return s, other


@pytest.mark.parametrize("mode", ["realistic", "ideal"])
def test_the_step_is_the_time_per_output_token(mode: str) -> None:
    """max(compute, memory) + comm + overhead is the run's TPOT at every batch, the batches past
    the KV wall (realistic: they run in waves, the last one smaller) included."""
    s, other = _article(mode)
    d = build(s, other)
    st = d.step
    np.testing.assert_allclose(st.time_s, d.run.tpot_s, rtol=1e-6)
    if mode == "realistic":
        assert np.asarray(d.run.waves).max() > 1  # the waves are part of the check
    # the overlapped side adds nothing: the sum of every part is more than the step
    everything = st.compute_s + st.memory_s + st.comm_s + st.overhead_s
    assert np.all(everything > st.time_s)
    np.testing.assert_allclose(everything - st.time_s, st.hidden_s, rtol=1e-9)


def test_a_compute_bound_step_hides_its_memory_reads() -> None:
    s = make_scenario(
        "llama-3.1-8b",
        "a100-80gb",
        gpus=1,
        input_tokens=128,
        output_tokens=64,
        batch_sizes=[1, 64, 256, 1024],
    )
    r = s.run()
    st = decode_step(s, r)
    bound = np.asarray(r.decode_bound) == "compute"
    assert bound.any() and not bound.all()
    np.testing.assert_array_equal(st.compute_bound, bound)
    np.testing.assert_allclose(st.hidden_s[bound], st.memory_s[bound])
    np.testing.assert_allclose(st.time_s, r.tpot_s, rtol=1e-6)


def test_the_context_wall_is_where_memory_plan_stops_fitting_the_batch() -> None:
    s, other = _article()
    d = build(s, other)
    assert d.batch == 16
    wall, out = d.context_wall, s.output_tokens
    # memory_plan, asked for a sequence of the wall's prompt and output: 16 fit; one token more
    # and fewer do
    assert memory_plan(s, wall + out).max_seqs_per_replica >= 16
    assert memory_plan(s, wall + 1 + out).max_seqs_per_replica < 16
    # and the runs agree: a prompt of 30,000 tokens fits 16 at once, one of 40,000 runs in 2 waves
    for prompt, waves in ((30_000, 1), (40_000, 2)):
        wl = StaticBatch(input_tokens=prompt, output_tokens=out, batch_sizes=(16,))
        r = replace(s, workload=wl).run()
        assert (bool(r.fits[0]), int(r.waves[0])) == (waves == 1, waves)
    assert 30_000 <= wall < 40_000


def test_max_prompt_tokens_counts_whole_blocks() -> None:
    s, _ = _article()
    plan = memory_plan(s, s.context_tokens)
    block = s.engine.block_size
    for seqs in (1, 16, 211):
        wall = max_prompt_tokens(plan, seqs, s.output_tokens, block)
        assert (wall + s.output_tokens) % block == 0
        assert memory_plan(s, wall + s.output_tokens).max_seqs_per_replica >= seqs
        assert memory_plan(s, wall + s.output_tokens + 1).max_seqs_per_replica < seqs
    assert max_prompt_tokens(plan, 0, s.output_tokens, block) == 0


def test_the_kv_wall_over_the_context_is_memory_plans_largest_batch() -> None:
    s, _ = _article()
    contexts = [512, 2335, 8192, 100_000]
    plan = memory_plan(s, s.context_tokens)
    wall = kv_wall_batch(plan, contexts, s.engine.block_size)
    assert wall.tolist() == [memory_plan(s, c).max_batch for c in contexts]
    assert wall[1] == plan.max_batch  # the scenario's own length: the summary's "fits 211"


def test_a_serving_step_adds_what_the_prompts_cost() -> None:
    """A serving load's steps carry prompt chunks: what the decode parts leave of the ITL."""
    s = make_scenario(
        "llama-3.1-8b",
        "h100-sxm",
        gpus=1,
        load="concurrency",
        concurrency=(1, 8, 32, 128, 512),
        input_tokens=1000,
        output_tokens=200,
    )
    r = s.run()
    st = decode_step(s, r)
    assert np.all(st.prompts_s >= 0)
    assert st.prompts_s.max() > 0
    over = st.prompts_s > 0
    np.testing.assert_allclose(st.time_s[over], np.asarray(r.tpot_s)[over], rtol=1e-9)


def test_pipeline_stages_hops_are_in_the_step() -> None:
    """llama.cpp's layer split over three GPUs: a round walks through the stages, and the hops
    between them (left out of the run's own split) are in the step as communication."""
    s = make_scenario(
        "llama-2-7b",
        "rtx-3090",
        gpus=3,
        tp=1,
        pp=3,
        engine="llamacpp",
        weight_dtype="q4_0",
        kv_dtype="fp16",
        input_tokens=16,
        output_tokens=1024,
        batch_sizes=[1, 2, 3, 4],
    )
    r = s.run()
    st = decode_step(s, r)
    np.testing.assert_allclose(st.time_s, r.tpot_s, rtol=1e-6)
    assert np.all(st.comm_s > np.asarray(r.step_comm_s))  # the hops
