"""The presets command line, ``estimate --preset`` and ``models import`` (Hugging Face config.json).

Reference figures come from the models' own counts (the article's 70,553,706,496 parameters for
Llama 3.3 70B) or from first principles written out here, never from the code under test.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from support import run_cli

from engine.cli.main import main
from engine.errors import InputError
from engine.physics.arch import kv_bytes_per_token, parameter_count
from engine.storage.catalog import default_catalog
from engine.storage.hfconfig import import_hf_config
from engine.storage.presets import load_preset


def cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(home, *args)


def one_line_error(out: subprocess.CompletedProcess[str], *parts: str) -> str:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("tokentui: error: ") and "Traceback" not in out.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


# ------------------------------------------------------------------------------ presets


def test_list_shows_builtins_then_users_and_warns_about_bad_files(home: Path) -> None:
    folder = home / "presets"
    folder.mkdir(parents=True)
    exported = cli(home, "presets", "export", "llama-8b-1xh100")
    assert exported.returncode == 0
    (folder / "zz-mine.toml").write_text(exported.stdout)
    (folder / "broken.toml").write_text("schema = 1\n[hardware]\ngpus = 'many'\n")
    out = cli(home, "presets", "list")
    assert out.returncode == 0
    rows = [line.split()[:2] for line in out.stdout.splitlines()[1:] if line.strip()][:8]
    assert rows == [
        ["article-70b-4xh100", "built-in"],
        ["deepseek-v3-8xh200", "built-in"],
        ["llama-2-7b-3x3090-llamacpp", "built-in"],
        ["llama-8b-1xh100", "built-in"],
        ["long-context-16k", "built-in"],
        ["m3-ultra", "built-in"],
        ["rtx-4060-local", "built-in"],
        ["zz-mine", "user"],
    ]
    assert "Llama 3.1 8B on one H100 SXM" in out.stdout  # the description
    warnings = out.stderr.strip().splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith("tokentui: warning: skipped ")
    assert str(folder / "broken.toml") in warnings[0] and "missing field" in warnings[0]


def test_list_json(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json(capsys, "presets", "list", "--json")
    assert data["presets"][0]["name"] == "article-70b-4xh100"
    assert all(p["builtin"] for p in data["presets"]) and data["errors"] == []


def test_show_summarises_and_predicts(home: Path) -> None:
    out = cli(home, "presets", "show", "article-70b-4xh100")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    for part in (
        "article-70b-4xh100 (built-in)",
        "Llama 3.3 70B (llama-3.3-70b, catalog)",
        "4 x NVIDIA H100 SXM5 80GB (h100-sxm, catalog), TP 4",
        "2,035 in / 300 out",
        "batches 1, 2, 4, 8, 16, 32, 64, 128, 256, 512",
        "realistic",
        "$2.50 per GPU-hour, gamma 0.3",
        "chart      throughput",
        "at batch 128 (largest that fits at once: 211)",  # the README's 211
        "tok/s",
    ):
        assert part in text, part


def test_show_json_has_the_resolved_scenario(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json(capsys, "presets", "show", "rtx-4060-local", "--json")
    sc = data["scenario"]
    assert (sc["model"], sc["gpu"], sc["weight_dtype"]) == ("llama-3.1-8b", "rtx-4060", "int4")
    assert sc["serving"]["max_batched_tokens"] == 512 and data["builtin"] is True
    assert data["representative_point"]["fits"] is True


def test_export_import_round_trip(home: Path, tmp_path: Path) -> None:
    exported = cli(home, "presets", "export", "long-context-16k")
    assert exported.returncode == 0
    data = tomllib.loads(exported.stdout)
    assert data["schema"] == 2 and data["model"] == {"id": "llama-3.3-70b"}
    assert data["workload"]["input_tokens"] == 16_000 and data["workload"]["kind"] == "static"
    shared = tmp_path / "from-a-colleague.toml"
    shared.write_text(exported.stdout)
    # the file's own name is a built-in's: refused, with what to do
    one_line_error(cli(home, "presets", "import", str(shared)), "built-in", "--name")
    ok = cli(home, "presets", "import", str(shared), "--name", "long-mine")
    assert ok.returncode == 0 and "long-mine" in ok.stdout
    assert load_preset("long-mine").scenario == load_preset("long-context-16k").scenario
    one_line_error(
        cli(home, "presets", "import", str(shared), "--name", "long-mine"),
        "already exists",
        "--force",
    )
    assert (
        cli(home, "presets", "import", str(shared), "--name", "long-mine", "--force").returncode
        == 0
    )


def test_import_makes_a_safe_name_and_shows_it(home: Path, tmp_path: Path) -> None:
    text = cli(home, "presets", "export", "m3-ultra").stdout
    shared = tmp_path / "x.toml"
    shared.write_text(text.replace('name = "m3-ultra"', 'name = "My Mac / Studio"'))
    out = cli(home, "presets", "import", str(shared))
    assert out.returncode == 0
    assert "'my-mac-studio'" in out.stdout and "'My Mac / Studio'" in out.stdout
    assert (home / "presets" / "my-mac-studio.toml").is_file()


def test_import_bad_name_and_bad_file_are_one_line(home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "x.toml"
    shared.write_text(cli(home, "presets", "export", "m3-ultra").stdout)
    one_line_error(
        cli(home, "presets", "import", str(shared), "--name", "../evil"), "must not contain a slash"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 3\n")
    one_line_error(cli(home, "presets", "import", str(bad)), str(bad), "'schema' is 3", "newer")
    assert not (home / "presets").exists()  # nothing was written


def test_delete_and_rename(home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "x.toml"
    shared.write_text(cli(home, "presets", "export", "m3-ultra").stdout)
    assert cli(home, "presets", "import", str(shared), "--name", "a").returncode == 0
    assert cli(home, "presets", "rename", "a", "b").returncode == 0
    assert sorted(p.name for p in (home / "presets").iterdir()) == ["b.toml"]
    one_line_error(cli(home, "presets", "delete", "m3-ultra"), "built-in", "cannot be deleted")
    one_line_error(cli(home, "presets", "delete", "a"), "no user preset named 'a'")
    out = cli(home, "presets", "delete", "b")
    assert out.returncode == 0 and "deleted preset 'b'" in out.stdout
    assert list((home / "presets").iterdir()) == []


def test_unknown_preset_is_one_line(home: Path) -> None:
    one_line_error(cli(home, "presets", "show", "nope"), "unknown preset 'nope'", "m3-ultra")
    one_line_error(cli(home, "estimate", "--preset", "nope"), "unknown preset 'nope'")
    one_line_error(
        cli(home, "estimate", "--preset", "./missing.toml"), "missing.toml: no such file"
    )


# ------------------------------------------------------------------------------ estimate --preset


def scenario(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    data = run_json(capsys, "estimate", "--json", *args)
    sc: dict[str, Any] = data["scenario"]
    return sc


def test_estimate_preset_takes_every_value(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = scenario(capsys, "--preset", "rtx-4060-local")
    assert (sc["model"], sc["gpu"], sc["gpus"], sc["tp"]) == ("llama-3.1-8b", "rtx-4060", 1, 1)
    assert (sc["input_tokens"], sc["output_tokens"]) == (1024, 256)
    assert sc["batch_sizes"] == [1, 2, 4, 8] and sc["weight_dtype"] == "int4"
    assert sc["serving"]["max_batched_tokens"] == 512 and sc["price_per_gpu_hour"] == 0.05


def test_flags_beside_a_preset_override_it(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = scenario(capsys, "--preset", "article-70b-4xh100", "--gpus", "8")
    assert (sc["model"], sc["gpus"], sc["tp"]) == ("llama-3.3-70b", 8, 8)  # TP = GPUs
    assert sc["input_tokens"] == 2035
    sc = scenario(capsys, "--preset", "article-70b-4xh100", "--gpus", "8", "--tp", "4")
    assert (sc["gpus"], sc["tp"], sc["replicas"]) == (8, 4, 2)
    # a flag equal to the built-in default still overrides the preset
    sc = scenario(
        capsys, "--preset", "long-context-16k", "--input-tokens", "2035", "--batch", "1,2"
    )
    assert (sc["input_tokens"], sc["output_tokens"], sc["batch_sizes"]) == (2035, 1000, [1, 2])
    # another GPU brings its price unless one is given
    sc = scenario(capsys, "--preset", "llama-8b-1xh100", "--gpu", "a100-80gb")
    a100_price = default_catalog().gpu("a100-80gb").price_per_hour
    assert sc["gpu"] == "a100-80gb" and sc["price_per_gpu_hour"] == a100_price != 2.5
    sc = scenario(
        capsys, "--preset", "llama-8b-1xh100", "--gpu", "a100-80gb", "--price-per-gpu-hour", "9"
    )
    assert sc["price_per_gpu_hour"] == 9.0
    # another mode brings its efficiency and FLOP count
    sc = scenario(capsys, "--preset", "llama-8b-1xh100", "--mode", "ideal")
    assert sc["flop_count"] == "article" and sc["efficiency"]["compute"] == 1.0
    sc = scenario(capsys, "--preset", "llama-8b-1xh100", "--compute-efficiency", "0.3")
    assert sc["efficiency"]["compute"] == 0.3 and sc["mode"] == "realistic"
    # the engine settings, every one of them a flag, on top of the preset's
    sc = scenario(capsys, "--preset", "rtx-4060-local", "--block-size", "32")
    assert (sc["engine"]["block_size"], sc["engine"]["max_batched_tokens"]) == (32, 512)


def test_a_profile_beside_a_preset_replaces_its_factors(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It was ignored before: the preset's factors stood."""
    from engine.physics.deployment import Efficiency
    from engine.storage.profiles import save_profile

    save_profile(Efficiency(compute=0.25, memory=0.5), "slow")
    sc = scenario(capsys, "--preset", "llama-8b-1xh100", "--profile", "slow")
    assert (sc["efficiency"]["compute"], sc["efficiency"]["memory"]) == (0.25, 0.5)
    sc = scenario(
        capsys, "--preset", "llama-8b-1xh100", "--profile", "slow", "--memory-efficiency", "0.6"
    )
    assert (sc["efficiency"]["compute"], sc["efficiency"]["memory"]) == (0.25, 0.6)


