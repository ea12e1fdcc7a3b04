"""Hostile files cannot hurt (issue 13), at the readers: control characters, numbers no GPU or
model can have, nesting and sizes no reader should follow, results no run can produce, saves
killed mid-write and the umask.

Every bound checked here is stated from what is physically possible, not from the code: no GPU
holds 10**400 GiB, no batch has a negative prompt, a TOML integer is 64-bit (its spec).
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest

from engine.errors import InputError, terminal_safe
from engine.measure.detect import load_measurement
from engine.storage.catalog import load_catalog
from engine.storage.files import loads_json, read_text
from engine.storage.paths import STALE_TEMP_S, atomic_write
from engine.storage.tomlio import read_toml

REPO = Path(__file__).resolve().parents[1]
H100 = (REPO / "presets/gpus/h100-sxm.toml").read_text()
LLAMA8 = re.sub(
    r"^aliases.*\n", "", (REPO / "presets/models/llama-3.1-8b.toml").read_text(), flags=re.M
)
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"  # set the terminal's title, then clear the screen
TOML_ESCAPES = r"\u001b]0;pwned\u0007\u001b[2J"


def edit(text: str, pattern: str, replacement: str) -> str:
    new = re.sub(pattern, lambda _: replacement, text, count=1, flags=re.M)
    assert new != text, pattern
    return new


def gpu_file(field: str, value: str) -> str:
    """The H100's file as the GPU 'x', with one line replaced."""
    return edit(edit(H100, r"^id = .*", 'id = "x"'), rf"^{field} = .*", f"{field} = {value}")


# ------------------------------------------------------------------------- terminal escapes


def test_terminal_safe_shows_every_control_as_an_escape() -> None:
    shown = terminal_safe(f"a{ESCAPES}\u009b31m\u202eb\nc\u2028")
    assert shown == "a\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eb\\nc\\u2028"
    assert shown.isprintable()
    assert terminal_safe("H100 — 80 GB, ü") == "H100 — 80 GB, ü"  # printable text is kept
    assert terminal_safe("x" * 50, 20) == "x" * 17 + "..."


@pytest.mark.parametrize(
    ("field", "line"),
    [
        ("name", "name"),
        ("id", "id"),
        ("vendor", "vendor"),
        ("interconnect.kind", "kind"),
        ("source", "source"),
    ],
)
def test_a_gpu_file_with_a_control_character_is_refused_by_field(
    tmp_path: Path, field: str, line: str
) -> None:
    (tmp_path / "gpus").mkdir()
    (tmp_path / "gpus" / "x.toml").write_text(
        edit(edit(H100, r"^id = .*", 'id = "x"'), rf"^{line} = .*", f'{line} = "{TOML_ESCAPES}"')
    )
    cat = load_catalog([tmp_path])
    assert "h100-sxm" in cat.gpus and "x" not in cat.gpus
    (error,) = cat.errors
    assert f"field {field!r} contains the control character U+001B" in error


def test_a_model_name_with_a_control_character_is_refused(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    text = edit(edit(LLAMA8, r"^id = .*", 'id = "m"'), r"^name = .*", f'name = "{TOML_ESCAPES}"')
    (tmp_path / "models" / "m.toml").write_text(text)
    cat = load_catalog([tmp_path])
    assert "m" not in cat.models and "field 'name' contains the control" in cat.errors[0]


# ------------------------------------------------------------------ numbers that cannot be real

BIG = "1" + "0" * 400  # 10**400: more than a float holds
HUGE = "1" + "0" * 5000  # more digits than Python converts


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("memory_gib", BIG, "'memory_gib' is an integer of 401 digits"),
        ("memory_gib", HUGE, "an integer of more than 4,300 digits"),
        ("memory_gib", "inf", "'memory_gib' must be in (0, "),
        ("memory_gib", "1e308", "'memory_gib' must be in (0, "),
        ("memory_gib", "nan", "'memory_gib' must be a finite number, got nan"),
        ("memory_bandwidth_gbps", "1e308", "'memory_bandwidth_gbps' must be in (0, "),
        ("bf16", "inf", "'peak_tflops.bf16' must be in (0, "),
        ("bandwidth_gbps", "nan", "'interconnect.bandwidth_gbps' must be a finite number"),
        ("bandwidth_gbps", "1e308", "'interconnect.bandwidth_gbps' must be in (0, "),
        ("latency_us", "inf", "'interconnect.latency_us' must be in [0, "),
        ("max_gpus", "9223372036854775807", "'interconnect.max_gpus' must be in [1, "),
        ("price_per_hour", "1e308", "'price_per_hour' must be in [0, "),
    ],
    ids=lambda v: v[:16],
)
def test_a_gpu_number_no_gpu_can_have_is_refused_and_the_rest_list(
    tmp_path: Path, field: str, value: str, says: str
) -> None:
    (tmp_path / "gpus").mkdir()
    bad = tmp_path / "gpus" / "x.toml"
    bad.write_text(gpu_file(field, value))
    (tmp_path / "gpus" / "good.toml").write_text(edit(H100, r"^id = .*", 'id = "good"'))
    cat = load_catalog([tmp_path])  # no OverflowError: every other file still lists
    assert "good" in cat.gpus and "x" not in cat.gpus and "h100-sxm" in cat.gpus
    (error,) = cat.errors
    assert error.startswith(str(bad)) and says in error, error


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden_size", BIG),
        ("num_layers", "9223372036854775807"),
        ("vocab_size", "1000000000000"),  # a vocabulary of a trillion words
        ("max_context", "9223372036854775807"),
    ],
    ids=lambda v: v[:16],
)
def test_a_model_size_no_model_can_have_is_refused(tmp_path: Path, field: str, value: str) -> None:
    (tmp_path / "models").mkdir()
    text = edit(edit(LLAMA8, r"^id = .*", 'id = "m"'), rf"^{field} = .*", f"{field} = {value}")
    (tmp_path / "models" / "m.toml").write_text(text)
    cat = load_catalog([tmp_path])
    assert "m" not in cat.models and "llama-3.1-8b" in cat.models
    assert f"'{field}'" in cat.errors[0]


