"""The shared llama.cpp table (Llama 2, batch 1, 1-6 GPUs in a layer split, Apple chips) against
the fitted llama.cpp profiles: every GPU row expressed, the error the issue asks for, the shape."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest
from support import BENCHMARKS as SHARED

from engine.cli.main import main


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = (SHARED / "public" / "measurements.tsv").read_text().splitlines()
    path = tmp_path_factory.mktemp("llamacpp") / "llamacpp.tsv"
    path.write_text("\n".join([lines[0], *(x for x in lines[1:] if "llama.cpp" in x)]) + "\n")
    return path


@pytest.fixture(scope="module")
def compared(table: Path) -> dict[str, Any]:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["compare", str(table), "--json"]) == 0
    result: dict[str, Any] = json.loads(out.getvalue())["files"][0]
    return result


def test_every_gpu_row_is_expressed(compared: dict[str, Any]) -> None:
    rows = compared["rows"]
    predicted = [r for r in rows if r.get("predicted") is not None]
    refused = [r for r in rows if r.get("predicted") is None]
    assert len(predicted) == 59
    # the two rows the source marks as CPU runs, and nothing else
    assert len(refused) == 2 and all("CPU" in r["reason"] for r in refused)


def test_median_error_of_single_stream_decode_is_within_ten_percent(
    compared: dict[str, Any],
) -> None:
    errors = [abs(r["error_pct"]) for r in compared["rows"] if r.get("predicted") is not None]
    assert statistics.median(errors) <= 10.0


def test_layouts_and_backends_are_the_rows_own(compared: dict[str, Any]) -> None:
    for r in compared["rows"]:
        s = r.get("scenario")
        if not s:
            continue
        assert s["tp"] == 1 and s["pp"] == s["gpus"]  # llama.cpp's layer split: stages
        apple = s["gpu"].startswith("apple-")
        assert s["engine"] == ("llamacpp-metal" if apple else "llamacpp")


def test_batch_one_decode_gets_slower_as_gpus_are_added(compared: dict[str, Any]) -> None:
    # the table: Llama 2 7B q4_0 on RTX 3090s, 120.6 tok/s on one, 27.7 on six
    rows = [
        r
        for r in compared["rows"]
        if r.get("scenario")
        and r["scenario"]["gpu"] == "rtx-3090"
        and r["scenario"]["model"] == "llama-2-7b"
        and r["scenario"]["weight_dtype"] == "q4_0"
    ]
    by_gpus = {r["scenario"]["gpus"]: r for r in rows}
    assert sorted(by_gpus) == [1, 2, 3, 6]
    predicted = [by_gpus[n]["predicted"] for n in (1, 2, 3, 6)]
    measured = [by_gpus[n]["measured"] for n in (1, 2, 3, 6)]
    assert predicted == sorted(predicted, reverse=True)
    assert measured == sorted(measured, reverse=True)


def test_a_measured_file_takes_a_pipeline_layout(capsys: pytest.CaptureFixture[str]) -> None:
    from support import DATA

    path = str(DATA / "llama-bench.json")  # one RTX 4090, as the file records
    assert main(["compare", path, "--json"]) == 0
    one = json.loads(capsys.readouterr().out)["files"][0]
    assert main(["compare", path, "--gpus", "2", "--pp", "2", "--json"]) == 0
    two = json.loads(capsys.readouterr().out)["files"][0]
    assert (two["scenario"]["gpus"], two["scenario"]["tp"], two["scenario"]["pp"]) == (2, 1, 2)
    assert two["sources"]["pp"] == "flag"
    # the file's batch-1 decode predicted on two stages: slower than on one GPU
    decode = [p for p in one["points"] if p["quantity"] == "decode_tokens_per_s"]
    decode2 = [p for p in two["points"] if p["quantity"] == "decode_tokens_per_s"]
    assert all(b["predicted"] < a["predicted"] for a, b in zip(decode, decode2, strict=True))


def test_llama_cpp_on_an_apple_gpu_is_the_metal_profile(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from support import DATA

    runs = json.loads((DATA / "llama-bench.json").read_text())
    for run in runs:
        run["gpu_info"], run["backends"] = "Apple M2 Ultra", "Metal,BLAS"
    path = tmp_path / "m2.json"
    path.write_text(json.dumps(runs))
    assert main(["compare", str(path), "--json"]) == 0
    f = json.loads(capsys.readouterr().out)["files"][0]
    assert f["scenario"]["gpu"] == "apple-m2-ultra"
    assert f["sources"]["engine"] == "file" and f["scenario"]["engine"] == "llamacpp-metal"


def test_llama_bench_on_two_gpus_is_their_layer_split(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from support import DATA

    runs = json.loads((DATA / "llama-bench.json").read_text())
    for run in runs:
        run["gpu_info"] = "NVIDIA GeForce RTX 4090, NVIDIA GeForce RTX 4090"
    path = tmp_path / "two.json"
    path.write_text(json.dumps(runs))
    assert main(["compare", str(path), "--json"]) == 0
    f = json.loads(capsys.readouterr().out)["files"][0]
    assert (f["scenario"]["gpus"], f["scenario"]["tp"], f["scenario"]["pp"]) == (2, 1, 2)
    assert f["scenario"]["engine"] == "llamacpp"
    assert any("layer split" in r for r in f["remarks"])
