"""Issue #12 on the command line: the list syntax of --batch, --concurrency, --num-requests and
plan's --gpus/--tp (one number is one point; A..B doubles, A-B is every number), "did you mean"
for a mistyped command, choice or flag, a count's noun in the singular for one, and no table
cell cut mid-word."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from engine.cli.main import main
from engine.scenario.axes import MAX_POINTS


def estimate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["estimate", "--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def axis(capsys: pytest.CaptureFixture[str], *args: str) -> list[float]:
    data = estimate(capsys, *args)
    return [p[data["axis"]] for p in data["points"]]


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    assert exit_info.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokentui: error: "), out.err
    return lines[0]


def test_one_number_is_one_batch(capsys: pytest.CaptureFixture[str]) -> None:
    assert axis(capsys, "--batch", "16") == [16]
    assert axis(capsys, "--concurrency", "32") == [32]


def test_a_doubling_range_and_every_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert axis(capsys, "--batch", "1..512") == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert axis(capsys, "--batch", "8..100") == [8, 16, 32, 64, 100]  # both ends kept
    assert axis(capsys, "--batch", "1-64") == list(range(1, 65))
    assert axis(capsys, "--batch", "1-4,16..64,1000") == [1, 2, 3, 4, 16, 32, 64, 1000]
    assert axis(capsys, "--batch", "1,8,64,256") == [1, 8, 64, 256]  # lists as before
    assert axis(capsys, "--concurrency", "1..256") == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    assert axis(capsys, "--concurrency", "1-8") == list(range(1, 9))
    assert axis(capsys, "--offline", "--num-requests", "100..800") == [100, 200, 400, 800]


def test_the_default_axis_is_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    assert axis(capsys) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]


def test_thousands_of_batch_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert axis(capsys, "--batch", f"1-{MAX_POINTS}") == list(range(1, MAX_POINTS + 1))
    assert MAX_POINTS >= 4096


@pytest.mark.parametrize(
    ("flag", "text", "message"),
    [
        ("--batch", "0", "--batch must be from 1 to 1,000,000, got 0"),
        ("--batch", "-5", "--batch must be from 1 to 1,000,000, got -5"),
        ("--batch", "5..1", "the range 5..1 runs backwards (the smaller end first: 1..5)"),
        ("--batch", "9-2", "the range 9-2 runs backwards"),
        ("--batch", "1..1e9", "'1e9' is not a whole number"),
        ("--batch", "1..2000000", "--batch must be from 1 to 1,000,000, got 2,000,000"),
        ("--batch", "1-100000", "at most 4,096 batch sizes, got 100,000 in '1-100000'"),
        ("--batch", "abc", "invalid batch sizes 'abc': 'abc' is not a whole number"),
        ("--batch", "1,,2", "invalid batch sizes '1,,2': an empty item between commas"),
        ("--batch", "2.5", "'2.5' is not a whole number"),
        ("--batch", "1-", "a range needs both ends"),
        ("--batch", "..8", "a range needs both ends"),
        ("--concurrency", "0", "--concurrency must be from 1 to 1,000,000, got 0"),
        ("--concurrency", "1..x", "invalid concurrencies '1..x': 'x' is not a whole number"),
        ("--concurrency", "1-5000", "at most 4,096 concurrencies"),
    ],
)
def test_a_bad_list_is_one_line_saying_what_is_accepted(
    capsys: pytest.CaptureFixture[str], flag: str, text: str, message: str
) -> None:
    line = refused(capsys, "estimate", flag, text)
    assert message in line
    assert "Traceback" not in line
    if "invalid" in message:
        assert "accepted: a number 16, a list 1,8,64, a doubling range 1..512" in line
    assert not line.startswith(f"tokentui: error: argument {flag}: {flag}")  # said once


def test_plan_lists_read_the_same(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "--json", "--model", "llama-3.1-8b", "--ttft-ms", "500"]
    assert main([*base, "--gpus", "1..8", "--tp", "1", "--weight-dtype", "bf16"]) == 0
    assert json.loads(capsys.readouterr().out)["search"]["gpu_counts"] == [1, 2, 4, 8]
    assert main([*base, "--gpus", "1-3", "--tp", "1", "--weight-dtype", "bf16"]) == 0
    assert json.loads(capsys.readouterr().out)["search"]["gpu_counts"] == [1, 2, 3]
    assert "--gpus must be from 1 to 4,096, got 0" in refused(capsys, *base, "--gpus", "0..4")
    assert "at most 64 GPU counts" in refused(capsys, *base, "--gpus", "1-100")


def test_the_help_documents_the_forms(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "one number (16: one batch of 16), a list (1,8,64), a doubling range A..B" in text
    assert "(1..512: 1,2,4,...,512) or every size A-B (1-64)" in text
    assert "(default 1..512)" in text and "(default 1..256)" in text
    assert "one number (32: one level of 32 users)" in text


# ------------------------------------------------------------------------------ did you mean


def test_a_mistyped_command_through_the_real_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui.main", "estimte", "--batch", "8"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "tokentui: error: unknown command 'estimte'; did you mean 'estimate'? "
        "(see 'tokentui --help')"
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["estimte"], "unknown command 'estimte'; did you mean 'estimate'?"),
        (["calibrat", "x.json"], "unknown command 'calibrat'; did you mean 'calibrate'?"),
        (["presets", "shw"], "unknown command 'shw'; did you mean 'show'?"),
        (["estimate", "--bach", "16"], "unrecognized option '--bach'; did you mean '--batch'?"),
        (["estimate", "--concurency=8"], "did you mean '--concurrency'?"),
        (["plan", "--ttf-ms", "5"], "did you mean '--ttft-ms'?"),
        (
            ["estimate", "--mode", "realistc"],
            "invalid choice: 'realistc'; did you mean 'realistic'?",
        ),
        (["estimate", "--mode", "fast"], "invalid choice: 'fast' (accepted: realistic, ideal)"),
        (["estimate", "--xyzzy"], "unrecognized option '--xyzzy' (see 'tokentui estimate --help')"),
        (["estimate", "extra"], "unexpected argument 'extra'"),
    ],
)
def test_a_mistyped_word_is_one_line_with_a_guess(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert message in refused(capsys, *args)


def test_an_unknown_command_in_the_app_entry_lists_the_commands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def launch(_: object) -> int:
        raise AssertionError("the app must not open")

    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"], launch_app=launch)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate' (accepted: estimate, plan, models" in err
    assert "with no command, tokentui opens the app" in err


# ------------------------------------------------------------------------ counts and tables


def text(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_one_gpu_not_one_gpus(capsys: pytest.CaptureFixture[str]) -> None:
    out = text(
        capsys, "plan", "--model", "llama-3.3-70b", "--gpus", "1", "--tp", "1", "--ttft-ms", "500"
    )
    assert "on 1 GPU:" in out and "1 GPUs" not in out
    assert "3 layouts" in out and "1 meets the SLO" in out
    assert "skipped 1 that does not fit" in out
    assert not re.search(r"\b1 (GPUs|files|points|rows|layouts|factors|sequences)\b", out)


def test_one_file_not_one_files(capsys: pytest.CaptureFixture[str]) -> None:
    from support import BENCHMARKS

    one = str(BENCHMARKS / "tokenomics-vllm" / "llama_33_70b_2000in_300out.json")
    out = text(capsys, "compare", one, "--worst", "1")
    assert "over 10 points in 1 file;" in out and "Worst point:" in out
    assert not re.search(r"\b1 (GPUs|files|points|rows)\b", out)


def test_the_bound_columns_show_whole_words(capsys: pytest.CaptureFixture[str]) -> None:
    """Communication-bound prefill (a small model over 8 PCIe GPUs): 'comm.' with its legend,
    never 'communic'."""
    out = text(
        capsys,
        "estimate",
        "--model",
        "llama-3.1-8b",
        "--gpu",
        "l4",
        "--gpus",
        "8",
        "--batch",
        "1,64",
    )
    assert "communic " not in out
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\d+\s+yes", line)]
    bounds = {word for row in rows for word in row[10:12]}
    assert bounds == {"comm.", "compute", "memory"}
    assert "comm.: bound by the communication between the GPUs" in out


def test_a_wide_batch_keeps_its_column(capsys: pytest.CaptureFixture[str]) -> None:
    out = text(capsys, "estimate", "--mode", "ideal", "--batch", "1,1000000")
    header, rule, *rows = out.split("\n\n")[1].splitlines()
    assert len({len(header), len(rule), *(len(r) for r in rows)}) == 1  # aligned


def test_a_preset_stores_explicit_lists(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A preset file holds the axis as a TOML list, so the new syntax does not change what a saved
    file means: a built-in's ten sizes stay ten, and [512] was always one batch."""
    ten = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    assert main(["presets", "export", "article-70b-4xh100"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["workload"]["batch_sizes"] == ten
    assert axis(capsys, "--preset", "article-70b-4xh100") == ten
    builtin = Path(__file__).parents[2] / "presets" / "scenarios" / "article-70b-4xh100.toml"
    text = builtin.read_text()
    assert f"batch_sizes = {ten}" in text
    path = tmp_path / "one.toml"
    path.write_text(text.replace(f"batch_sizes = {ten}", "batch_sizes = [512]"))
    assert axis(capsys, "--preset", str(path)) == [512]
