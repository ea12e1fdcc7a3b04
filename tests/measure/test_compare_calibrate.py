"""``tokentui compare`` and ``tokentui calibrate``: errors computed from the files' own numbers,
serving files reported as not compared, refusals, saved profiles, and the fit recovering factors
it generated itself."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from support import BENCHMARKS as SHARED
from support import DATA, make_scenario, run

from engine.cli.main import main
from engine.errors import InputError
from engine.measure.calibration import FitCase, fit, fit_determined, predict_tokens_per_s
from engine.measure.compare import compare_file
from engine.measure.detect import load_measurement
from engine.measure.file_scenario import FileOverrides, resolve_scenario
from engine.measure.points import Point
from engine.measure.predict import predict_targets, targets
from engine.physics.deployment import Efficiency
from engine.physics.specs import GPUSpec, ModelSpec
from engine.storage.catalog import default_catalog
from engine.storage.profiles import (
    default_efficiency,
    load_named_profile,
    load_profile,
    profile_path,
    save_profile,
)

SEED = SHARED / "tokenomics-vllm"
NIM = SHARED / "nim" / "nim_llama3.1_8b_v1.8.0_1xH100_80GB.csv"


def one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tokentui: error: ")
    return lines[0]


# -------------------------------------------------------------------------------- compare


def test_compare_errors_come_from_the_files_numbers(
    capsys: pytest.CaptureFixture[str], llama70: ModelSpec, h100: GPUSpec
) -> None:
    path = SEED / "llama_33_70b_2000in_300out.json"
    assert main(["compare", str(path), "--model", "llama-3.3-70b", "--gpus", "4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (f,) = data["files"]
    assert f["compared"] and f["scenario"]["gpus"] == 4 and f["scenario"]["tp"] == 4
    assert f["sources"] == {
        "model": "flag",
        "gpu": "default",
        "gpus": "flag",
        "tp": "flag",
        "pp": "flag",  # the layout goes with the GPU count: one stage, no expert parallelism
        "ep": "flag",
        "weight_dtype": "default",
        "kv_dtype": "default",
        "engine": "default",  # a seed file does not say: vllm-v0, the default
    }
    # One point by hand: batch 8, as measured in the file and as the engine predicts it.
    raw = json.loads(path.read_text())["results"]["8"]
    measured = raw["tokens_per_second_in_batch"]
    s = make_scenario(llama70, h100, gpus=4)
    predicted = float(run(s, batch=[8], input_tokens=2035, output_tokens=300).total_tokens_per_s[0])
    point = next(p for p in f["points"] if p["batch"] == 8)
    assert point["measured"] == measured
    assert point["predicted"] == pytest.approx(predicted, rel=1e-12)
    assert point["error_pct"] == pytest.approx((predicted - measured) / measured * 100)
    # The file's MAPE is the mean absolute error over its points, and here the overall one.
    assert f["mape_pct"] == pytest.approx(np.mean([abs(p["error_pct"]) for p in f["points"]]))
    assert data["overall"]["mape_pct"] == pytest.approx(f["mape_pct"])
    assert len(data["worst"]) == 5
    assert data["worst"][0]["error_pct"] == max((p["error_pct"] for p in f["points"]), key=abs)


def test_compare_static_and_serving_files(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(SEED / "llama_31_8b_2000in_300out.json"), str(NIM)]
    assert main(["compare", *files, "--gpus", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{NIM}: nim-csv, serving" in out
    assert "note: engine trtllm: NIM's optimized profiles run TensorRT-LLM" in out
    assert "C=250" in out and "TTFT ms" in out and "out tok/s" in out
    assert "MAPE" in out and "Worst 5 points:" in out
    assert "llama-3.1-8b (from the file), 1 x h100-sxm, TP 1" in out
    assert "not compared" not in out


def test_a_copy_of_a_file_counts_once(capsys: pytest.CaptureFixture[str]) -> None:
    name = "llama_31_8b_2000in_300out.json"
    files = [str(SEED / name), str(SEED / "sweep" / name), str(SEED / name)]
    assert main(["compare", *files, "--gpus", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [f["compared"] for f in data["files"]] == [True, False]
    assert data["files"][1]["reason"] == f"the same measurements as {SEED / name} (counted once)"
    assert data["overall"]["points"] == 10


def test_compare_with_nothing_comparable_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A table whose every row names a model the catalog lacks (the public table's Llama 2 rows,
    renamed to a model no catalog has): nothing to compare."""
    table = (SHARED / "public" / "measurements.tsv").read_text().splitlines()
    rows = [r.replace("\tLlama 2 7B\t", "\tFalcon 180B\t") for r in table if "\tLlama 2 7B\t" in r]
    path = tmp_path / "falcon.tsv"
    path.write_text("\n".join([table[0], *rows]) + "\n")
    line = one_line_error(capsys, ["compare", str(path)])
    assert "nothing to compare" in line
    assert f"{path}: none of its {len(rows)} rows" in line
    assert "model 'Falcon 180B' not in the catalog" in line


