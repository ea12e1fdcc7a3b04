"""Issue #12: long work shows progress on a terminal, and nothing extra when piped.

``calibrate`` draws a status line on stderr (rewritten in place, cleared at the end) only when
stderr is a terminal: the real command under a pseudo-terminal, and the same command piped.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import BENCHMARKS

from engine.cli.bench import ProgressLine
from engine.cli.calibrate import CalibrateProgress
from engine.cli.progress import REWRITE, StatusLine, elapsed
from engine.measure.calibration import FitProgress

FILES = [
    str(BENCHMARKS / "tokenomics-vllm" / "llama_31_8b_2000in_300out.json"),
    str(BENCHMARKS / "tokenomics-vllm" / "llama_31_8b_16000in_1000ut.json"),
]
CALIBRATE = [sys.executable, "-m", "tui.main", "calibrate", *FILES, "--gpus", "1"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _on_a_pty(argv: list[str], tmp_path: Path) -> tuple[int, str, str]:
    """``argv`` with stderr on a pseudo-terminal and stdout in a file: (code, stdout, stderr)."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    out = tmp_path / "stdout"
    with out.open("w") as stdout:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed (Linux: EIO)
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    code = proc.wait(timeout=60)
    return code, out.read_text(), b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="no pseudo-terminals")
def test_calibrate_shows_its_progress_on_a_terminal(tmp_path: Path) -> None:
    code, out, err = _on_a_pty(CALIBRATE, tmp_path)
    assert code == 0, err
    assert f"{REWRITE}reading the files: 0/2" in err
    assert f"{REWRITE}fitting to 14 points in 2 files" in err
    assert "fitting 4 factors to 14 points: round 1, iteration" in err
    assert err.endswith(REWRITE)  # cleared: the terminal is left as it was
    assert "\n" not in err  # one line, rewritten, never scrolled
    assert out.startswith("Fitted ") and "\x1b" not in out  # the report is untouched


def test_calibrate_piped_writes_nothing_extra() -> None:
    piped = subprocess.run(CALIBRATE, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0
    assert piped.stderr == ""
    assert piped.stdout.startswith("Fitted ") and "\x1b" not in piped.stdout


def test_the_status_line_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    with StatusLine(pipe) as line:
        line.show("working", force=True)
    assert pipe.getvalue() == ""

    tty, now = Terminal(), [0.0]
    with StatusLine(tty, interval_s=1.0, clock=lambda: now[0]) as line:
        line.show("one")
        line.show("two")  # within the interval: skipped
        now[0] = 2.0
        line.show("three")
        line.show("three", force=True)  # the same text is not written again
    assert tty.getvalue() == f"{REWRITE}one{REWRITE}three{REWRITE}"


def test_the_status_line_is_cut_to_the_terminal_width() -> None:
    tty = Terminal()  # no size to ask: 80 columns
    StatusLine(tty).show("x" * 200)
    assert tty.getvalue() == REWRITE + "x" * 79


def test_calibrate_progress_in_words() -> None:
    tty, now = Terminal(), [0.0]
    progress = CalibrateProgress(StatusLine(tty, interval_s=0.0), clock=lambda: now[0])
    progress.reading(0, 165)
    progress.points = 1485
    now[0] = 96.0
    progress(FitProgress(round=2, factors=1, iteration=7, max_iterations=60, evaluations=40))
    shown = tty.getvalue().split(REWRITE)
    assert shown[1:] == [
        "reading the files: 0/165  0:00",
        "fitting 1 factor to 1,485 points: round 2, iteration 7 (at most 60)  1:36",
    ]
    assert (elapsed(7), elapsed(3723)) == ("0:07", "1:02:03")


def test_bench_progress_still_a_line_a_level_when_piped() -> None:
    from engine.bench.runner import Progress

    def level(i: int, done: int) -> Progress:
        return Progress(i, 2, f"C={i + 1}", done, 4, 0, 10.0, 1.0, None)

    pipe, tty = io.StringIO(), Terminal()
    for out in (pipe, tty):
        line = ProgressLine(out)
        for p in (level(0, 1), level(0, 2), level(1, 1)):
            line(p)
        line.close()
    assert pipe.getvalue().splitlines() == [
        "[1/2] C=1: 1/4 requests  10 tok/s",
        "[2/2] C=2: 1/4 requests  10 tok/s",
    ]
    assert tty.getvalue().count(REWRITE) == 4 and tty.getvalue().endswith(REWRITE)


def test_ctrl_c_in_a_long_command_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.cli import calibrate
    from engine.cli.main import main

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(calibrate, "fit_determined", interrupted)
    assert main(["calibrate", *FILES, "--gpus", "1"]) == 130
    out = capsys.readouterr()
    assert (out.out, out.err) == ("", "tokentui: interrupted\n")
