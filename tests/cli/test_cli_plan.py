"""``tokentui plan`` on the command line: its JSON (strict, sorted by cost, one cheapest, the
figures checked against the physics called on its own), its table, the options it shares with
``estimate``, and one-line refusals with exit code 2 for bad bounds and load options."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import make_scenario

from engine.cli.main import COMMANDS, build_parser, main
from engine.physics.serving import closed_loop

SAMPLE = (
    *("--model", "llama-3.1-70b", "--gpu", "h100-sxm", "--input-tokens", "1000"),
    *("--output-tokens", "1000", "--ttft-ms", "2000", "--itl-ms", "50"),
)
FAST = ("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--weight-dtype", "bf16")


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in the JSON")


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["plan", "--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out, parse_constant=_refuse)
    return data


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["plan", *args])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("tokentui: error: ") and "Traceback" not in err
    return err


def test_plan_is_a_command() -> None:
    assert "plan" in COMMANDS
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert "plan" in sub.choices  # type: ignore[operator]


def test_json_sorted_by_cost_one_cheapest_and_the_figures_are_the_physics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys, *SAMPLE)
    assert data["load"] == "concurrency" and data["percentile"] == "p99"
    assert [s["label"] for s in data["slo"]] == ["ttft p99", "itl p99"]
    assert [s["bound_s"] for s in data["slo"]] == [2.0, 0.05]
    assert data["scenario"]["model"] == "llama-3.1-70b" and "gpus" not in data["scenario"]
    layouts = data["layouts"]
    search = data["search"]
    assert search["layouts"] == len(layouts) + len(data["cannot_meet"]) + len(data["skipped"])
    costs = [x["cost_per_1m_output_usd"] for x in layouts]
    assert costs == sorted(costs)
    assert [x["cheapest"] for x in layouts].count(True) == 1 and layouts[0]["cheapest"]
    assert data["cheapest"] == {k: layouts[0][k] for k in data["cheapest"]}
    # 70B in bf16 (141 GB) on one 80 GB H100: skipped, for the weights
    one = next(s for s in data["skipped"] if (s["gpus"], s["tp"]) == (1, 1))
    assert one["weight_dtype"] == "bf16" and one["reason"] == "weights"
    assert one["need_per_gpu_bytes"] > one["usable_per_gpu_bytes"]
    for x in layouts[:3] + layouts[-2:]:
        assert x["replicas"] * x["tp"] == x["gpus"]
        C = x["max_concurrency"]
        s = make_scenario(
            "llama-3.1-70b",
            "h100-sxm",
            gpus=x["gpus"],
            tp=x["tp"],
            weight_dtype=x["weight_dtype"],
            load="concurrency",
            input_tokens=1000,
            output_tokens=1000,
        )
        run = closed_loop(s, 1000, 1000, np.array([C, C + 1.0]))
        assert run.ttft_p99_s[0] <= 2.0 and run.itl_p99_s[0] <= 0.05
        assert x["ttft_p99_s"] == pytest.approx(float(run.ttft_p99_s[0]), rel=1e-12)
        assert x["slo_values_s"]["itl p99"] == pytest.approx(float(run.itl_p99_s[0]), rel=1e-12)
        if x["binding"] == "itl p99":
            assert run.itl_p99_s[1] > 0.05
        elif x["binding"] == "ttft p99":
            assert run.ttft_p99_s[1] > 2.0
        else:
            assert x["binding"] == str(run.binding_wall[1]) != "none"
        assert x["per_user_tokens_per_s"] == pytest.approx(1 / x["tpot_s"])


def test_the_table_marks_the_cheapest_and_says_what_was_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", *SAMPLE]) == 0
    out = capsys.readouterr().out
    marked = [line for line in out.splitlines() if line.startswith("* ")]
    assert len(marked) == 1 and marked[0].split()[1:5] == ["8", "1", "8", "int4"]
    assert "*: the cheapest per output token" in out
    assert "SLO: TTFT p99 <= 2.00 s, ITL p99 <= 50.0 ms" in out
    assert "30 layouts" in out and "skipped 4 that do not fit" in out
    assert "TP1 bf16 on 1, 2, 4, 8 GPUs" in out and "bf16 141.1 GB" in out


def test_a_layout_that_cannot_meet_the_slo_is_listed_with_the_miss(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys, *FAST, "--itl-ms", "1")
    assert data["layouts"] == [] and data["cheapest"] is None
    (c,) = data["cannot_meet"]
    assert c["misses"][0]["slo"] == "itl p99" and c["misses"][0]["bound_s"] == 0.001
    assert c["misses"][0]["value_s"] == pytest.approx(c["at_concurrency_1"]["itl_p99_s"])
    assert "at concurrency 1" in c["reason"]
    assert main(["plan", *FAST, "--itl-ms", "1"]) == 0
    out = capsys.readouterr().out
    assert "no layout meets the SLO" in out and "1 x TP1 bf16: itl p99" in out


def test_percentile_and_every_bound(capsys: pytest.CaptureFixture[str]) -> None:
    data = plan_json(
        capsys, *FAST, "--ttft-ms", "500", "--itl-ms", "40", "--tpot-ms", "40", "--e2e-s", "20",
        "--percentile", "p50",
    )  # fmt: skip
    assert [s["label"] for s in data["slo"]] == ["ttft p50", "itl mean", "tpot mean", "e2e p50"]
    (x,) = data["layouts"]
    values = x["slo_values_s"]
    assert values["e2e p50"] == pytest.approx(x["ttft_p50_s"] + 299 * x["tpot_s"])  # 300 out
    assert all(values[s["label"]] <= s["bound_s"] for s in data["slo"])


def test_the_estimate_options_apply(capsys: pytest.CaptureFixture[str]) -> None:
    base = plan_json(capsys, *FAST, "--ttft-ms", "500")["layouts"][0]
    dear = plan_json(capsys, *FAST, "--ttft-ms", "500", "--price-per-gpu-hour", "5")["layouts"][0]
    assert dear["max_concurrency"] == base["max_concurrency"]
    assert dear["cost_per_1m_output_usd"] == pytest.approx(2 * base["cost_per_1m_output_usd"])
    chunked = plan_json(capsys, *FAST, "--ttft-ms", "500", "--engine", "vllm")
    assert chunked["scenario"]["engine_profile"] == "vllm"
    ideal = plan_json(capsys, *FAST, "--ttft-ms", "500", "--mode", "ideal")
    assert ideal["scenario"]["mode"] == "ideal"
    preset = plan_json(capsys, "--preset", "long-context-16k", "--ttft-ms", "5000", "--gpus", "4")
    assert preset["scenario"]["input_tokens"] == 16000  # the preset's static load is ignored
    lists = plan_json(capsys, *SAMPLE, "--gpus", "2,8", "--tp", "2", "--weight-dtype", "fp8")
    got = {(x["gpus"], x["tp"], x["weight_dtype"]) for x in lists["layouts"]}
    assert got == {(2, 2, "fp8"), (8, 2, "fp8")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give at least one SLO: --ttft-ms, --itl-ms, --tpot-ms or --e2e-s"),
        (["--ttft-ms", "-1"], "invalid --ttft-ms '-1': give a positive number of ms"),
        (["--ttft-ms", "0"], "give a positive number of ms"),
        (["--itl-ms", "nan"], "give a positive number of ms"),
        (["--tpot-ms", "inf"], "give a positive number of ms"),
        (["--e2e-s=-inf"], "give a positive number of s"),
        (["--e2e-s", "-5"], "give a positive number of s"),
        (["--e2e-s", "-inf"], "expected one argument"),  # argparse: an option, not a value
        (["--ttft-ms", "fast"], "give a positive number of ms"),
        (["--ttft-ms", "1e999"], "give a positive number of ms"),
        (["--ttft-ms=--"], "expected one value"),
        (["--ttft-ms", "500", "--batch", "8"], "--batch sets the load, which plan searches"),
        (["--ttft-ms", "500", "--concurrency", "8"], "--concurrency sets the load"),
        (["--ttft-ms", "500", "--rate", "inf"], "--rate sets the load"),
        (["--ttft-ms", "500", "--offline"], "--offline sets the load"),
        (["--ttft-ms", "500", "--num-requests", "10"], "--num-requests sets the load"),
        (["--ttft-ms", "500", "--batch"], "--batch sets the load"),
        (["--ttft-ms", "500", "--percentile", "p90"], "invalid choice: 'p90'"),
        (["--ttft-ms", "500", "--gpus", "0"], "--gpus must be from 1 to 4,096, got 0"),
        (["--ttft-ms", "500", "--gpus", "two"], "'two' is not a whole number (accepted: "),
        (["--ttft-ms", "500", "--gpus", "1.5"], "'1.5' is not a whole number (accepted: "),
        (["--ttft-ms", "500", "--tp", "3"], "--tp 3 does not split the 64 query and 8 KV heads"),
        (["--ttft-ms", "500", "--gpus", "2", "--tp", "4"], "no layout"),
        (["--itl-ms", "50", "--output-tokens", "1"], "--output-tokens of at least 2"),
        (["--ttft-ms", "500", "--model", "gpt-5"], "unknown model 'gpt-5'"),
        (["--ttft-ms", "500", "--weight-dtype", "int2"], "invalid --weight-dtype 'int2'"),
        (["--ttft-ms", "500", "--input-tokens", "-5"], "--input-tokens must be from 1"),
        (["--ttft-ms", "500", "--mode", "ideal", "--step-overhead-ms", "1"], "ideal mode"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert message in refused(capsys, *args)


def test_a_refusal_from_the_console_script_has_no_traceback() -> None:
    for args in (["--ttft-ms", "nan"], ["--batch", "8", "--itl-ms", "5"], []):
        out = subprocess.run(
            [sys.executable, "-m", "tui.main", "plan", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 2 and out.stdout == ""
        assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=12), st.floats().map(repr), st.integers().map(str)))
@example(text="1E-321")  # 1e-324 s underflows to 0 (found by this test)
@example(text="0.001")
def test_any_bound_text_is_a_plan_or_one_line(text: str) -> None:
    """A bound is a finite number of at least a microsecond (0.001 ms), or the command says so
    in one line."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    good = math.isfinite(value) and value >= 1e-3
    try:
        code = main(["plan", "--json", *FAST, f"--ttft-ms={text}"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == (0 if good else 2)


def _options() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(
        o
        for a in sub.choices["plan"]._actions  # type: ignore[index]
        for o in a.option_strings
        if o.startswith("--") and a.nargs is None and o != "--help"
    )


@pytest.mark.parametrize("option", _options())
def test_an_option_given_no_value_is_one_line(
    option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "expected one value" in refused(capsys, f"{option}=--")
