"""Preset schema 2 (the workload table with its kind, ``[engine]``) and schema 1 (the files of
tokentui before it), which still load: the built-in presets as they were shipped in schema 1
(kept in tests/data/presets-v1) give the scenarios of today's built-ins."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import DATA, make_scenario

from engine.errors import InputError
from engine.physics.deployment import IDEAL
from engine.storage.presets import builtin_names, load_file, load_preset, preset_to_toml

V1 = sorted((DATA / "presets-v1").glob("*.toml"))


#: Built-ins added after schema 2: no schema 1 copy of them was ever shipped.
SCHEMA_2_ONLY = ("deepseek-v3-8xh200", "llama-2-7b-3x3090-llamacpp")


def test_the_schema_1_copies_are_the_shipped_presets() -> None:
    assert [p.stem for p in V1] == [n for n in builtin_names() if n not in SCHEMA_2_ONLY]
    assert all("schema = 1" in p.read_text() for p in V1)


@pytest.mark.parametrize("path", V1, ids=lambda p: p.stem)
def test_schema_1_files_load_as_the_same_scenario(path: Path) -> None:
    old = load_file(path)
    new = load_preset(path.stem)
    assert new.builtin and "schema = 2" in (new.path or Path()).read_text()
    assert old.scenario == new.scenario
    assert (old.name, old.chart, old.description) == (new.name, new.chart, new.description)


def test_schema_1_serving_table_is_the_engine_settings(home: Path) -> None:
    text = (DATA / "presets-v1" / "rtx-4060-local.toml").read_text()
    assert "[serving]\nmax_batched_tokens = 512" in text
    assert (
        load_file(DATA / "presets-v1" / "rtx-4060-local.toml").scenario.engine.max_batched_tokens
        == 512
    )
    bad = home / "bad.toml"
    bad.write_text(text.replace("max_batched_tokens = 512", "max_batched_tokens = 0"))
    with pytest.raises(InputError, match=r"\[serving\]: field 'max_batched_tokens' must be from 1"):
        load_file(bad)
    bad.write_text(text.replace("[serving]", "[engine]"))
    with pytest.raises(InputError, match=r"unknown field 'engine' \(accepted: .*serving"):
        load_file(bad)


def test_saved_files_are_schema_2_with_the_workload_kind(home: Path) -> None:
    from engine.storage.presets import Preset

    real = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, batch_sizes=[1, 8])
    data = tomllib.loads(preset_to_toml(Preset(name="x", scenario=real)))
    assert data["schema"] == 2
    assert data["workload"] == {
        "kind": "static",
        "input_tokens": 2035,
        "output_tokens": 300,
        "batch_sizes": [1, 8],
    }
    assert data["engine"]["name"] == "vllm-v0"  # the engine profile
    assert set(data["engine"]) == {
        "name",
        "memory_utilization",
        "max_num_seqs",
        "max_batched_tokens",
        "block_size",
        "runtime_reserve_gib",
        "graph_max_context",
        "graph_max_tokens",
        "chunked_prefill",
        "kv_reserve",
        "kv_of_free",
    }
    assert data["engine"]["chunked_prefill"] is False  # a TOML boolean
    assert data["efficiency"]["compute"] == real.efficiency.compute
    ideal = make_scenario("llama-3.1-8b", "h100-sxm", gpus=1, mode="ideal")
    data = tomllib.loads(preset_to_toml(Preset(name="y", scenario=ideal)))
    assert "efficiency" not in data  # ideal mode has no factors
    path = home / "y.toml"
    path.write_text(preset_to_toml(Preset(name="y", scenario=ideal)))
    assert load_file(path).scenario.efficiency == IDEAL


def test_an_unknown_workload_kind_is_refused_with_the_kinds(home: Path) -> None:
    text = (DATA / "presets-v1" / "llama-8b-1xh100.toml").read_text()
    path = home / "kind.toml"
    path.write_text(
        text.replace("schema = 1", "schema = 2").replace("[workload]", '[workload]\nkind = "queue"')
    )
    with pytest.raises(
        InputError, match=r"\[workload\]: field 'kind' is 'queue', not one of the accepted: static"
    ):
        load_file(path)
