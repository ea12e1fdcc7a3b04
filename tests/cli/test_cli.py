"""The headless CLI: its JSON contract, and one-line refusals with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.cli.main import main


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui.main", *args], capture_output=True, text=True, timeout=60
    )


def test_estimate_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--json", "--batch", "1,16,512"]) == 0
    data = json.loads(capsys.readouterr().out)
    sc = data["scenario"]
    assert (sc["model"], sc["gpu"], sc["gpus"], sc["tp"]) == ("llama-3.3-70b", "h100-sxm", 4, 4)
    assert (sc["input_tokens"], sc["output_tokens"], sc["mode"]) == (2035, 300, "realistic")
    assert data["model"] == {
        "params": 70_553_706_496,
        "active_params": 70_553_706_496,  # a dense model: every parameter, every token
        "weight_bytes": 141_107_412_992,
        "kv_bytes_per_token": 327_680,
    }
    assert data["memory"]["weights_per_gpu_bytes"] > 141_107_412_992 / 4
    assert [p["batch"] for p in data["points"]] == [1, 16, 512]
    first, last = data["points"][0], data["points"][-1]
    for key, kind in {
        "fits": bool,
        "prefill_s": float,
        "ttft_s": float,
        "tpot_s": float,
        "e2e_s": float,
        "total_tokens_per_s": float,
        "per_request_tokens_per_s": float,
        "comm_share": float,
        "cost_per_1m_input_usd": float,
        "cost_per_1m_output_usd": float,
    }.items():
        assert isinstance(first[key], kind), key
    assert first["prefill_bound"] == "compute" and first["decode_bound"] == "memory"
    assert first["fits"] and not last["fits"]  # 512 sequences of 2,335 tokens do not fit
    assert last["batch"] > data["memory"]["max_batch"]


def test_ideal_mode_and_defaults_are_resolved(capsys: pytest.CaptureFixture[str]) -> None:
    main(["estimate", "--json", "--mode", "ideal", "--model", "llama-3-1-8b", "--gpus", "1"])
    sc = json.loads(capsys.readouterr().out)["scenario"]
    assert sc["model"] == "llama-3.1-8b" and sc["flop_count"] == "article"
    assert sc["efficiency"]["compute"] == 1.0 and sc["efficiency"]["step_overhead_s"] == 0.0
    assert sc["batch_sizes"] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert sc["price_per_gpu_hour"] == 2.5 and sc["gamma"] == 0.3


def test_table_output() -> None:
    out = cli("estimate", "--batch", "1,8")
    assert out.returncode == 0
    assert "Llama 3.3 70B" in out.stdout and "$/1M out" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "gpt-5"], "unknown model 'gpt-5' (accepted: deepseek-v3, gemma-2-27b"),
        (["--gpu", "tpu"], "unknown GPU 'tpu' (accepted: a100-40gb"),
        (["--gpus", "0"], "--gpus must be from 1 to 4,096, got 0"),
        (["--gpus", "3"], "TP 3 does not divide the 64 attention heads"),
        (["--input-tokens", "-5"], "--input-tokens must be from 1 to 10,000,000, got -5"),
        (["--output-tokens", "0"], "--output-tokens must be from 1"),
        (["--model", "llama-3.1-405b", "--gpus", "1"], "does not fit on 1 x h100-sxm"),
        (["--batch", "1,x"], "invalid batch sizes"),
        (["--gpus", "four"], "invalid --gpus 'four': give a whole number"),
        (["--gpus", "2.5"], "invalid --gpus '2.5': give a whole number"),
        (["--mode", "fast"], "invalid choice: 'fast'"),
        (["--input-tokens", "200000"], "exceed the 131,072-token context"),
        (["--gamma", "-1"], "gamma"),
        (["--memory-utilization", "1.5"], "--memory-utilization must be in (0, 1]"),
        (["--step-overhead-ms", "-1"], "--step-overhead-ms must be from 0 to 1,000 (ms), got -1"),
        (["--compute-efficiency", "2"], "--compute-efficiency must be in (0, 1] (of peak), got 2"),
        (["--max-num-seqs", "0"], "--max-num-seqs must be from 1 to 10,000,000"),
        (["--block-size", "0"], "--block-size must be from 1"),
        (
            ["--mode", "ideal", "--step-overhead-ms", "1"],
            "--step-overhead-ms is a realistic factor; it does not apply in ideal mode",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    out = cli("estimate", *args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("tokentui: error: ")
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_models_and_gpus_list_the_catalog() -> None:
    models = cli("models")
    assert models.returncode == 0 and "llama-3.1-405b" in models.stdout
    gpus = json.loads(cli("gpus", "--json").stdout)
    h100 = next(g for g in gpus if g["id"] == "h100-sxm")
    assert h100["peak_tflops"]["bf16"] == pytest.approx(989.4)


def test_version_and_help() -> None:
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("tokentui ")
    helptext = cli("--help")
    assert helptext.returncode == 0 and "estimate" in helptext.stdout


def _options(command: str) -> list[str]:
    from engine.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(
        o
        for a in sub.choices[command]._actions  # type: ignore[attr-defined]
        for o in a.option_strings
        if o.startswith("--") and a.nargs is None and o != "--help"
    )


@pytest.mark.parametrize("option", _options("estimate"))
def test_an_option_given_no_value_is_one_line(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--step-overhead-ms=--`` reached the code as an empty list (a TypeError traceback)."""
    with pytest.raises(SystemExit) as exc:
        main(["estimate", f"{option}=--"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"tokentui: error: argument {option}: expected one value"), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "value", ["9" * 5000, "a/" * 3000, "x" * 300 + ".toml"], ids=["digits", "deep", "long"]
)
@pytest.mark.parametrize("option", ["--profile", "--preset"])
def test_names_no_file_can_have_are_one_line(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["estimate", option, value])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("tokentui: error: "), err[:300]
