"""Engine profiles as files: the built-in ones, a user's own, and the bad files that are refused
(named, with the reason) without hiding the others."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import make_scenario

from engine.physics.deployment import EngineSettings
from engine.scenario.engines import DEFAULT_ENGINE
from engine.scenario.factors import SETTING_BY_FIELD
from engine.storage.catalog import builtin_catalog, default_catalog

BUILTIN = ("vllm-v0", "vllm", "sglang", "trtllm", "llamacpp", "llamacpp-metal")


def test_the_builtin_engines_load_and_say_where_each_setting_is_from() -> None:
    cat = builtin_catalog()
    assert cat.errors == []
    assert sorted(cat.engines) == sorted(BUILTIN)
    for name in BUILTIN:
        e = cat.engine(name)
        assert e.title
        assert e.fitted_on or not e.fitted
        assert set(e.settings) <= set(SETTING_BY_FIELD)
        assert set(e.settings) <= set(e.sources), f"{name}: a setting without its source"
    assert cat.engine(DEFAULT_ENGINE).settings == {}  # vLLM V0 is EngineSettings()


def test_engine_settings_reach_the_scenario() -> None:
    """What the research of each engine's source found (presets/engines/*.toml sources)."""
    e = {n: make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, engine=n).engine for n in BUILTIN}
    assert e["vllm-v0"] == EngineSettings()
    assert (e["vllm"].max_num_seqs, e["vllm"].max_batched_tokens) == (1024, 8192)
    assert e["vllm"].chunked_prefill and e["vllm"].graph_max_tokens == 512
    assert not e["sglang"].chunked_prefill and e["sglang"].block_size == 1
    assert e["trtllm"].kv_reserve == 1.0 and e["trtllm"].kv_of_free
    assert e["llamacpp"].max_num_seqs == 4 and e["llamacpp"].graph_max_tokens == 1


def test_trtllm_sizes_its_cache_from_the_memory_the_weights_leave() -> None:
    """kv_cache_free_gpu_mem_fraction: 0.9 of (80 GB less the weights), not 0.9 of 80 GB less
    them: on a 70B model in fp8 on one H100 the difference is a factor of about 2."""
    from engine.physics.memory import memory_plan

    trt = make_scenario("llama-3.1-70b", "h100-sxm", gpus=1, weight_dtype="fp8", engine="trtllm")
    vllm = make_scenario("llama-3.1-70b", "h100-sxm", gpus=1, weight_dtype="fp8", engine="vllm")
    p_trt, p_vllm = memory_plan(trt, 1000), memory_plan(vllm, 1000)
    capacity = trt.gpu.memory_bytes
    free = capacity - p_trt.weights_bytes - p_trt.reserve_bytes
    assert p_trt.kv_budget_bytes == pytest.approx(0.9 * free, rel=1e-9)
    assert p_vllm.kv_budget_bytes == pytest.approx(0.9 * capacity - (capacity - free), rel=1e-9)
    assert p_trt.kv_budget_bytes > 1.5 * p_vllm.kv_budget_bytes


def _write(home: Path, name: str, text: str) -> Path:
    folder = home / "engines"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


GOOD = """schema = 1
name = "mine"
title = "my fork"
[settings]
max_num_seqs = 48
chunked_prefill = true
[sources]
max_num_seqs = "our launcher"
chunked_prefill = "our launcher"
[efficiency]
step_overhead_ms = 3.0
"""


def test_a_user_engine_is_used_by_name(home: Path) -> None:
    _write(home, "mine", GOOD)
    cat = default_catalog(reload=True)
    assert cat.errors == []
    s = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, engine="mine")
    assert s.engine.max_num_seqs == 48 and s.engine.chunked_prefill
    assert s.efficiency.step_overhead_s == pytest.approx(3e-3)
    assert s.engine_name == "mine"


BAD = [
    ("mine", GOOD.replace("max_num_seqs = 48", "max_num_seqs = 0"), "field 'max_num_seqs'"),
    ("mine", GOOD.replace("max_num_seqs = 48", "max_seqs = 4"), "unknown field 'max_seqs'"),
    ("mine", GOOD.replace('title = "my fork"', 'title = "a\\u001b[31mred"'), "U+001B"),
    ("mine", GOOD.replace('"our launcher"', '"x\\u202e"', 1), "U+202E"),
    ("mine", GOOD.replace("step_overhead_ms = 3.0", "step_overhead_ms = -1"), "step_overhead"),
    ("other", GOOD, "field 'name' is 'mine', the file is 'other'"),
    ("vllm-v0", GOOD.replace('"mine"', '"vllm-v0"'), "'vllm-v0' is built in"),
    ("mine", GOOD.replace("schema = 1", "schema = 9"), "schema 9 is newer"),
    ("mine", "schema = 1\nname = [", "mine.toml"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD)
def test_a_bad_engine_file_is_named_and_hides_nothing(
    home: Path, name: str, text: str, message: str
) -> None:
    path = _write(home, name, text)
    cat = default_catalog(reload=True)
    assert len(cat.errors) == 1 and message in cat.errors[0] and str(path) in cat.errors[0]
    assert sorted(cat.engines) == sorted(BUILTIN)  # the built-in ones all there