def test_toml_nested_too_deeply_is_one_error(tmp_path: Path) -> None:
    for text in (
        "a = " + "[" * 100_000 + "]" * 100_000,
        "a = " + "{b = " * 5_000 + "1" + "}" * 5_000,
    ):
        path = tmp_path / "deep.toml"
        path.write_text(text + "\n")
        with pytest.raises(InputError, match=r"deep\.toml: not valid TOML"):
            read_toml(path)


# -------------------------------------------------------------------------- bounded reads


def test_only_a_regular_file_of_bounded_size_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # opened without a writer: it must not block
    with pytest.raises(InputError, match="is a named pipe"):
        read_text(fifo, 1024)
    with pytest.raises(InputError, match="is a device"):
        read_text(Path("/dev/zero"), 1024)  # endless
    with pytest.raises(InputError, match="is a folder"):
        read_text(tmp_path, 1024)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2049)
    with pytest.raises(InputError, match="larger than"):
        read_text(big, 2048)


def test_json_too_deep_or_with_a_401_digit_number_is_a_decode_error() -> None:
    for text in ("[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000):
        with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
            loads_json(text)
    with pytest.raises(json.JSONDecodeError, match="an integer of 401 digits") as err:
        loads_json('{"n": ' + BIG + "}")
    assert err.value.pos == 6  # where the number starts


# ------------------------------------------------------------------ measurements no run gives

SEED_ROW = {"avg_input_tokens": 2035, "avg_output_tokens": 300, "tokens_per_second_in_batch": 54.0}


def seed_file(tmp_path: Path, key: str = "1", **row: object) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"metadata": {}, "results": {key: {**SEED_ROW, **row}}}))
    return path


@pytest.mark.parametrize(
    ("key", "row", "says"),
    [
        ("1", {"avg_input_tokens": -2035}, "input_tokens is -2035"),
        ("1", {"avg_output_tokens": 0}, "tokens and tokens per second must be positive"),
        ("1", {"elapsed_time": -5.0}, "elapsed_s is -5.0"),
        ("1", {"avg_tokens_per_second": -1.0}, "per_request_tokens_per_s is -1.0"),
        ("1" + "0" * 12, {}, "batch size must be a whole number from 1 to 1,000,000"),
        ("9" * 5000, {}, "batch size must be a whole number from 1 to 1,000,000"),
        ("1", {"avg_input_tokens": 1e12}, "tokens from 0 to 10,000,000"),
    ],
    ids=lambda v: str(v)[:16],
)
def test_an_impossible_measurement_is_refused(
    tmp_path: Path, key: str, row: dict[str, object], says: str
) -> None:
    path = seed_file(tmp_path, key, **row)
    with pytest.raises(InputError) as err:
        load_measurement(path)
    assert str(err.value).startswith(str(path)) and says in str(err.value), str(err.value)


def test_a_measured_value_of_401_digits_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(
        '{"metadata": {}, "results": {"1": {"avg_input_tokens": ' + BIG + ', "avg_output_tokens"'
        ': 300, "tokens_per_second_in_batch": 54}}}'
    )
    with pytest.raises(InputError, match="an integer of 401 digits"):
        load_measurement(path)


# ------------------------------------------------------------------------------ saving


def test_a_save_removes_stale_temporary_files_only(tmp_path: Path) -> None:
    stale = tmp_path / ".mine.0123abcd.tmp"  # left by a save killed mid-write
    fresh = tmp_path / ".other.89abcdef.tmp"  # another save, under way
    mine = tmp_path / ".notes.tmp"  # not one of tokentui's names
    for path in (stale, fresh, mine):
        path.write_text("half a fi")
    old = time.time() - STALE_TEMP_S - 60
    os.utime(stale, (old, old))
    os.utime(mine, (old, old))
    atomic_write(tmp_path / "mine.toml", b"x = 1\n")
    assert not stale.exists() and fresh.exists() and mine.exists()
    assert (tmp_path / "mine.toml").read_bytes() == b"x = 1\n"


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_a_new_file_honours_the_umask_and_a_replaced_one_keeps_its_mode(
    tmp_path: Path, umask: int
) -> None:
    before = os.umask(umask)
    try:
        path = tmp_path / "p.toml"
        atomic_write(path, b"a = 1\n")
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask
        path.chmod(0o640)
        atomic_write(path, b"a = 2\n")
        assert path.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(before)
