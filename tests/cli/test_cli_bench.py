"""``tokentui bench``: refusals on one line with exit code 2, and a whole run through the CLI
against the in-process fake server (its transport put in place of the network)."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench_fakes import FakeServer

import engine.cli.bench as bench_cli
from engine.cli.main import main
from engine.measure.detect import load_measurement


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(["bench", *args])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tokentui: error:") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["localhost:8000"], "give http://HOST:PORT"),
        (["ftp://x"], "give http://HOST:PORT"),
        (["http://x:99999"], "bad port"),
        (["http://x", "--concurrency", "0"], "from 1 to 4,096"),
        (["http://x", "--concurrency", "1,x"], "whole numbers separated by commas"),
        (["http://x", "--concurrency", "2.5"], "whole numbers"),
        (["http://x", "--rate", "inf"], "finite rate above 0"),
        (["http://x", "--rate", "-1"], "finite rate above 0"),
        (["http://x", "--output-tokens", "0"], "from 1"),
        (["http://x", "--api", "grpc"], "invalid choice"),
        (["http://x", "--timeout", "--"], "expected one"),
        (["http://x", "--repeats", "0"], "repeats: give 1 to 100"),
        (["http://x", "--gpus", "2"], "--gpus needs --gpu"),
        (["http://x", "--gpu", "h900"], "h900"),
        (["http://x", "--input-tokens", "5", "--prompts", "p.txt"], "not allowed with"),
        (["http://x", "--requests-per-level", "5", "--duration", "3"], "not allowed with"),
        (["http://x", "--fixed-length", "maybe"], "give on or off"),
    ],
)
def test_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    assert says in refused(capsys, *args)


def test_an_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(capsys, "http://127.0.0.1:9", "--concurrency", "1", "--quiet")
    assert "cannot connect" in err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        (b"", "no prompt in the file"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b'{"text": 3}\n', "needs a 'prompt' text field"),
        (b"{broken\n", "malformed JSON line"),
    ],
)
def test_bad_prompt_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes | None, says: str
) -> None:
    path = tmp_path / "p.txt"
    if content is not None:
        path.write_bytes(content)
    assert says in refused(capsys, "http://x", "--prompts", str(path))


def test_prompts_from_a_folder_or_fifo_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert "is a folder" in refused(capsys, "http://x", "--prompts", str(tmp_path))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "is a named pipe" in refused(capsys, "http://x", "--prompts", str(fifo))


def test_save_never_replaces_a_file_unasked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = tmp_path / "run.json"
    old.write_text("precious")
    assert "--force" in refused(capsys, "http://x", "--save", str(old))
    assert old.read_text() == "precious"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeServer:
    server = FakeServer(ttft=0.004, step=0.002)
    real = bench_cli.run_bench

    def patched(*args: Any, **kw: Any) -> Any:
        return real(*args, **kw, transport=server.transport())

    monkeypatch.setattr(bench_cli, "run_bench", functools.wraps(real)(patched))
    return server


def test_a_run_prints_saves_and_compares(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake: FakeServer
) -> None:
    out = tmp_path / "run.json"
    code = main(
        [
            "bench",
            "http://127.0.0.1:8000/v1",
            "--concurrency",
            "1,2,4",
            "--output-tokens",
            "8",
            "--input-tokens",
            "16",
            "--requests-per-level",
            "6",
            "--save",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "C=1" in text and "C=4" in text and "Throughput from C=1" in text
    assert "Little's law" in text and "saved 1" not in text
    data = json.loads(out.read_text())
    assert data["complete"] is True and data["settings"]["url"] == "http://127.0.0.1:8000"
    assert data["hardware"]["source"] in ("nvml", "none")  # a loopback URL: this machine's
    meas = load_measurement(out)
    assert [p.concurrency for p in meas.points] == [1, 2, 4]
    # the file goes through compare like any other (the tiny model is not in the catalog)
    assert main(["compare", str(out), "--model", "llama-3.1-8b", "--gpu", "h100-sxm"]) == 0
    compared = capsys.readouterr().out
    assert "tokentui-bench" in compared or "run.json" in compared


def test_json_prints_the_summaries(capsys: pytest.CaptureFixture[str], fake: FakeServer) -> None:
    code = main(
        [
            "bench",
            "http://127.0.0.1:8000",
            "--concurrency",
            "2",
            "--output-tokens",
            "4,8",
            "--requests-per-level",
            "4",
            "--json",
            "--quiet",
            "--gpu",
            "h100-sxm",
            "--gpus",
            "2",
        ]
    )
    assert code == 0
    summaries = json.loads(capsys.readouterr().out)
    assert [s["output_tokens_asked"] for s in summaries] == [4, 8]
    assert all(s["requests"] == 4 for s in summaries)


def test_a_failing_server_exits_1_and_keeps_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake: FakeServer
) -> None:
    handle = fake.handle

    async def dying(request: Any) -> Any:
        if fake.seen >= 5 and request.method == "POST":
            import httpx

            raise httpx.ConnectError("connection refused")
        return await handle(request)

    fake.handle = dying  # type: ignore[method-assign]
    out = tmp_path / "run.json"
    code = main(
        [
            "bench",
            "http://127.0.0.1:8000",
            "--concurrency",
            "1,2",
            "--output-tokens",
            "4",
            "--requests-per-level",
            "10",
            "--save",
            str(out),
            "--quiet",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "the run stopped early" in err and "cannot connect" in err and str(out) in err
    data = json.loads(out.read_text())
    assert data["complete"] is False and data["summaries"]


def test_help_lists_bench() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui.main", "--help"], capture_output=True, text=True, timeout=60
    )
    assert "bench" in out.stdout
