"""``tokentui estimate --compare-preset NAME``: the preset (A) against the scenario of the flags
(B) at one load, each side exactly what ``estimate`` says of it alone at that load."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engine.cli.main import main

PRESET = "article-70b-4xh100"


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["estimate", "--json", *args]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def point_at(data: dict[str, Any], load: float) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in data["points"] if p[data["axis"]] == load)
    return found


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main(["estimate", *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("tokentui: error: "), err
    return err


def test_each_side_is_what_estimate_says_of_it_alone(capsys: pytest.CaptureFixture[str]) -> None:
    both = run_json(capsys, "--preset", PRESET, "--gpu", "h200", "--compare-preset", PRESET)
    assert both["preset"] == PRESET and both["axis"] == {"a": "batch", "b": "batch"}
    load = both["load"]["b"]
    assert both["load"]["a"] == load
    a = point_at(run_json(capsys, "--preset", PRESET), load)
    b = point_at(run_json(capsys, "--preset", PRESET, "--gpu", "h200"), load)
    metrics = {r["metric"]: r for r in both["rows"]}
    for key in ("ttft_s", "tpot_s", "cost_per_1m_output_usd"):
        assert metrics[key]["a"] == pytest.approx(a[key], rel=1e-9)
        assert metrics[key]["b"] == pytest.approx(b[key], rel=1e-9)
        assert metrics[key]["ratio"] == pytest.approx(b[key] / a[key], rel=1e-9)
    # H200 reads memory faster than H100 (4.8 against 3.35 TB/s): decode is faster, cost higher
    assert metrics["tpot_s"]["better"] == "B" and metrics["tpot_s"]["ratio"] < 1
    assert metrics["max_batch"]["better"] == "B"  # 141 GB against 80 GB holds more KV


def test_at_picks_the_load(capsys: pytest.CaptureFixture[str]) -> None:
    both = run_json(
        capsys,
        "--preset",
        PRESET,
        "--batch",
        "1..256",
        "--compare-preset",
        PRESET,
        "--compare-at",
        "60",
    )
    assert both["load"] == {"a": 64, "b": 64}  # the nearest point of the axis
    assert all(r["ratio"] in (1.0, None) for r in both["rows"])  # against itself: even
    assert all(r["better"] is None for r in both["rows"])


def test_the_table_names_both_and_the_side_each_metric_favours(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["estimate", "--preset", PRESET, "--gpus", "8", "--compare-preset", PRESET]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("A: llama-3.3-70b on 4 x h100-sxm")
    assert lines[1].startswith("this: llama-3.3-70b on 8 x h100-sxm")
    row = next(line for line in lines if line.startswith("tok/s per GPU"))
    assert row.split()[-2].endswith("x")  # the ratio, then the side


def test_another_load_kind_is_compared_at_its_own_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    both = run_json(
        capsys,
        "--preset",
        PRESET,
        "--concurrency",
        "16",
        "--compare-preset",
        PRESET,
    )
    assert both["axis"] == {"a": "batch", "b": "concurrency"}
    assert (
        main(["estimate", "--preset", PRESET, "--concurrency", "8", "--compare-preset", PRESET])
        == 0
    )
    assert "no shared load" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--compare-preset", "no-such-preset"), "no-such-preset"),
        (("--compare-preset", PRESET, "--compare-at", "0"), "--compare-at must be a load above 0"),
        (("--compare-preset", PRESET, "--compare-at", "-5"), "--compare-at must be a load above 0"),
        (("--compare-preset", PRESET, "--compare-at=-5"), "--compare-at must be a load above 0"),
        (("--compare-preset", PRESET, "--compare-at", "abc"), "--compare-at"),
        (("--compare-at", "16"), "give both"),
        (("--compare-preset", PRESET, "--simulate"), "--simulate"),
    ],
)
def test_refusals_are_one_line(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], says: str
) -> None:
    assert says in refused(capsys, *args)