def test_compare_llama_bench_and_ollama(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(DATA / "llama-bench.json"), str(DATA / "ollama-generate.json")]
    assert main(["compare", *files, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    bench, ollama = data["files"]
    # llama-bench records its GPU; Ollama records none: the defaults, and it says so.
    assert bench["scenario"]["gpu"] == "rtx-4090" and bench["sources"]["gpu"] == "file"
    assert bench["scenario"]["weight_dtype"] == "q4_k_m"  # Q4_K in the model type
    assert ollama["scenario"]["gpu"] == "h100-sxm" and ollama["sources"]["gpu"] == "default"
    assert ollama["scenario"]["weight_dtype"] == "q4_k_m"  # Ollama's default tags are Q4_K_M
    assert [p["quantity"] for p in bench["points"]] == [
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
    ]
    assert [p["quantity"] for p in ollama["points"]] == [
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
    ]


def test_decode_and_prefill_predictions_are_the_engines(llama8: ModelSpec) -> None:
    """llama-bench tg: 1 / time per token after the context; pp at depth d: the prefill of d + n
    tokens less that of d."""
    cat = default_catalog()
    m = load_measurement(DATA / "llama-bench.json")
    base = make_scenario(llama8, cat.gpu("h100-sxm"), gpus=1)
    resolved = resolve_scenario(m, cat, base)
    s = resolved.scenario
    assert (s.gpu.id, s.tp, s.weight_dtype, s.engine.max_batched_tokens) == (
        "rtx-4090",
        1,
        "q4_k_m",
        512,
    )
    rows = compare_file(m, resolved).rows
    tg_d = run(s, batch=[1], input_tokens=4096, output_tokens=129)
    assert rows[3].predicted == pytest.approx(1 / tg_d.tpot_s[0])
    pp = run(s, batch=[1], input_tokens=512, output_tokens=1).prefill_s[0]
    assert rows[0].predicted == pytest.approx(512 / pp)
    full = run(s, batch=[1], input_tokens=4608, output_tokens=1).prefill_s[0]
    before = run(s, batch=[1], input_tokens=4096, output_tokens=1).prefill_s[0]
    assert rows[2].predicted == pytest.approx(512 / (full - before))


def test_unresolvable_model_asks_for_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.loads((DATA / "ollama-generate.json").read_text())
    path = tmp_path / "latest.json"
    path.write_text(json.dumps({**raw, "model": "llama3.1:latest"}))
    line = one_line_error(capsys, ["compare", str(path)])
    assert "cannot tell which catalog model 'llama3.1:latest' is" in line
    assert "give --model ID" in line
    assert main(["compare", str(path), "--model", "llama-3.1-8b", "--gpus", "1"]) == 0


def test_unmodelled_quantisation_asks_for_weight_dtype(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = json.loads((DATA / "ollama-generate.json").read_text())
    path = tmp_path / "q3.json"
    path.write_text(json.dumps({**raw, "model": "llama3.1:8b-instruct-q3_K_L"}))
    line = one_line_error(capsys, ["compare", str(path)])
    assert "weight quantisation q3_K_L has no engine precision" in line
    assert "give --weight-dtype" in line
    assert main(["compare", str(path), "--weight-dtype", "int8", "--gpus", "1"]) == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--gpus", "0"], "--gpus must be from 1 to 4,096, got 0"),
        (["--gpus", "4", "--tp", "3"], "4 GPUs cannot be split into tensor-parallel groups of 3"),
        (["--gpu", "tpu"], "unknown GPU 'tpu'"),
        (["--gpus-for", "llama-3.1-8b"], "invalid --gpus-for 'llama-3.1-8b': give MODEL=N"),
        (["--worst", "-1"], "--worst must be 0 or more"),
        (["--memory-utilization", "2"], "--memory-utilization must be in (0, 1]"),
    ],
)
def test_bad_flags_are_one_line(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    line = one_line_error(capsys, ["compare", str(DATA / "ollama-generate.json"), *flags])
    assert message in line


def test_model_that_does_not_fit_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = SEED / "llama_33_70b_2000in_300out.json"
    line = one_line_error(capsys, ["compare", str(path), "--gpus", "1"])
    assert str(path) in line and "does not fit on 1 x h100-sxm" in line


# ------------------------------------------------------------------------------ calibrate


def test_calibrate_refuses_too_little_data(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    line = one_line_error(
        capsys, ["calibrate", str(DATA / "ollama-generate.json"), "--save", "tiny"]
    )
    assert "too little data to fit 4 factors: 2 points (need at least 12)" in line
    assert not (home / "profiles").exists()


def test_calibrate_fits_a_serving_file(capsys: pytest.CaptureFixture[str]) -> None:
    """NIM's table under the trtllm engine: the fit lowers the error it starts from."""
    assert main(["calibrate", str(NIM), "--factors", "compute,memory,step_overhead"]) == 0
    out = capsys.readouterr().out
    found = re.search(r"all points\s+([\d.]+)%\s+([\d.]+)%", out)
    assert found is not None
    assert float(found.group(2)) < float(found.group(1))


def test_calibrate_fits_table_rows_each_under_its_own_setup(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The public table's v0.14 Llama 3.1 8B rows (and one it cannot express): one case a setup
    and load, each with its own model, GPU and rate; the fit lowers the error it starts from, and
    the row it cannot express is said, with its reason."""
    lines = (SHARED / "public" / "measurements.tsv").read_text().splitlines()
    rows = [x for x in lines[1:] if "v0.14" in x and "Llama 3.1 8B" in x and "467\t16" in x]
    # a row of a model no catalog has (the table's Llama 2 7B row, renamed)
    llama2 = next(x for x in lines[1:] if "Llama 2 7B" in x).replace("Llama 2 7B", "Falcon 180B")
    table = tmp_path / "rows.tsv"
    table.write_text("\n".join([lines[0], *rows, llama2]) + "\n")
    argv = ["calibrate", str(table), "--engine", "trtllm", "--factors", "compute,seq_overhead"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"rows\.tsv line \d+", out)) == len(rows) // 5  # 5 metrics a load
    assert "model 'Falcon 180B' not in the catalog" in out
    found = re.search(r"all points\s+([\d.]+)%\s+([\d.]+)%", out)
    assert found is not None
    assert float(found.group(2)) <= float(found.group(1))


def test_calibrate_saves_a_profile_estimate_uses(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    files = [str(p) for p in sorted(SEED.glob("*.json"))]
    argv = ["calibrate", *files, "--gpus", "4", "--gpus-for", "llama-3.1-8b=1"]
    assert main([*argv, "--save", "h100-vllm"]) == 0
    out = capsys.readouterr().out
    # Two setups (70B TP4, 8B TP1): memory, step overhead and collective latency are all fixed
    # costs per decode step, so one of them is held, and the output says which and why.
    assert "Not pinned down by this data" in out and "memory:" in out and "2 setups" in out
    assert "MAPE before" in out and "all points" in out
    path = home / "profiles" / "h100-vllm.toml"
    data = tomllib.loads(path.read_text())
    assert data["name"] == "h100-vllm" and data["fit"]["points"] == 28
    assert data["fit"]["undetermined"] == ["memory"]
    eff = load_profile(path)
    assert eff.memory == default_efficiency().memory  # held at the start value
    assert 0.3 < eff.compute < 0.7
    assert load_named_profile("h100-vllm") == eff and profile_path(str(path)) == path
    # Not replaced without --force.
    line = one_line_error(capsys, [*argv, "--save", "h100-vllm"])
    assert "exists" in line and "--force" in line
    # estimate --profile uses it.
    assert main(["estimate", "--json", "--batch", "1", "--profile", "h100-vllm"]) == 0
    sc = json.loads(capsys.readouterr().out)["scenario"]
    assert sc["efficiency"]["compute"] == pytest.approx(eff.compute)


def test_a_profile_saved_as_default_before_the_name_was_reserved(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    """tokentui once let ``calibrate --save default`` shadow the built-in profile: such a file is
    now said so, by name, rather than silently ignored."""
    (home / "profiles").mkdir(parents=True)
    text = (DATA.parent.parent / "presets" / "calibration" / "default.toml").read_text()
    (home / "profiles" / "default.toml").write_text(text)
    line = one_line_error(capsys, ["estimate", "--profile", "default"])
    assert "profiles/default.toml: a saved profile named 'default'" in line and "rename" in line
    assert main(["estimate", "--json"]) == 0  # without --profile: the built-in, as before
    capsys.readouterr()
    line = one_line_error(capsys, ["estimate", "--profile", "nope"])
    assert "(accepted: default, or the path" in line  # listed once


def test_profile_names_and_unknown_profiles(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(capsys, ["estimate", "--profile", "nope"])
    assert "unknown profile 'nope' (accepted: default" in line
    line = one_line_error(capsys, ["calibrate", str(DATA / "llama-bench.json"), "--save", "a/b"])
    assert "profile name 'a/b' must not contain a slash" in line
    line = one_line_error(capsys, ["estimate", "--profile", "default", "--mode", "ideal"])
    assert "does not apply in ideal mode" in line
    with pytest.raises(InputError, match=r"profile name '\.\./evil' must not contain a slash"):
        save_profile(Efficiency(), "../evil")
    with pytest.raises(InputError, match="profile name 'default' is reserved"):
        save_profile(Efficiency(), "default")
    # one rule for every saved name (profiles took capitals before, presets did not)
    with pytest.raises(InputError, match=r"lowercase letters .* \(e\.g\. 'h100-vllm'\)"):
        save_profile(Efficiency(), "H100-vLLM")
    line = one_line_error(
        capsys, ["calibrate", str(DATA / "llama-bench.json"), "--save", "default"]
    )
    assert "profile name 'default' is reserved" in line


def test_saved_profile_is_written_atomically(home: Path) -> None:
    eff = replace(default_efficiency(), compute=0.5)
    path = save_profile(eff, "mine", {"points": 3})
    assert load_named_profile("mine") == eff
    assert [p.name for p in path.parent.iterdir()] == ["mine.toml"]  # no temporary file left
    save_profile(replace(eff, compute=0.6), "mine", overwrite=True)
    assert load_named_profile("mine").compute == 0.6


# -------------------------------------------------------------- the fit recovers its factors

TRUTH = replace(
    default_efficiency(),
    compute=0.55,
    memory=0.8,
    step_overhead_s=3e-3,
    collective_latency_s=20e-6,
)
FOUR = ("compute", "memory", "step_overhead_s", "collective_latency_s")


def synthetic_cases(setups: list[tuple[str, int]], seed: int = 7) -> list[FitCase]:
    """Measurements the engine itself generates under TRUTH, with 2% multiplicative noise."""
    cat = default_catalog()
    rng = np.random.default_rng(seed)
    cases = []
    for model_id, gpus in setups:
        s = make_scenario(cat.model(model_id), cat.gpu("h100-sxm"), gpus=gpus)
        points = tuple(
            Point(batch=b, input_tokens=i, output_tokens=o, total_tokens_per_s=1.0)
            for b in (1, 2, 4, 8, 16, 32, 64, 128, 256)
            for i, o in ((128, 64), (2000, 300), (8000, 200))
        )
        clean = predict_tokens_per_s(FitCase("", s, points), TRUTH)
        noisy = clean * np.exp(rng.normal(0.0, 0.02, len(points)))
        points = tuple(
            replace(p, total_tokens_per_s=float(v)) for p, v in zip(points, noisy, strict=True)
        )
        cases.append(FitCase(f"{model_id} TP{gpus}", s, points))
    return cases


def test_fit_recovers_known_factors() -> None:
    """A TP4 and a TP1 setup, and a third (8B on TP4): memory efficiency, step overhead and
    collective latency each add a fixed time to every decode step of a setup, so two setups pin
    down only two combinations of the three; with three all four factors come back."""
    cases = synthetic_cases([("llama-3.3-70b", 4), ("llama-3.1-8b", 1), ("llama-3.1-8b", 4)])
    result = fit(cases, default_efficiency(), free=FOUR)
    assert result.undetermined == ()
    for name in FOUR:
        got, want = getattr(result.efficiency, name), getattr(TRUTH, name)
        assert got == pytest.approx(want, rel=0.05), name
        assert result.rel_stderr[name] < 0.1
    # The start (the shared-data profile) is far off this truth; the fit is back within the noise.
    assert all(v > 5 for v in result.mape_before.values())
    assert all(v < 2.5 for v in result.mape_after.values())


def test_fit_tells_attention_time_per_layer_from_eager_launches() -> None:
    """Two models with different KV bytes per layer (8B: 8 KV heads on one GPU, 70B: 2 per GPU at
    TP 4), decoding below and beyond the CUDA-graph context: the attention time per token and
    layer and the eager-mode time per layer both come back."""
    truth = replace(default_efficiency(), attention_token_s=0.8e-9, eager_layer_s=40e-6)
    cat = default_catalog()
    cases = []
    for model_id, gpus in (("llama-3.3-70b", 4), ("llama-3.1-8b", 1)):
        s = make_scenario(cat.model(model_id), cat.gpu("h100-sxm"), gpus=gpus)
        points = tuple(
            Point(batch=b, input_tokens=i, output_tokens=o, total_tokens_per_s=1.0)
            for b in (1, 2, 4, 8)
            for i, o in ((2000, 300), (7000, 1000), (16000, 500))
        )
        values = predict_tokens_per_s(FitCase("", s, points), truth)
        points = tuple(
            replace(p, total_tokens_per_s=float(v)) for p, v in zip(points, values, strict=True)
        )
        cases.append(FitCase(model_id, s, points))
    start = replace(truth, attention_token_s=0.2e-9, eager_layer_s=10e-6)
    result = fit(cases, start, free=("attention_token_s", "eager_layer_s"))
    assert result.undetermined == ()
    assert result.efficiency.attention_token_s == pytest.approx(0.8e-9, rel=1e-3)
    assert result.efficiency.eager_layer_s == pytest.approx(40e-6, rel=1e-3)


def test_single_gpu_data_cannot_pin_down_collective_latency() -> None:
    cases = synthetic_cases([("llama-3.1-8b", 1)])
    result = fit_determined(cases, default_efficiency(), free=("compute", "collective_latency_s"))
    assert result.undetermined == ("collective_latency_s",)
    assert result.efficiency.collective_latency_s == default_efficiency().collective_latency_s
    assert "compute" in result.rel_stderr and result.free == ("compute", "collective_latency_s")


def test_fit_uses_prefill_and_decode_speed_of_single_requests(llama8: ModelSpec) -> None:
    """Ollama-like points (prefill tok/s and decode tok/s of one request) are fitted too."""
    cat = default_catalog()
    s = make_scenario(llama8, cat.gpu("rtx-4090"), gpus=1, weight_dtype="int4")
    truth = replace(default_efficiency(), compute=0.6, memory=0.7)
    points = tuple(
        Point(
            batch=1,
            input_tokens=n,
            output_tokens=256,
            prefill_tokens_per_s=1.0,
            decode_tokens_per_s=1.0,
        )
        for n in (64, 256, 1024, 2048, 4096, 8192)
    )
    values = predict_targets(replace(s, efficiency=truth), targets(points, "single-request"))
    measured = tuple(
        replace(p, prefill_tokens_per_s=float(pre), decode_tokens_per_s=float(dec))
        for p, pre, dec in zip(points, values[0::2], values[1::2], strict=True)
    )
    case = FitCase("ollama", s, measured, "single-request")
    assert len(case.targets) == 12
    result = fit([case], default_efficiency(), free=("compute", "memory"))
    assert result.efficiency.compute == pytest.approx(0.6, rel=0.01)
    assert result.efficiency.memory == pytest.approx(0.7, rel=0.01)


def test_choice_overrides_what_the_file_records() -> None:
    cat = default_catalog()
    m = load_measurement(DATA / "llama-bench.json")
    base = make_scenario(cat.model("llama-3.1-8b"), cat.gpu("h100-sxm"), gpus=1)
    r = resolve_scenario(m, cat, base, FileOverrides(gpu="rtx-3090", weight_dtype="int8"))
    assert (r.scenario.gpu.id, r.scenario.weight_dtype) == ("rtx-3090", "int8")
    assert r.sources["gpu"] == "flag" and r.sources["gpus"] == "file"


def test_calibrate_unknown_factor_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_line_error(
        capsys, ["calibrate", str(DATA / "llama-bench.json"), "--factors", "compute,speed"]
    )
    assert "unknown factor 'speed' (accepted: compute, memory" in line
