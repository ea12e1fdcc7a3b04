"""``models import`` of mixture-of-experts configs: the real config.json of each MoE model in the
built-in catalog (``tests/data/hf_configs/``, as published on Hugging Face) reads back as that
catalog entry, field by field; a dense family's config with experts, an unknown family and the
configs tokentui cannot read (dense layers among the expert ones, a missing field) are refused
with the fields named."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import run_cli
from test_catalog import ISSUE_11_MOE

from engine.errors import InputError
from engine.physics.arch import param_counts, parameter_count
from engine.storage.catalog import Catalog, default_catalog
from engine.storage.hfconfig import MOE_FAMILIES, import_hf_config, model_from_hf_config

CONFIGS = Path(__file__).resolve().parent.parent / "data" / "hf_configs"
#: Catalog id -> its config.json's fixture; each is the built-in model of that id.
BUILTIN = ISSUE_11_MOE
#: What an import may differ in from the built-in entry.
NOT_COMPARED = {"id", "name", "source", "aliases"}


def config(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CONFIGS / f"{name}.json").read_text())
    return data


def read(data: dict[str, Any], model_id: str = "imported") -> Any:
    return model_from_hf_config(data, "config.json", model_id, model_id)


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(InputError) as info:
        read(data)
    return str(info.value)


@pytest.mark.parametrize("model_id", BUILTIN)
def test_each_config_reads_as_its_catalog_model(catalog: Catalog, model_id: str) -> None:
    model = read(config(model_id), f"my-{model_id}")
    builtin = catalog.model(model_id)
    for f in dataclasses.fields(builtin):
        if f.name not in NOT_COMPARED:
            assert getattr(model, f.name) == getattr(builtin, f.name), f.name
    assert model.is_moe and model.family in MOE_FAMILIES
    assert parameter_count(model) == parameter_count(builtin)
    assert param_counts(model).active == param_counts(builtin).active


def test_the_written_file_reads_back_as_the_same_model(home: Path, catalog: Catalog) -> None:
    model, written = import_hf_config(CONFIGS / "deepseek-v3.json", "my-deepseek")
    assert written == home / "models" / "my-deepseek.toml"
    again = default_catalog(reload=True).model("my-deepseek")
    assert again == model
    builtin = catalog.model("deepseek-v3")
    assert (again.kv_lora_rank, again.q_lora_rank, again.head_dim) == (512, 1536, 192)
    assert (again.dense_layers, again.shared_expert_size, again.router_bias) == (3, 2048, True)
    assert parameter_count(again) == parameter_count(builtin)


def test_qwen2_moe_has_qkv_biases_and_a_gated_shared_expert() -> None:
    model = read(config("qwen1.5-moe-a2.7b"))
    assert (model.family, model.attention_bias) == ("qwen2_moe", True)
    assert (model.num_experts, model.experts_per_token) == (60, 4)
    assert (model.moe_intermediate_size, model.shared_expert_size) == (1408, 5632)
    # per layer: q, k, v 2048x2048 with biases, o 2048x2048; 60 experts of 3 x 2048 x 1408, the
    # shared expert 3 x 2048 x 5632, the router 2048 x 60 and the shared expert's gate 2048 x 1;
    # two norms; embeddings and LM head 151936 x 2048; the final norm
    h = 2048
    layer = 3 * (h * h + h) + h * h + 60 * 3 * h * 1408 + 3 * h * 5632 + h * 60 + h + 2 * h
    expected = 24 * layer + 2 * 151936 * h + h
    assert expected == 14_315_784_192  # Qwen1.5-MoE-A2.7B's published count
    assert parameter_count(model) == expected


def test_gpt_oss_takes_either_name_of_the_experts_per_token() -> None:
    data = config("gpt-oss-20b")
    for drop in ("experts_per_token", "num_experts_per_tok"):
        only = {k: v for k, v in data.items() if k != drop}
        assert read(only).experts_per_token == 4
    message = refusal(data | {"experts_per_token": 2})
    assert "'experts_per_token' (is 2, but 'num_experts_per_tok' is 4)" in message


def test_quantised_checkpoints() -> None:
    assert read(config("gpt-oss-120b")).dtype == "mxfp4"  # torch_dtype says bfloat16
    assert read(config("deepseek-v3")).dtype == "fp8"
    unquantised = {k: v for k, v in config("deepseek-v3").items() if k != "quantization_config"}
    assert read(unquantised).dtype == "bf16"
    awq = config("mixtral-8x7b") | {"quantization_config": {"quant_method": "awq", "bits": 4}}
    message = refusal(awq)
    assert "'quantization_config' (quant_method is 'awq'; accepted: fp8, mxfp4" in message
    assert "--weight-dtype" in message


@pytest.mark.parametrize(
    "experts",
    [{"num_experts": 64}, {"num_local_experts": 8}, {"n_routed_experts": 256}],
)
def test_a_dense_family_with_experts_is_never_read_as_dense(experts: dict[str, Any]) -> None:
    data = config("qwen1.5-moe-a2.7b") | {"model_type": "qwen2"} | experts
    message = refusal(data)
    assert "mixture-of-experts config" in message and "never reads one as a dense model" in message
    assert f"{next(iter(experts))} {next(iter(experts.values()))}" in message
    assert "model_type 'qwen2', a dense family" in message
    assert "qwen2_moe" in message  # where such a model is read


def test_an_unknown_family_lists_the_accepted_ones() -> None:
    message = refusal(config("mixtral-8x7b") | {"model_type": "phi3"})
    assert "field 'model_type' is 'phi3', not a family tokentui reads" in message
    accepted = message.split("accepted: ")[1]
    for family in ("llama", "qwen2", "gemma2", *MOE_FAMILIES):
        assert family in accepted


def test_a_missing_field_is_named() -> None:
    data = {k: v for k, v in config("deepseek-v3").items() if k != "kv_lora_rank"}
    message = refusal(data)
    assert "cannot read field 'kv_lora_rank' (missing) ('model_type' is 'deepseek_v3'" in message
    data = {k: v for k, v in config("mixtral-8x7b").items() if k != "num_local_experts"}
    assert "'num_local_experts' (missing)" in refusal(data)


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("qwen3-30b-a3b", {"mlp_only_layers": [0]}, "'mlp_only_layers' (is [0]: tokentui assumes"),
        ("qwen1.5-moe-a2.7b", {"decoder_sparse_step": 2}, "'decoder_sparse_step' (is 2: only 1"),
        ("deepseek-v3", {"moe_layer_freq": 2}, "'moe_layer_freq' (is 2: only 1 is read"),
        ("qwen3-30b-a3b", {"num_experts": 1}, "'num_experts' (must be an integer, 2 or more"),
        ("qwen3-30b-a3b", {"num_experts_per_tok": "8"}, "'num_experts_per_tok' (must be a posit"),
        ("deepseek-v3", {"n_shared_experts": -1}, "'n_shared_experts' (must be a whole number"),
        ("gpt-oss-20b", {"attention_bias": "yes"}, "'attention_bias' (must be true or false"),
        ("mixtral-8x7b", {"num_experts_per_tok": 9}, "experts_per_token (9) exceeds num_experts"),
        ("deepseek-v3", {"first_k_dense_replace": 62}, "dense_layers (62) exceeds num_layers"),
    ],
)
def test_configs_tokentui_cannot_read_are_refused(
    name: str, change: dict[str, Any], message: str
) -> None:
    assert message in refusal(config(name) | change)


def test_every_wrong_field_in_one_message() -> None:
    data = config("deepseek-v3") | {"kv_lora_rank": 0, "v_head_dim": None, "hidden_size": "7168"}
    message = refusal(data)
    assert message.startswith("config.json: cannot read fields 'hidden_size' (must be a positive")
    assert "'kv_lora_rank' (must be a positive integer, got 0)" in message
    assert "'v_head_dim' (must be a positive integer, got None)" in message


def test_a_null_q_lora_rank_is_a_full_rank_query() -> None:
    model = read(config("deepseek-v3") | {"q_lora_rank": None})
    assert model.q_lora_rank == 0 and model.is_mla
    full = parameter_count(model) - parameter_count(read(config("deepseek-v3")))
    # per layer: 7168 x (128 x 192) for the queries, not 7168 x 1536 + 1536 x (128 x 192) + norm
    assert full == 61 * (7168 * 128 * 192 - 7168 * 1536 - 1536 * 128 * 192 - 1536)


def test_cli_imports_a_moe_config_into_the_catalog(home: Path, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(home, *args)

    out = cli("models", "import", str(CONFIGS / "qwen3-30b-a3b.json"), "--id", "my-qwen3-moe")
    assert out.returncode == 0, out.stderr
    assert "as model 'my-qwen3-moe'" in out.stdout and "48 layers" in out.stdout
    assert (home / "models" / "my-qwen3-moe.toml").is_file()
    listed = cli("models")
    assert listed.returncode == 0 and "my-qwen3-moe" in listed.stdout, listed.stderr
    ids = [m["id"] for m in json.loads(cli("models", "--json").stdout)]
    assert "my-qwen3-moe" in ids and "qwen3-30b-a3b" in ids
