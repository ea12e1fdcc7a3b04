"""``tokentui bench`` against a real llama.cpp ``llama-server`` (tests/live/conftest.py).

Speeds on a 2-core machine move with whatever else runs, so these assert protocol, counts,
ordering and consistency, not speeds: every measured request got exactly the tokens asked, one
streamed chunk per token, TTFT before E2E, Little's law within a tolerance; the results file goes
through ``compare`` and ``calibrate``; Ctrl+C and a killed server keep what was measured.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.bench.runner import run_bench
from engine.bench.settings import BenchSettings
from engine.measure.detect import load_measurement

TINY_MODEL = """
id = "tiny-llama"
name = "Tiny random Llama (the test server's model)"
family = "llama"
hidden_size = 128
num_layers = 4
num_attention_heads = 4
num_key_value_heads = 4
head_dim = 32
intermediate_size = 352
vocab_size = 32000
tie_word_embeddings = false
max_context = 8192
attention_bias = false
dtype = "fp16"
aliases = ["tiny"]
source = "scripts/test_server.py model: 4 layers, hidden 128, FFN 352, F16"
"""
THIS_CPU = """
id = "cpu-core"
name = "one x86 core"
vendor = "cpu"
memory_gib = 24
memory_bandwidth_gbps = 20
price_per_hour = 0.05
source = "rough: one core's DRAM bandwidth and AVX2 rate"

[peak_tflops]
fp32 = 0.1
bf16 = 0.1
fp16 = 0.1

[interconnect]
kind = "none"
bandwidth_gbps = 1
latency_us = 1.0
max_gpus = 1
"""


def check_level(s: dict[str, Any], concurrency: int, n: int, requests: int) -> None:
    assert s["concurrency"] == concurrency and s["output_tokens_asked"] == n
    assert s["requests"] == requests and s["errors"] == 0, s["error_reasons"]
    assert s["output_tokens"] == n and s["short_requests"] == 0
    assert 0 < s["ttft_s"] < s["e2e_s"] and 0 < s["itl_p50_s"] <= s["itl_p99_s"]
    assert s["ttft_p50_s"] <= s["ttft_p99_s"] and s["output_tokens_per_s"] > 0
    # the client keeps its users busy: on 2 shared cores (the server, this client and whatever
    # else runs) the event loop can lag a request's successor, so the tolerance is wide
    assert 0.7 <= s["littles_law_ratio"] <= 1.15, s["littles_law_ratio"]


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_closed_loop_1_4_8(llama_server: str, api: str) -> None:
    settings = BenchSettings(
        url=llama_server,
        api=api,
        concurrency=(1, 4, 8),
        output_tokens=(24,),
        input_tokens=48,
        requests_per_level=8,
    )
    run = asyncio.run(run_bench(settings))
    assert run.stopped is None and run.model == "tiny" and run.server.engine == "llamacpp"
    assert [s["concurrency"] for s in run.summaries] == [1, 4, 8]
    for s, c in zip(run.summaries, (1, 4, 8), strict=True):
        check_level(s, c, 24, 8)
    for r in run.records:
        assert r.error is None and r.finish_reason == "length"
        # llama-server streams exactly one chunk per token and says so in its usage object
        assert r.output_tokens == 24 and len(r.chunk_times) == 24 and r.token_source == "usage"
        assert r.chunk_times == sorted(r.chunk_times) and r.chunk_times[-1] <= (r.e2e_s or 0)
        assert r.server_timings is not None  # llama.cpp's own timings ride along
    # the probe sized the prompts to what the server counts (the chat template adds some)
    prompts = [r.prompt_tokens for r in run.records if r.prompt_tokens]
    assert all(40 <= p <= 60 for p in prompts), prompts


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "tui.main", "bench", *args]


def test_results_file_goes_through_compare_and_calibrate(llama_server: str, tmp_path: Path) -> None:
    home = Path(os.environ["TOKENTUI_HOME"])
    (home / "models").mkdir(parents=True, exist_ok=True)
    (home / "gpus").mkdir(parents=True, exist_ok=True)
    (home / "models" / "tiny-llama.toml").write_text(TINY_MODEL)
    (home / "gpus" / "cpu-core.toml").write_text(THIS_CPU)
    out = tmp_path / "run.json"
    done = subprocess.run(
        cli(
            llama_server,
            "--concurrency",
            "1,2,4",
            "--output-tokens",
            "16",
            "--input-tokens",
            "32",
            "--requests-per-level",
            "6",
            "--save",
            str(out),
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    # 1 + 2 + 4 warm-up requests and 3 x 6 measured ones
    assert "C=4" in done.stdout and "saved 25 requests" in done.stdout
    meas = load_measurement(out)
    assert meas.format == "tokentui-bench" and [p.concurrency for p in meas.points] == [1, 2, 4]
    assert meas.model_name == "tiny"
    base = [sys.executable, "-m", "tui.main"]
    compared = subprocess.run(
        [*base, "compare", str(out), "--gpu", "cpu-core", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compared.returncode == 0, compared.stderr
    report = json.loads(compared.stdout)
    assert report["files"][0]["scenario"]["model"] == "tiny-llama"  # found by the file's name
    fitted = subprocess.run(
        [*base, "calibrate", str(out), "--gpu", "cpu-core", "--save", "mybox"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fitted.returncode == 0, fitted.stderr
    assert (home / "profiles" / "mybox.toml").is_file()


def _wait_for(proc: subprocess.Popen[str], text: str, timeout: float) -> str:
    """Read the process's stderr lines until one contains ``text``."""
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    raise AssertionError(f"never saw {text!r} in: {''.join(seen)}")


def test_ctrl_c_keeps_what_was_measured(llama_server: str, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    proc = subprocess.Popen(
        cli(
            llama_server,
            "--concurrency",
            "1,2,4,8",
            "--output-tokens",
            "64",
            "--input-tokens",
            "32",
            "--requests-per-level",
            "40",
            "--save",
            str(out),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(proc, "[2/4]", 120)  # the first level is done, the second under way
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "stopped by the user" in stderr and "Traceback" not in stderr
    data = json.loads(out.read_text())
    assert data["complete"] is False and data["stopped"] == "stopped by the user"
    levels = {s["concurrency"]: s for s in data["summaries"]}
    assert levels[1]["requests"] == 40 and not levels[1].get("partial")
    assert 8 not in levels
    if 2 in levels:
        assert levels[2]["partial"] is True
    assert "C=1" in stdout


def test_a_killed_server_gives_a_clear_error(fresh_llama_server: Any, tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    proc = subprocess.Popen(
        cli(
            fresh_llama_server.url,
            "--concurrency",
            "1,4",
            "--output-tokens",
            "64",
            "--input-tokens",
            "32",
            "--requests-per-level",
            "200",
            "--timeout",
            "20",
            "--save",
            str(out),
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(proc, "[2/2]", 120)
        time.sleep(0.5)
        fresh_llama_server.kill()
        _, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("tokentui: error: the run stopped early:"), stderr
    assert any(why in last for why in ("cannot connect", "stream cut", "closed the connection")), (
        last
    )
    assert str(out) in last and "Traceback" not in stderr
    data = json.loads(out.read_text())
    assert data["complete"] is False
    assert data["summaries"][0]["concurrency"] == 1 and data["summaries"][0]["requests"] == 200
