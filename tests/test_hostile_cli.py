"""Hostile files and inputs cannot hurt (issue 13), at the command line: what a file holds never
reaches the terminal raw, a bad file is one line (exit 2) or a warning while the good ones list,
``--json`` is strict JSON, and no file-system refusal is a traceback."""

from __future__ import annotations

import ast
import errno
import json
import os
import re
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.storage import files

REPO = Path(__file__).resolve().parents[1]
H100 = (REPO / "presets/gpus/h100-sxm.toml").read_text()
SEED = REPO / "benchmarks/tokenomics-vllm/llama_31_8b_2000in_300out.json"
#: Characters a terminal acts on: C0 controls but the newline, DEL and the C1 controls.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line of a refusal: exit code 2, nothing on stdout, no traceback."""
    code, out, err = cli(capsys, *args)
    assert code == 2, (out, err)
    (line,) = err.strip().splitlines()
    assert line.startswith("tokentui: error: ") and not RAW_CONTROL.search(err)
    return line


def strict_json(text: str) -> object:
    def no_constant(name: str) -> object:
        raise AssertionError(f"--json printed {name}")

    return json.loads(text, parse_constant=no_constant)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_preset_description_with_escapes_is_shown_not_obeyed(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    code, exported, _ = cli(capsys, "presets", "export", "article-70b-4xh100")
    text = re.sub(
        r"^description = .*",
        lambda _: r'description = "\u001b]0;pwned\u0007\u001b[2J"',
        exported,
        flags=re.M,
    )
    write(home / "presets" / "e.toml", text)
    for args in (("presets", "list"), ("presets", "show", "e"), ("estimate", "--preset", "e")):
        code, out, err = cli(capsys, *args)
        assert code == 0 and not RAW_CONTROL.search(out + err), args
    code, out, _ = cli(capsys, "presets", "list")
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in out  # visible, as an escape
    code, out, _ = cli(capsys, "presets", "list", "--json")
    assert strict_json(out)


def test_a_file_name_with_escapes_is_shown_not_obeyed(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    code, exported, _ = cli(capsys, "presets", "export", "llama-8b-1xh100")
    write(home / "presets" / "e\x1b[2J.toml", exported)
    code, out, err = cli(capsys, "presets", "list")
    assert code == 0 and "e\\x1b[2J.toml" in err and not RAW_CONTROL.search(out + err)
    line = refused(capsys, "compare", str(tmp_path / "r\x1b]0;x\x07.json"))
    assert "r\\x1b]0;x\\x07.json: no such file" in line


def test_one_impossible_gpu_file_never_stops_the_others(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    """The issue's reproducer: memory_gib = 10**400 crashed every command (OverflowError)."""
    bad = write(
        home / "gpus" / "x.toml",
        re.sub(
            r"^memory_gib = 80",
            "memory_gib = 1" + "0" * 400,
            H100.replace('"h100-sxm"', '"x"'),
            flags=re.M,
        ),
    )
    code, out, err = cli(capsys, "gpus")
    assert code == 0 and "h100-sxm" in out
    assert f"skipped {bad}: field 'memory_gib' is an integer of 401 digits" in err
    code, out, _ = cli(capsys, "estimate", "--json")
    assert code == 0 and strict_json(out)


def test_a_nan_link_is_refused_and_json_never_says_nan(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    """The issue's reproducer: bandwidth_gbps = nan printed NaN (null in --json) everywhere."""
    text = H100.replace('"h100-sxm"', '"y"').replace("bandwidth_gbps = 450", "bandwidth_gbps = nan")
    write(home / "gpus" / "y.toml", text)
    line = refused(capsys, "estimate", "--gpu", "y", "--gpus", "2", "--json")
    assert "unknown GPU 'y'" in line  # the file was refused, so the id is not in the catalog
    assert "a catalog file could not be read: 'tokentui gpus' says why" in line
    _, _, err = cli(capsys, "gpus")
    assert "field 'interconnect.bandwidth_gbps' must be a finite number, got nan" in err


@pytest.mark.parametrize("command", ["compare", "calibrate"])
def test_deep_json_devices_and_fifos_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    deep = write(tmp_path / "d.json", "[" * 100_000 + "]" * 100_000 + "\n")
    assert "nested too deeply" in refused(capsys, command, str(deep))
    assert "/dev/zero: is a device" in refused(capsys, command, "/dev/zero")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "is a named pipe (FIFO)" in refused(capsys, command, str(fifo))


def test_a_calibration_on_a_negative_prompt_is_refused_and_saves_nothing(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    """The issue's reproducer: avg_input_tokens = -2035 was fitted and saved as a profile."""
    data = json.loads(SEED.read_text())
    for row in data["results"].values():
        row["avg_input_tokens"] = -2035
    bad = write(tmp_path / "neg.json", json.dumps(data))
    line = refused(capsys, "calibrate", str(bad), "--save", "neg")
    assert "input_tokens is -2035" in line
    assert not (home / "profiles" / "neg.toml").exists()


def test_calibrate_cannot_save_over_the_builtin_profile_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = refused(capsys, "calibrate", str(SEED), "--save", "default")
    assert "'default' is reserved" in line


def test_permission_errors_on_the_user_folder_are_one_line_or_a_warning(
    capsys: pytest.CaptureFixture[str], home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user without read permission on TOKENTUI_HOME sees it (tests may run as root, whom
    permissions do not stop: the refusals are made by hand, as the OS makes them)."""
    write(home / "presets" / "p.toml", "schema = 2\n")
    real_listdir, real_open = os.listdir, os.open

    def listdir(path: object) -> list[str]:
        if str(path).startswith(str(home)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_listdir(path)  # type: ignore[arg-type]

    def open_(path: object, *args: object) -> int:
        if str(path).startswith(str(home)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "listdir", listdir)
    monkeypatch.setattr(files.os, "open", open_)
    code, out, err = cli(capsys, "presets", "list")
    assert code == 0 and "article-70b-4xh100" in out  # the built-in ones still list
    assert f"{home / 'presets'}: cannot be read (Permission denied)" in err
    code, out, _ = cli(capsys, "gpus")
    assert code == 0 and "h100-sxm" in out
    assert "p.toml: cannot be read (Permission denied)" in refused(capsys, "presets", "show", "p")

    def stat_denied(self: Path, **kwargs: object) -> os.stat_result:
        raise PermissionError(errno.EACCES, "Permission denied", str(self))

    monkeypatch.setattr(Path, "stat", stat_denied)  # is_file() on a folder with no x permission
    line = refused(capsys, "estimate", "--preset", "p")
    assert "Permission denied" in line


@pytest.mark.parametrize("value", ["--", "", "nan", "1e400", "x\x1b[2J"])
def test_every_estimate_flag_with_a_hostile_value_is_one_line(
    capsys: pytest.CaptureFixture[str], value: str
) -> None:
    from engine.cli.main import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices["estimate"]  # type: ignore[union-attr]
    flags = [
        a.option_strings[-1]
        for a in sub._actions
        if a.option_strings and a.nargs is None and a.type is not None
    ]
    assert len(flags) > 20
    for flag in flags:
        code, out, err = cli(capsys, "estimate", f"{flag}={value}")
        assert code in (0, 2) and "Traceback" not in err, (flag, err)
        assert not RAW_CONTROL.search(out + err), flag
        if code == 2:
            assert len(err.strip().splitlines()) == 1, (flag, err)


def test_bench_refuses_a_save_file_it_could_not_write_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A name too long for the file system was an OSError traceback (Path.exists raises)."""
    long = str(tmp_path / ("a" * 300))
    line = refused(capsys, "bench", "http://127.0.0.1:9", "--save", long, "--force")
    assert "Traceback" not in line
    assert "there is no folder" in refused(
        capsys, "bench", "http://127.0.0.1:9", "--save", str(tmp_path / "no" / "x.json")
    )


def test_the_commands_print_only_through_the_terminal_safe_boundary() -> None:
    """Every line a command prints goes through engine.cli.base.say (or fail and warn), which
    escapes control characters: no module of engine/cli calls print itself."""
    for path in (REPO / "engine" / "cli").glob("*.py"):
        if path.name in ("base.py", "progress.py"):  # the boundary; the status line's own codes
            continue
        tree = ast.parse(path.read_text())
        calls = [
            n.lineno
            for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
        ]
        assert not calls, f"{path.name}: print() at lines {calls}; use say()"