def test_preset_file_path_and_overrides(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    assert main(["presets", "export", "m3-ultra"]) == 0
    path.write_text(capsys.readouterr().out.replace("gamma = 0.3", "gamma = 0.5"))
    sc = scenario(capsys, "--preset", str(path), "--output-tokens", "100")
    assert (sc["gpu"], sc["gamma"], sc["output_tokens"]) == ("apple-m3-ultra", 0.5, 100)


def test_estimate_without_preset_keeps_its_defaults(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc = scenario(capsys)
    assert (sc["model"], sc["gpu"], sc["gpus"], sc["tp"], sc["gamma"]) == (
        "llama-3.3-70b",
        "h100-sxm",
        4,
        4,
        0.3,
    )


def test_app_receives_the_preset(home: Path) -> None:
    seen: dict[str, Any] = {}

    def launch(args: Any) -> int:
        seen.update(vars(args))
        return 0

    assert main(["--preset", "m3-ultra", "--gpus", "2"], launch_app=launch) == 0
    assert seen["preset"] == "m3-ultra" and seen["gpus"] == 2 and seen["model"] is None


# ------------------------------------------------------------------------------ models import

LLAMA_33_70B = {
    "architectures": ["LlamaForCausalLM"],
    "attention_bias": False,
    "attention_dropout": 0.0,
    "bos_token_id": 128000,
    "eos_token_id": [128001, 128008, 128009],
    "head_dim": 128,
    "hidden_act": "silu",
    "hidden_size": 8192,
    "initializer_range": 0.02,
    "intermediate_size": 28672,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 64,
    "num_hidden_layers": 80,
    "num_key_value_heads": 8,
    "pretraining_tp": 1,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "factor": 8.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3",
    },
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "transformers_version": "4.47.0.dev0",
    "use_cache": True,
    "vocab_size": 128256,
}

QWEN25_7B = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "hidden_act": "silu",
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "max_position_embeddings": 32768,
    "max_window_layers": 28,
    "model_type": "qwen2",
    "num_attention_heads": 28,
    "num_hidden_layers": 28,
    "num_key_value_heads": 4,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 131072,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 152064,
}


