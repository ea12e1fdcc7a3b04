"""Importers: every format against a real file (the shared benchmarks) or a small file written in
the documented format (tests/data), detection by content, and broken or unknown files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from support import BENCHMARKS as SHARED
from support import DATA

from engine.errors import InputError
from engine.measure.compare import not_compared_reason
from engine.measure.detect import load_measurement, parse_text
from engine.measure.file_scenario import resolve_model
from engine.measure.names import quantization_from_name, resolve_model_name
from engine.measure.points import Measurement
from engine.measure.predict import targets
from engine.storage.catalog import default_catalog, match_gpu_name

SEED = SHARED / "tokenomics-vllm"
NIM = SHARED / "nim" / "nim_llama3.1_8b_v1.8.0_1xH100_80GB.csv"


# ----------------------------------------------------------------------------- real files


def test_seed_json_keeps_what_the_file_measured() -> None:
    path = SEED / "llama_33_70b_2000in_300out.json"
    raw = json.loads(path.read_text())
    m = load_measurement(path)
    assert (m.format, m.kind, m.model_name) == ("seed-json", "static-batch", "llama-3.3-70bb")
    assert m.gpu_name is None and m.gpus is None  # the seed does not record hardware
    assert [p.batch for p in m.points] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    for p in m.points:
        row = raw["results"][str(p.batch)]
        assert p.total_tokens_per_s == row["tokens_per_second_in_batch"]
        assert p.elapsed_s == row["elapsed_time"]
        assert p.input_tokens == row["avg_input_tokens"]
        assert p.output_tokens == row["avg_output_tokens"]
        assert p.phase == "prefill+decode" and p.measured() == {
            "total_tokens_per_s": row["tokens_per_second_in_batch"],
            "per_request_tokens_per_s": row["avg_tokens_per_second"],
        }
        # of which the engine predicts the batch's tokens/s
        assert [t.metric for t in targets([p], m.kind)] == ["total_tokens_per_s"]
    assert resolve_model(m, default_catalog()) == "llama-3.3-70b"  # the file's typo 'bb' too


def test_every_shared_seed_file_is_read() -> None:
    paths = sorted(SEED.glob("*.json")) + sorted(SEED.glob("sweep/*.json"))
    assert len(paths) == 169
    ms = [load_measurement(p) for p in paths]
    assert {m.format for m in ms} == {"seed-json"}
    assert all(m.points and not_compared_reason(m) is None for m in ms)
    models = {resolve_model(m, default_catalog()) for m in ms}
    assert models == {"llama-3.3-70b", "llama-3.1-8b"}


def test_nim_csv_is_serving_at_fixed_concurrency() -> None:
    m = load_measurement(NIM)
    with NIM.open() as f:
        rows = list(csv.DictReader(f))
    assert (m.format, m.kind) == ("nim-csv", "serving")
    assert len(m.points) == len(rows) == 40
    first, row = m.points[0], rows[0]
    assert first.concurrency == int(row["concurrency"]) == first.batch
    assert first.ttft_s == pytest.approx(float(row["TTFT_ms"]) / 1e3)
    assert first.itl_s == pytest.approx(float(row["ITL_ms"]) / 1e3)
    assert (first.input_tokens, first.output_tokens) == (200, 200)
    assert (m.gpu_name, m.gpus, m.tp, m.weight_dtype) == ("H100_80G", 1, 1, "fp8")
    assert first.output_tokens_per_s == pytest.approx(float(row["Throughput_tokens_per_s"]))
    assert m.engine == "trtllm"  # NIM's optimized profiles
    assert not_compared_reason(m) is None  # the serving model predicts it
    assert resolve_model(m, default_catalog()) == "llama-3.1-8b"  # from the file name


# ------------------------------------------------------------- files in the documented formats


def test_vllm_bench_serve_result() -> None:
    m = load_measurement(DATA / "vllm-bench-serve.json")
    raw = json.loads((DATA / "vllm-bench-serve.json").read_text())
    assert (m.format, m.kind) == ("vllm-bench-serve", "serving")
    (p,) = m.points
    assert p.concurrency == raw["max_concurrency"] == 16
    assert p.input_tokens == raw["total_input_tokens"] / raw["completed"]
    assert p.output_tokens == raw["total_output_tokens"] / raw["completed"]
    assert p.ttft_s == pytest.approx(raw["mean_ttft_ms"] / 1e3)
    assert p.tpot_s == pytest.approx(raw["mean_tpot_ms"] / 1e3)
    assert p.itl_s == pytest.approx(raw["mean_itl_ms"] / 1e3)
    assert p.request_rate == float("inf") and p.elapsed_s == raw["duration"]
    assert resolve_model(m, default_catalog()) == "llama-3.1-8b"


def test_vllm_append_result_has_one_result_per_line(tmp_path: Path) -> None:
    raw = json.loads((DATA / "vllm-bench-serve.json").read_text())
    other = {**raw, "max_concurrency": None, "request_rate": 4.0}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(raw) + "\n" + json.dumps(other) + "\n")
    m = load_measurement(path)
    assert [p.concurrency for p in m.points] == [16, None]
    assert m.points[1].request_rate == 4.0


def _check_llama_bench(m: Measurement) -> None:
    assert (m.format, m.kind) == ("llama-bench", "static-batch")
    assert (m.gpu_name, m.gpus, m.tp, m.step_tokens) == ("NVIDIA GeForce RTX 4090", 1, 1, 512)
    pp, tg, pp_d, tg_d = m.points
    assert (pp.phase, pp.input_tokens, pp.context_tokens) == ("prefill", 512, 0)
    assert pp.measured() == {"prefill_tokens_per_s": 11500.0}
    assert (tg.phase, tg.output_tokens) == ("decode", 128)
    assert tg.measured() == {"decode_tokens_per_s": 150.0}
    assert pp_d.context_tokens == tg_d.context_tokens == 4096
    assert [p.label for p in m.points] == ["pp512", "tg128", "pp512 @ d4096", "tg128 @ d4096"]
    assert all(p.batch == 1 for p in m.points)
    assert resolve_model(m, default_catalog()) == "llama-3.1-8b"


def test_llama_bench_json_and_jsonl() -> None:
    _check_llama_bench(load_measurement(DATA / "llama-bench.json"))
    _check_llama_bench(load_measurement(DATA / "llama-bench.jsonl"))


def test_llama_bench_csv(tmp_path: Path) -> None:
    rows = json.loads((DATA / "llama-bench.json").read_text())
    path = tmp_path / "bench.csv"
    keys = [k for k in rows[0] if not k.startswith("samples_")]
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    _check_llama_bench(load_measurement(path))


def test_llama_bench_time_from_avg_ns_and_prompt_gen_test(tmp_path: Path) -> None:
    row = json.loads((DATA / "llama-bench.json").read_text())[0]
    row = {k: v for k, v in row.items() if k != "avg_ts"}
    row.update(n_prompt=512, n_gen=128, avg_ns=2_000_000_000)
    path = tmp_path / "pg.json"
    path.write_text(json.dumps([row]))
    (p,) = load_measurement(path).points
    assert p.measured() == {"tokens_per_s": pytest.approx(640 / 2.0)}


def test_ollama_generate_response() -> None:
    m = load_measurement(DATA / "ollama-generate.json")
    assert (m.format, m.kind, m.model_name) == ("ollama", "single-request", "llama3.1:8b")
    (p,) = m.points
    assert p.batch == 1 and (p.input_tokens, p.output_tokens) == (26, 290)
    # durations are nanoseconds
    assert p.prefill_tokens_per_s == pytest.approx(26 / 0.018)
    assert p.decode_tokens_per_s == pytest.approx(290 / 2.14)
    assert p.elapsed_s == pytest.approx(5.21)
    assert p.ttft_s == pytest.approx(0.018)  # the prompt's evaluation: no queue, one request
    assert set(p.measured()) == {"prefill_tokens_per_s", "decode_tokens_per_s", "ttft_s"}
    assert {t.metric for t in targets([p], m.kind)} == {
        "prefill_tokens_per_s",
        "decode_tokens_per_s",
    }


def test_ollama_stream_uses_the_final_line() -> None:
    m = load_measurement(DATA / "ollama-stream.jsonl")
    (p,) = m.points
    assert p.prefill_tokens_per_s == pytest.approx(1200 / 0.16)
    assert p.decode_tokens_per_s == pytest.approx(400 / 2.9)


def test_ollama_cached_prompt_is_decode_only(tmp_path: Path) -> None:
    raw = json.loads((DATA / "ollama-generate.json").read_text())
    del raw["prompt_eval_count"], raw["prompt_eval_duration"]
    path = tmp_path / "cached.json"
    path.write_text(json.dumps(raw))
    m = load_measurement(path)
    assert set(m.points[0].measured()) == {"decode_tokens_per_s"}
    assert any("cached" in r for r in m.remarks)


def test_format_is_detected_by_content_not_extension(tmp_path: Path) -> None:
    shutil.copy(SEED / "llama_31_8b_2000in_300out.json", tmp_path / "looks.csv")
    shutil.copy(NIM, tmp_path / "looks.json")
    shutil.copy(DATA / "ollama-generate.json", tmp_path / "no_extension")
    assert load_measurement(tmp_path / "looks.csv").format == "seed-json"
    assert load_measurement(tmp_path / "looks.json").format == "nim-csv"
    assert load_measurement(tmp_path / "no_extension").format == "ollama"


# ------------------------------------------------------------------ broken and unknown files

ACCEPTED_PARTS = ("seed", "vllm bench serve", "llama-bench", "Ollama", "NIM")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# Measured data\nsome prose", "neither JSON nor CSV"),
        ('{"metadata": {"model": "x"}, "results": {"1": {"avg_input', "broken JSON at line 1"),
        ('{"hello": 1, "world": 2}', "JSON with fields hello, world"),
        ("[1, 2, 3]", "not objects"),
        ("a,b,c\n1,2,3\n", "a CSV without the NIM columns"),
    ],
)
def test_unknown_files_list_what_is_accepted(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bench.json"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        load_measurement(path)
    msg = str(err.value)
    assert msg.startswith(str(path)) and message in msg
    assert "accepted:" in msg and all(part in msg for part in ACCEPTED_PARTS)
    assert "\n" not in msg


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"metadata": {}, "results": {}}', "'results' must map batch sizes"),
        (
            '{"metadata": {}, "results": {"8": {"avg_input_tokens": 10, "avg_output_tokens": 5}}}',
            "results.8: missing field 'tokens_per_second_in_batch'",
        ),
        (
            '{"metadata": {}, "results": {"x": {"avg_input_tokens": 1}}}',
            "batch size must be a whole number from 1 to",
        ),
        (
            '{"completed": 0, "request_throughput": 0, "output_throughput": 0}',
            "no request completed",
        ),
        (
            '{"completed": 5, "request_throughput": 1, "output_throughput": 9}',
            "missing field 'total_input_tokens'",
        ),
        ('[{"n_prompt": 512, "n_gen": 0, "avg_ns": -5}]', "avg_ns: must be positive"),
        ('[{"n_prompt": 0, "n_gen": 0, "avg_ts": 5}]', "not both 0"),
        ('{"model": "llama3.1:8b", "done": false, "response": "Hi"}', "without its final line"),
        ('{"model": "m", "eval_count": 10, "eval_duration": 0}', "eval_duration: must be positive"),
    ],
)
def test_broken_files_name_the_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bench.json"
    path.write_text(text)
    with pytest.raises(InputError, match=None) as err:
        load_measurement(path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_broken_nim_row_names_row_and_column(tmp_path: Path) -> None:
    lines = NIM.read_text().splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[7], "fast")
    path = tmp_path / "nim.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(InputError, match=r"row 4: TTFT_ms: expected a number, got 'fast'"):
        load_measurement(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_measurement(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a folder"):
        load_measurement(tmp_path)


# --------------------------------------------------------------------- names -> catalog ids

IDS = ["llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b", "qwen2.5-7b", "qwen2.5-72b", "mistral-7b"]


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("llama-3.1-8b", "llama-3.1-8b"),
        ("llama-3.3-70bb", "llama-3.3-70b"),
        ("Llama 3.1 8B", "llama-3.1-8b"),
        ("meta-llama/Llama-3.1-8B-Instruct", "llama-3.1-8b"),
        ("meta-llama/Meta-Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("llama3.1:8b", "llama-3.1-8b"),
        ("llama3.1:8b-instruct-q4_K_M", "llama-3.1-8b"),
        ("llama3.3:70b-instruct-fp16", "llama-3.3-70b"),
        ("models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", "llama-3.1-8b"),
        ("Qwen/Qwen2.5-72B-Instruct-AWQ", "qwen2.5-72b"),
        ("qwen2.5:7b", "qwen2.5-7b"),
        ("mistral:7b-instruct-v0.3-q8_0", "mistral-7b"),
        ("llama3.1:latest", None),
        ("gpt-4o", None),
    ],
)
def test_model_names(name: str, want: str | None) -> None:
    assert resolve_model_name(name, IDS) == want


@pytest.mark.parametrize(
    ("name", "want"),
    [
        # GGUF types are their own precisions (issue 11: not 'int4 for everything 4-bit')
        ("llama3.1:8b-instruct-q4_K_M", ("q4_k_m", "q4_K_M")),
        ("llama 8B Q4_K - Medium", ("q4_k_m", "Q4_K")),
        ("llama 7B mostly Q4_0", ("q4_0", "Q4_0")),
        ("mistral:7b-instruct-v0.3-q8_0", ("q8_0", "q8_0")),
        ("neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8", ("fp8", "FP8")),
        ("Qwen2.5-7B-Instruct-AWQ", ("int4", "AWQ")),
        ("llama3.3:70b-instruct-fp16", ("fp16", "fp16")),
        ("llama 8B Q6_K", ("q6_k", "Q6_K")),
        ("llama 8B Q3_K_L", (None, "Q3_K_L")),  # a type the engine does not model
        ("gpt-oss-120b-MXFP4", ("mxfp4", "MXFP4")),
        ("llama3.1:8b", (None, None)),
    ],
)
def test_quantisation_tags(name: str, want: tuple[str | None, str | None]) -> None:
    assert quantization_from_name(name) == want


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),  # what nvidia-smi calls the SXM part
        ("NVIDIA H100 PCIe", "h100-pcie"),
        ("H100_80G", "h100-sxm"),
        ("NVIDIA GeForce RTX 4090", "rtx-4090"),
        ("NVIDIA A100-SXM4-80GB", "a100-80gb"),
        ("Apple M2 Ultra", "apple-m2-ultra"),
        ("AMD Instinct MI300X", "mi300x"),
        ("AMD Radeon RX 7900 XTX", None),
    ],
)
def test_gpu_names(name: str, want: str | None) -> None:
    assert match_gpu_name(name, default_catalog().gpus) == want


def test_model_from_parameter_count_and_ambiguity(tmp_path: Path) -> None:
    row = json.loads((DATA / "llama-bench.json").read_text())[0]
    row.update(model_filename="model.gguf", model_type="llama ?B Q4_K - Medium")
    m = parse_text(json.dumps([row]), "bench.json")
    # 8,030,261,248 parameters: Llama 3 8B and Llama 3.1 8B, the same architecture
    with pytest.raises(InputError, match=r"could be llama-3-8b or llama-3\.1-8b; give --model"):
        resolve_model(m, default_catalog())
    row.update(model_n_params=13_015_864_320)  # Llama 2 13B alone
    m = parse_text(json.dumps([row]), "bench.json")
    assert resolve_model(m, default_catalog()) == "llama-2-13b"
    row.update(model_n_params=70_553_706_496)  # Llama 3.1 70B and 3.3 70B: the same architecture
    m = parse_text(json.dumps([row]), "bench.json")
    with pytest.raises(
        InputError,
        match=r"could be llama-3-70b or llama-3\.1-70b or llama-3\.3-70b; give --model",
    ):
        resolve_model(m, default_catalog())