def write_config(folder: Path, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_import_llama_config(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "Llama-3.3-70B-Instruct", LLAMA_33_70B)
    out = cli(home, "models", "import", str(path))
    assert out.returncode == 0, out.stderr
    assert "'llama-3.3-70b-instruct'" in out.stdout and "70.55 B params" in out.stdout
    written = home / "models" / "llama-3.3-70b-instruct.toml"
    entry = tomllib.loads(written.read_text())
    assert entry["num_layers"] == 80 and entry["num_key_value_heads"] == 8
    model = default_catalog(reload=True).model("llama-3.3-70b-instruct")
    assert parameter_count(model) == 70_553_706_496  # the article's count
    assert kv_bytes_per_token(model) == 2 * 80 * 8 * 128 * 2 == 327_680
    assert model.max_context == 131_072 and not model.tie_word_embeddings
    # it is in the catalog from now on
    listed = cli(home, "models")
    assert listed.returncode == 0 and "llama-3.3-70b-instruct" in listed.stdout
    ids = [m["id"] for m in json.loads(cli(home, "models", "--json").stdout)]
    assert "llama-3.3-70b-instruct" in ids and "llama-3.1-405b" in ids
    est = cli(home, "estimate", "--model", "llama-3.3-70b-instruct", "--json", "--batch", "1")
    assert json.loads(est.stdout)["model"]["params"] == 70_553_706_496


def test_import_with_id_and_refusals(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "whatever", LLAMA_33_70B)
    model, written = import_hf_config(path, "my-70b")
    assert model.id == "my-70b" and written == home / "models" / "my-70b.toml"
    with pytest.raises(InputError, match="already exists"):
        import_hf_config(path, "my-70b")
    import_hf_config(path, "my-70b", overwrite=True)
    with pytest.raises(InputError, match=r"'llama-3\.3-70b' is a built-in model"):
        import_hf_config(path, "llama-3.3-70b")
    with pytest.raises(InputError, match=r"model id '\.\./x' must not contain a slash"):
        import_hf_config(path, "../x")
    one_line_error(cli(home, "models", "import", str(path), "--id", "My Model"), "model id")


def test_import_qwen2_has_qkv_biases(home: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path / "Qwen2.5-7B-Instruct", QWEN25_7B)
    model, _ = import_hf_config(path)
    assert model.id == "qwen2.5-7b-instruct" and model.family == "qwen2" and model.attention_bias
    # per layer: q 3584x3584 + 3584 bias, k and v 3584x512 + 512 bias each, o 3584x3584,
    # MLP 3 x 3584 x 18944, two norms of 3584; embeddings and LM head 152064 x 3584; final norm
    layer = (3584 * 3584 + 3584) + 2 * (3584 * 512 + 512) + 3584 * 3584 + 3 * 3584 * 18944
    layer += 2 * 3584
    expected = 28 * layer + 2 * 152064 * 3584 + 3584
    assert expected == 7_615_616_512  # Qwen2.5-7B's published count
    assert parameter_count(model) == expected


def test_missing_kv_heads_default_to_attention_heads(home: Path, tmp_path: Path) -> None:
    data = {k: v for k, v in LLAMA_33_70B.items() if k not in ("num_key_value_heads", "head_dim")}
    model, _ = import_hf_config(write_config(tmp_path / "mha", data), "mha-70b")
    assert model.num_key_value_heads == 64 and model.head_dim == 8192 // 64
    assert kv_bytes_per_token(model) == 2 * 80 * 64 * 128 * 2


@pytest.mark.parametrize(
    ("drop", "change", "message"),
    [
        (("hidden_size",), {}, "cannot read field 'hidden_size' (missing)"),
        (
            ("hidden_size", "vocab_size"),
            {},
            "cannot read fields 'hidden_size' (missing), 'vocab_size' (missing)",
        ),
        ((), {"num_hidden_layers": "80"}, "'num_hidden_layers' (must be a positive integer"),
        ((), {"num_key_value_heads": 0}, "'num_key_value_heads' (must be a positive integer"),
        ((), {"tie_word_embeddings": "no"}, "'tie_word_embeddings' (must be true or false"),
        ((), {"torch_dtype": "float8_e4m3fn"}, "'torch_dtype' (is 'float8_e4m3fn'"),
        (("model_type",), {}, "cannot read field 'model_type' (missing"),
        ((), {"model_type": "phi3"}, "'model_type' is 'phi3', not a family tokentui reads"),
        ((), {"model_type": "mixtral"}, "'num_local_experts' (missing)"),
        ((), {"num_key_value_heads": 7}, "must be a multiple of num_key_value_heads"),
    ],
)
def test_broken_config_names_the_fields(
    home: Path, tmp_path: Path, drop: tuple[str, ...], change: dict[str, Any], message: str
) -> None:
    data = {k: v for k, v in LLAMA_33_70B.items() if k not in drop} | change
    path = write_config(tmp_path / "broken", data)
    out = cli(home, "models", "import", str(path), "--id", "broken")
    line = one_line_error(out, str(path), message)
    assert "Traceback" not in line
    assert not (home / "models").exists()


def test_config_that_is_not_json(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json")
    one_line_error(cli(home, "models", "import", str(path)), str(path), "not valid JSON")
    path.write_text("[1, 2]")
    one_line_error(cli(home, "models", "import", str(path)), "must be a JSON object")
    one_line_error(cli(home, "models", "import", str(tmp_path / "nope.json")), "no such file")


def test_bad_user_model_is_a_warning_and_the_rest_list(home: Path) -> None:
    (home / "models").mkdir(parents=True)
    (home / "models" / "bad.toml").write_text('id = "bad"\nname = 3\n')
    out = cli(home, "models")
    assert out.returncode == 0 and "llama-3.3-70b" in out.stdout
    assert out.stderr.startswith("tokentui: warning: skipped ")
    assert str(home / "models" / "bad.toml") in out.stderr


# Qwen/Qwen3-8B and google/gemma-2-9b-it config.json (the fields the import reads)
QWEN3_8B = {
    "model_type": "qwen3",
    "hidden_size": 4096,
    "num_hidden_layers": 36,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "intermediate_size": 12288,
    "vocab_size": 151936,
    "max_position_embeddings": 40960,
    "tie_word_embeddings": False,
    "attention_bias": False,
    "torch_dtype": "bfloat16",
}
GEMMA2_9B = {
    "model_type": "gemma2",
    "hidden_size": 3584,
    "num_hidden_layers": 42,
    "num_attention_heads": 16,
    "num_key_value_heads": 8,
    "head_dim": 256,
    "intermediate_size": 14336,
    "vocab_size": 256000,
    "max_position_embeddings": 8192,
    "torch_dtype": "bfloat16",  # no tie_word_embeddings field: Gemma 2 ties them
}


@pytest.mark.parametrize(
    ("config", "published"),
    [(QWEN3_8B, 8_190_735_360), (GEMMA2_9B, 9_241_705_984)],  # the safetensors totals on HF
)
def test_import_qwen3_and_gemma2(tmp_path: Path, config: dict[str, Any], published: int) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    model, _ = import_hf_config(path, f"my-{config['model_type']}")
    assert parameter_count(model) == published


@pytest.mark.parametrize(
    "moe",
    [
        {"model_type": "qwen2", "num_experts": 64, "moe_intermediate_size": 1408},
        {"model_type": "mistral", "num_local_experts": 8},
        {"model_type": "llama", "n_routed_experts": 256},
    ],
)
def test_a_moe_config_is_never_read_as_dense(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], moe: dict[str, Any]
) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**QWEN25_7B, **moe}))
    with pytest.raises(SystemExit) as info:
        main(["models", "import", str(path), "--id", "moe-x"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "mixture-of-experts config" in err and "never reads one as a dense model" in err
