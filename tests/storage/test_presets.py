"""Presets: exact round trips, the built-ins, refusal of bad files and names, atomic saves, and the
user catalog. Every test works in its own TOKENTUI_HOME; the real home is never touched."""

from __future__ import annotations

import errno
import os
import tomllib
from dataclasses import asdict, replace
from pathlib import Path
from unittest import mock

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import make_scenario

from engine.errors import InputError
from engine.physics.arch import parameter_count, weight_bytes
from engine.physics.deployment import IDEAL, MAX_TOKENS, Efficiency, EngineSettings
from engine.physics.memory import check_fits, valid_tp_degrees
from engine.physics.specs import GIB, KV_DTYPES, PEAK_PRECISIONS, WEIGHT_DTYPES, GPUSpec, ModelSpec
from engine.scenario.axes import MAX_BATCH
from engine.storage import paths as userdata
from engine.storage.catalog import builtin_catalog, default_catalog, gpu_from_dict, model_to_dict
from engine.storage.names import MAX_NAME_LENGTH, check_name, safe_name
from engine.storage.preset_format import CHARTS
from engine.storage.presets import (
    Preset,
    builtin_names,
    delete_preset,
    list_presets,
    load_file,
    load_preset,
    preset_from_toml_dict,
    preset_to_toml,
    preset_to_toml_dict,
    rename_preset,
    save_preset,
)
from engine.storage.profiles import default_efficiency


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ------------------------------------------------------------------------------ the user directory


def test_config_dir_is_tokentui_home_or_platform_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENTUI_HOME", "/srv/shared/alice")
    assert userdata.config_dir() == Path("/srv/shared/alice")
    monkeypatch.delenv("TOKENTUI_HOME")
    monkeypatch.setattr(
        userdata.platformdirs, "user_config_dir", lambda app: f"/home/u/.config/{app}"
    )
    assert userdata.config_dir() == Path("/home/u/.config/tokentui")


# ------------------------------------------------------------------------------ built-in presets

BUILTINS = {
    "article-70b-4xh100",
    "llama-8b-1xh100",
    "long-context-16k",
    "rtx-4060-local",
    "m3-ultra",
    "deepseek-v3-8xh200",
    "llama-2-7b-3x3090-llamacpp",
}


def test_builtins_load_without_errors_and_fit(home: Path) -> None:
    presets, errors = list_presets()
    assert errors == []
    assert {p.name for p in presets} == BUILTINS == set(builtin_names())
    for p in presets:
        assert p.builtin and p.path is not None and p.path.stem == p.name
        assert p.description and p.chart in CHARTS
        plan = check_fits(
            p.scenario, p.scenario.context_tokens
        )  # raises if not even one sequence fits
        assert plan.max_batch >= 1, p.name


def test_article_preset_is_the_estimate_default(home: Path) -> None:
    from engine.cli.main import build_parser
    from engine.cli.scenario_args import scenario_from_args

    defaults = scenario_from_args(build_parser().parse_args(["estimate"]), default_catalog())
    article = load_preset("article-70b-4xh100").scenario
    assert article == defaults
    assert (article.model.id, article.gpu.id, article.gpus, article.tp) == (
        "llama-3.3-70b",
        "h100-sxm",
        4,
        4,
    )
    assert (article.input_tokens, article.output_tokens) == (2035, 300)
    assert parameter_count(article.model) == 70_553_706_496  # the article's count


def test_builtin_cases_are_what_they_say(home: Path) -> None:
    b8 = load_preset("llama-8b-1xh100").scenario
    assert (b8.model.id, b8.gpu.id, b8.gpus, b8.tp) == ("llama-3.1-8b", "h100-sxm", 1, 1)
    long = load_preset("long-context-16k").scenario
    assert (long.input_tokens, long.output_tokens) == (16_000, 1_000)
    local = load_preset("rtx-4060-local").scenario
    assert local.gpu.id == "rtx-4060" and local.gpu.memory_bytes == 8 * GIB
    # 8B in 16 bits is 16 GB: only 4-bit weights fit in 8 GB.
    assert (
        weight_bytes(local.model, "bf16") > 8 * GIB > weight_bytes(local.model, local.weight_dtype)
    )
    assert local.weight_dtype == "int4" and max(local.workload.batch_sizes) == 8
    m3 = load_preset("m3-ultra").scenario
    assert m3.gpu.id == "apple-m3-ultra" and m3.model.id == "llama-3.3-70b"


def test_loading_and_listing_never_write(home: Path) -> None:
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in builtin_files()}
    list_presets()
    for name in BUILTINS:
        load_preset(name)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in builtin_files()} == before
    assert files_in(home) == []


def builtin_files() -> list[Path]:
    folder = load_preset("m3-ultra").path
    assert folder is not None
    return sorted(folder.parent.glob("*"))


# ------------------------------------------------------------------------------ round trip

CAT = builtin_catalog()
IDS = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
TEXT = st.text(max_size=40)  # any unicode, control characters included
#: Any unicode but what a catalog entry's text may not hold: control, format and separator
#: characters (a terminal would act on them; tests/test_hostile_files.py).
LABEL = st.text(st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp", "Cs")), max_size=40)
NAMES = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,30}", fullmatch=True).filter(
    lambda n: n not in BUILTINS and n.split(".")[0] not in {"con", "prn", "aux", "nul"}
)


def decimal(low: int, high: int, places: int = 2) -> st.SearchStrategy[float]:
    """A figure as a datasheet writes it (the catalog's units: GiB, GB/s, TFLOP/s, us)."""
    return st.integers(low * 10**places, high * 10**places).map(lambda n: n / 10**places)


@st.composite
def custom_models(draw: st.DrawFn) -> ModelSpec:
    kv = draw(st.sampled_from([1, 2, 4, 8]))
    experts = draw(st.integers(1, 8))
    return ModelSpec(
        id=draw(IDS),
        name=draw(LABEL.filter(bool)),
        family=draw(st.sampled_from(["llama", "mistral", "qwen2"])),
        hidden_size=draw(st.integers(1, 128)) * 64,
        num_layers=draw(st.integers(1, 128)),
        num_attention_heads=kv * draw(st.integers(1, 8)),
        num_key_value_heads=kv,
        head_dim=draw(st.sampled_from([64, 80, 96, 128, 256])),
        intermediate_size=draw(st.integers(1, 100_000)),
        vocab_size=draw(st.integers(1, 300_000)),
        tie_word_embeddings=draw(st.booleans()),
        max_context=draw(st.integers(2, 2_000_000)),
        attention_bias=draw(st.booleans()),
        dtype=draw(st.sampled_from(WEIGHT_DTYPES)),
        num_experts=experts,
        experts_per_token=draw(st.integers(1, experts)),
        moe_intermediate_size=draw(st.integers(0, 20_000)) if experts > 1 else 0,
        aliases=tuple(draw(st.lists(LABEL.filter(bool), max_size=2))),
        source=draw(LABEL),
    )


@st.composite
def custom_gpus(draw: st.DrawFn) -> GPUSpec:
    peaks = draw(st.lists(st.sampled_from(PEAK_PRECISIONS), min_size=1, max_size=5, unique=True))
    data = {
        "id": draw(IDS),
        "name": draw(LABEL),
        "vendor": draw(LABEL),
        "memory_gib": draw(decimal(1, 2048)),
        "memory_bandwidth_gbps": draw(decimal(1, 20_000)),
        "price_per_hour": draw(st.floats(0, 1000)),
        "peak_tflops": {p: draw(decimal(1, 10_000, 1)) for p in peaks},
        "interconnect": {
            "kind": draw(LABEL),
            "bandwidth_gbps": draw(decimal(1, 2_000)),
            "latency_us": draw(decimal(0, 100)),
            "max_gpus": draw(st.integers(1, 1024)),
        },
        "source": draw(LABEL),
    }
    if draw(st.booleans()):
        data["max_memory_fraction"] = draw(st.floats(0.01, 1.0))
    return gpu_from_dict(data)


def unit(exclude_min: bool = True) -> st.SearchStrategy[float]:
    return st.floats(0.0, 1.0, exclude_min=exclude_min)


@st.composite
def efficiencies(draw: st.DrawFn) -> Efficiency:
    """Any factors the table accepts (its ranges, in SI units)."""
    return Efficiency(
        compute=draw(unit()),
        memory=draw(unit()),
        attention=draw(unit()),
        attention_token_s=draw(st.floats(0, 1e-3)),
        attention_items=draw(st.floats(0, 1e6)),
        attention_floor=draw(unit()),
        step_overhead_s=draw(st.floats(0, 1.0)),
        seq_overhead_s=draw(st.floats(0, 0.1)),
        collective_latency_s=draw(st.floats(0, 0.1)),
        eager_layer_s=draw(st.floats(0, 0.1)),
        request_overhead_s=draw(st.floats(0, 1.0)),
        lockstep=draw(st.floats(0, 1.0)),
    )


@st.composite
def engines(draw: st.DrawFn) -> EngineSettings:
    return EngineSettings(
        memory_utilization=draw(unit()),
        max_num_seqs=draw(st.integers(1, MAX_TOKENS)),
        max_batched_tokens=draw(st.integers(1, MAX_TOKENS)),
        block_size=draw(st.integers(1, 1024)),
        runtime_reserve_gib=draw(st.floats(0, 9999)),
        graph_max_context=draw(st.integers(1, MAX_TOKENS)),
        graph_max_tokens=draw(st.integers(1, MAX_TOKENS)),
        chunked_prefill=draw(st.booleans()),
        kv_reserve=draw(st.floats(0, 1.0)),
        kv_of_free=draw(st.booleans()),
    )


@st.composite
def loads(draw: st.DrawFn) -> dict[str, object]:
    """A workload kind and its axis, as ScenarioInput's fields."""
    kind = draw(st.sampled_from(["static", "concurrency", "rate", "offline"]))
    counts = st.lists(st.integers(1, MAX_BATCH), min_size=1, max_size=8)
    if kind == "static":
        return {"load": kind, "batch_sizes": tuple(draw(counts))}
    if kind == "concurrency":
        return {"load": kind, "concurrency": tuple(draw(counts))}
    requests = (draw(st.integers(1, 10_000_000)),)
    if kind == "offline":
        return {"load": kind, "num_requests": tuple(draw(counts))}
    rate = st.one_of(st.floats(1e-6, 1e6), st.just(float("inf")))
    return {
        "load": kind,
        "rates": tuple(draw(st.lists(rate, min_size=1))),
        "num_requests": requests,
    }


@st.composite
def presets(draw: st.DrawFn) -> Preset:
    if draw(st.booleans()):
        model = CAT.models[draw(st.sampled_from(sorted(CAT.models)))]
    else:
        model = draw(custom_models())
    gpu = CAT.gpus[draw(st.sampled_from(sorted(CAT.gpus)))] if draw(st.booleans()) else None
    gpu = gpu or draw(custom_gpus())
    tp = draw(st.sampled_from([t for t in valid_tp_degrees(model) if t <= 64]))
    inp = draw(st.integers(1, min(MAX_TOKENS, model.max_context - 1)))
    out = draw(st.integers(1, min(MAX_TOKENS, model.max_context - inp)))
    mode = draw(st.sampled_from(["realistic", "ideal"]))
    scenario = make_scenario(
        model,
        gpu,
        gpus=tp * draw(st.integers(1, 4)),
        tp=tp,
        input_tokens=inp,
        output_tokens=out,
        **draw(loads()),
        mode=mode,
        engine=draw(st.sampled_from([None, *sorted(CAT.engines)])),
        efficiency=None if mode == "ideal" else draw(st.one_of(st.none(), efficiencies())),
        flop_count=draw(st.sampled_from([None, "article", "flash"])),
        weight_dtype=draw(st.sampled_from([None, *WEIGHT_DTYPES])),
        kv_dtype=draw(st.sampled_from(KV_DTYPES)),
        price_per_gpu_hour=draw(st.one_of(st.none(), st.floats(0, 1e6))),
        gamma=draw(st.floats(0, 1e3)),
        engine_settings=draw(st.one_of(st.none(), engines())),
    )
    return Preset(
        name=draw(NAMES),
        scenario=scenario,
        chart=draw(st.sampled_from(CHARTS)),
        description=draw(TEXT),
    )


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("home")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(preset=presets())
def test_round_trip_save_load_is_identical(shared_home: Path, preset: Preset) -> None:
    with mock.patch.dict(os.environ, {"TOKENTUI_HOME": str(shared_home)}):
        saved = save_preset(preset, overwrite=True)
        loaded = load_preset(preset.name)
    assert loaded.scenario == preset.scenario
    assert (loaded.name, loaded.chart, loaded.description) == (
        preset.name,
        preset.chart,
        preset.description,
    )
    assert not loaded.builtin and loaded.path == saved.path
    # the same text through the pure functions, and again (stable)
    data = tomllib.loads(preset_to_toml(preset))
    again = preset_from_toml_dict(data, "round trip")
    assert again.scenario == preset.scenario
    assert preset_to_toml_dict(again) == preset_to_toml_dict(preset)
    # a catalog entry is saved by id, anything else in full (the file is self-contained)
    m = data["model"]
    assert (set(m) == {"id"}) == (CAT.models.get(preset.scenario.model.id) == preset.scenario.model)
    g = data["gpu"]
    assert (set(g) == {"id"}) == (CAT.gpus.get(preset.scenario.gpu.id) == preset.scenario.gpu)


def test_custom_hardware_travels_with_the_file(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A model from the user's catalog is written in full: the file loads where it is unknown."""
    model = replace(CAT.model("llama-3.1-8b"), id="my-8b", name="My 8B", num_layers=30)
    (home / "models").mkdir()
    (home / "models" / "my-8b.toml").write_bytes(tomli_w.dumps(model_to_dict(model)).encode())
    s = make_scenario(default_catalog().model("my-8b"), CAT.gpu("l40s"), gpus=1)
    text = preset_to_toml(Preset(name="mine", scenario=s))
    assert "num_layers = 30" in text and 'id = "l40s"' in text
    elsewhere = tmp_path_factory.mktemp("colleague")
    (elsewhere / "mine.toml").write_text(text)
    with mock.patch.dict(os.environ, {"TOKENTUI_HOME": str(elsewhere / "home")}):
        with pytest.raises(InputError, match="unknown model 'my-8b'"):
            default_catalog().model("my-8b")
        assert load_preset(str(elsewhere / "mine.toml")).scenario == s


SPARSE = (
    '[model]\nid = "llama-3.1-8b"\n[gpu]\nid = "h100-sxm"\n'
    "[hardware]\ngpus = 2\n[workload]\ninput_tokens = 100\noutput_tokens = 10\n"
)


@pytest.mark.parametrize("schema", [1, 2])
def test_sparse_file_takes_the_defaults(home: Path, schema: int) -> None:
    """A hand-written file may leave out options, efficiency and engine: the defaults (the
    profile's factors in realistic mode, the roofline in ideal mode)."""
    path = home / "sparse.toml"
    path.write_text(f"schema = {schema}\n" + SPARSE + "[efficiency]\ncompute = 0.5\n")
    s = load_preset(str(path)).scenario
    assert s.tp == 2 and s.flop_count == "flash" and s.price_per_gpu_hour == 2.5
    assert s.efficiency == replace(default_efficiency(), compute=0.5)
    assert s.engine == EngineSettings()
    assert s.workload.batch_sizes == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
    path.write_text(f"schema = {schema}\n" + SPARSE + '[options]\nmode = "ideal"\n')
    p = load_preset(str(path))
    assert p.name == "sparse" and p.chart == "throughput"
    assert p.scenario.efficiency == IDEAL and p.scenario.flop_count == "article"


def test_factors_in_ideal_mode_are_refused_not_dropped(home: Path) -> None:
    """Ideal mode is the roofline itself: a factor beside it is an error naming it (before, a
    schema-1 file applied it and called the result ideal). The ideal factors tokentui itself wrote
    into schema-1 ideal presets are read as what they are."""
    path = home / "ideal.toml"
    path.write_text(
        "schema = 1\n" + SPARSE + '[efficiency]\ncompute = 0.5\n[options]\nmode = "ideal"\n'
    )
    with pytest.raises(InputError, match=r"\[efficiency\] sets realistic factors, but .* 'ideal'"):
        load_preset(str(path))
    path.write_text(
        "schema = 2\n" + SPARSE + '[efficiency]\ncompute = 0.5\n[options]\nmode = "ideal"\n'
    )
    with pytest.raises(InputError, match=r"\[efficiency\]: field 'compute' is a realistic factor"):
        load_preset(str(path))
    written = tomli_w.dumps({"efficiency": asdict(IDEAL), "options": {"mode": "ideal"}})
    path.write_text("schema = 1\n" + SPARSE + written)
    assert load_preset(str(path)).scenario.efficiency == IDEAL


# ------------------------------------------------------------------------------ bad files

GOOD = """schema = 1
name = "good"
chart = "cost"

[model]
id = "llama-3.1-8b"

[gpu]
id = "h100-sxm"

[hardware]
gpus = 2
tp = 2

[workload]
input_tokens = 2000
output_tokens = 300
batch_sizes = [1, 8]

[options]
mode = "realistic"
price_per_gpu_hour = 3.0
gamma = 0.3

[efficiency]
compute = 0.5

[serving]
block_size = 16
"""

INLINE_MODEL = """[model]
id = "tiny"
name = "Tiny"
hidden_size = 512
num_layers = 4
num_attention_heads = 8
num_key_value_heads = 8
intermediate_size = 1024
vocab_size = 1000
tie_word_embeddings = true
max_context = 4096
source = "test"
"""


def edit(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


BAD_FILES = [
    # (text, the field, the reason)
    ("schema = 1\nname = ", "", "not valid TOML"),
    (edit("gpus = 2", 'gpus = "two"'), "'gpus'", "must be an integer, got 'two'"),
    (edit("gpus = 2", "gpus = 2.0"), "'gpus'", "must be an integer"),
    (edit("input_tokens = 2000", "input_tokens = true"), "'input_tokens'", "must be an integer"),
    (edit("batch_sizes = [1, 8]", 'batch_sizes = [1, "8"]'), "'batch_sizes'", "whole numbers"),
    (edit("batch_sizes = [1, 8]", "batch_sizes = []"), "'batch_sizes'", "non-empty"),
    (edit("gamma = 0.3", 'gamma = "0.3"'), "'gamma'", "must be a number"),
    (
        GOOD.replace("[hardware]\ngpus = 2\ntp = 2\n", "").replace(
            "schema = 1", "schema = 1\nhardware = 4"
        ),
        "'hardware'",
        "must be a table",
    ),
    (edit("input_tokens = 2000\n", ""), "[workload]: missing field 'input_tokens'", "missing"),
    (edit('[gpu]\nid = "h100-sxm"\n', ""), "missing field 'gpu'", "missing"),
    (edit("schema = 1\n", ""), "missing field 'schema'", "missing"),
    (
        edit('chart = "cost"', 'chart = "cost"\ncolour = "red"'),
        "unknown field 'colour'",
        "accepted",
    ),
    (edit("gamma = 0.3", "gamma = 0.3\nspeed = 2"), "[options]: unknown field 'speed'", "accepted"),
    (
        edit("compute = 0.5", "compute = 0.5\nturbo = 1.0"),
        "[efficiency]: unknown field 'turbo'",
        "",
    ),
    (edit("schema = 1", "schema = 3"), "'schema' is 3", "newer than this tokentui reads (2)"),
    (edit("schema = 1", "schema = 0"), "'schema'", "must be 1 or 2"),
    (edit('chart = "cost"', 'chart = "pie"'), "'chart' is 'pie'", "throughput, bottlenecks"),
    (edit('mode = "realistic"', 'mode = "fast"'), "'mode' is 'fast'", "realistic, ideal"),
    (edit("gamma = 0.3", 'gamma = 0.3\nkv_dtype = "int2"'), "'kv_dtype' is 'int2'", "fp8"),
    (edit("gpus = 2", "gpus = 0"), "'gpus'", "must be from 1 to 4,096, got 0"),
    (edit("output_tokens = 300", "output_tokens = -1"), "'output_tokens'", "must be from 1"),
    (
        edit("price_per_gpu_hour = 3.0", "price_per_gpu_hour = nan"),
        "'options.price_per_gpu_hour'",
        "finite",
    ),
    (edit("gamma = 0.3", "gamma = inf"), "'options.gamma'", "finite"),
    (
        edit("compute = 0.5", "compute = 1.5"),
        "[efficiency]: field 'compute'",
        "must be in (0, 1] (of peak), got 1.5",
    ),
    (
        edit("compute = 0.5", "step_overhead_s = -0.001"),
        "[efficiency]: field 'step_overhead_s'",
        "must be from 0 to 1 (s), got -0.001",
    ),
    (
        edit("block_size = 16", "block_size = 0"),
        "[serving]: field 'block_size'",
        "must be from 1 to 10,000,000 (tokens), got 0",
    ),
    (
        edit("block_size = 16", "block_size = 1.5"),
        "[serving]: field 'block_size'",
        "must be an integer",
    ),
    (edit('id = "llama-3.1-8b"', 'id = "gpt-9"'), "[model]: field 'id'", "unknown model 'gpt-9'"),
    (edit('id = "h100-sxm"', 'id = "tpu"'), "[gpu]: field 'id'", "unknown GPU 'tpu'"),
    (edit('id = "h100-sxm"', "id = 100"), "[gpu]: field 'id'", "must be a string"),
    (
        edit('[model]\nid = "llama-3.1-8b"\n', INLINE_MODEL.replace("hidden_size = 512\n", "")),
        "[model]: missing field 'hidden_size'",
        "missing",
    ),
    (
        edit('[model]\nid = "llama-3.1-8b"\n', INLINE_MODEL.replace("4096", "'long'")),
        "[model]: field 'max_context'",
        "must be an integer",
    ),
    (
        edit("gpus = 2\ntp = 2", "gpus = 3\ntp = 3"),
        "[hardware]: field 'tp'",
        "TP 3 does not divide",
    ),
    (edit("tp = 2", "tp = 4"), "[hardware]: field 'tp'", "2 GPUs cannot be split"),
    (
        edit("input_tokens = 2000", "input_tokens = 200000"),
        "[workload]: field 'input_tokens': input + output tokens (200,300)",
        "exceed the 131,072",
    ),
]


@pytest.mark.parametrize(
    ("text", "field", "reason"), BAD_FILES, ids=[f"{f} {r}".strip() for _, f, r in BAD_FILES]
)
def test_bad_file_names_file_field_and_reason(
    home: Path, text: str, field: str, reason: str
) -> None:
    folder = home / "presets"
    folder.mkdir()
    (folder / "good.toml").write_text(GOOD)
    bad = folder / "bad.toml"
    bad.write_text(text)
    before = (bad.read_bytes(), bad.stat().st_mtime_ns)
    with pytest.raises(InputError) as err:
        load_preset("bad")
    message = str(err.value)
    assert message.startswith(str(bad)), message
    assert field in message and reason in message, message
    assert "\n" not in message
    # listed: the good ones stay, the bad one is one error, and nothing is rewritten
    presets, errors = list_presets()
    assert {p.name for p in presets} == BUILTINS | {"good"}
    assert errors == [message]
    assert (bad.read_bytes(), bad.stat().st_mtime_ns) == before
    assert files_in(folder) == ["bad.toml", "good.toml"]


def test_good_file_is_good(home: Path) -> None:
    path = home / "good.toml"
    path.write_text(GOOD)
    p = load_file(path)
    assert (p.name, p.chart, p.scenario.gpus, p.scenario.price_per_gpu_hour) == (
        "good",
        "cost",
        2,
        3.0,
    )
    inline = home / "inline.toml"
    inline.write_text(edit('[model]\nid = "llama-3.1-8b"\n', INLINE_MODEL))
    assert load_file(inline).scenario.model.id == "tiny"


def test_unreadable_bytes_are_an_error_naming_the_file(home: Path) -> None:
    folder = home / "presets"
    folder.mkdir()
    (folder / "bin.toml").write_bytes(b'schema = 1\nname = "\xff\xfe"\n')
    with pytest.raises(InputError, match=r"bin\.toml: (cannot be read|not valid TOML)"):
        load_preset("bin")


def test_user_file_with_a_builtin_name_or_a_bad_file_name_is_reported(home: Path) -> None:
    folder = home / "presets"
    folder.mkdir()
    (folder / "m3-ultra.toml").write_text(GOOD)
    (folder / "My Setup.toml").write_text(GOOD)
    (folder / ".good.abc123.tmp").write_text("half a fi")  # a save killed mid-write
    presets, errors = list_presets()
    assert {p.name for p in presets} == BUILTINS
    assert load_preset("m3-ultra").builtin  # the built-in wins
    assert len(errors) == 2
    assert any("m3-ultra.toml" in e and "built-in" in e for e in errors)
    assert any("My Setup.toml" in e and "rename the file" in e for e in errors)


# ------------------------------------------------------------------------------ names

BAD_NAMES = [
    ("", "must not be empty"),
    ("   ", "must not be empty"),
    ("..", "path component"),
    (".", "path component"),
    ("a/b", "must not contain a slash"),
    ("../../etc/passwd", "must not contain a slash"),
    ("a\\b", "must not contain a slash"),
    ("/abs", "must not contain a slash"),
    ("line\nbreak", "control character U+000A"),
    ("nul\x00byte", "control character U+0000"),
    ("esc\x1b[31m", "control character U+001B"),
    ("rtl\u202eexe.txt", "control character U+202E"),
    ("x" * (MAX_NAME_LENGTH + 1), f"at most {MAX_NAME_LENGTH}"),
    (".hidden", "must start with a letter or a digit"),
    ("-rf", "must start with a letter or a digit"),
    ("trailing.", "must not end with '.'"),
    ("mine.toml", "must not end in .toml"),
    ("My Preset", "may contain only lowercase letters"),
    ("a:b", "may contain only"),
    ("~root", "may contain only"),
    ("café", "may contain only"),
    ("con", "reserved device name"),
    ("nul.txt", "reserved device name"),
]


@pytest.mark.parametrize(("name", "reason"), BAD_NAMES)
def test_bad_names_are_refused_with_a_reason(home: Path, name: str, reason: str) -> None:
    with pytest.raises(InputError, match="preset name") as err:
        check_name(name)
    assert reason in str(err.value)
    preset = load_preset("llama-8b-1xh100")
    with pytest.raises(InputError):
        save_preset(preset, name)
    assert files_in(home) == []


@pytest.mark.parametrize("name", ["a", "llama-70b", "run_2.v3", "x" * MAX_NAME_LENGTH, "8xh100"])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("Llama 70B / 4x H100", "llama-70b-4x-h100"),
        ("../../etc/passwd", "etc-passwd"),
        ("Café Crème", "cafe-creme"),
        ("my preset.toml", "my-preset"),
        ("line\nbreak\x00", "line-break"),
        ("CON", "con-1"),
        ("x" * 100, "x" * MAX_NAME_LENGTH),
    ],
)
def test_safe_name_makes_a_file_name(text: str, safe: str) -> None:
    assert safe_name(text) == safe
    assert check_name(safe_name(text)) == safe


def test_safe_name_refuses_text_without_letters() -> None:
    with pytest.raises(InputError, match="no letter or digit"):
        safe_name("../ /..")


def test_bad_name_error_suggests_a_safe_one() -> None:
    with pytest.raises(InputError, match=r"e\.g\. 'my-preset'"):
        check_name("My Preset")


# ------------------------------------------------------------------------------ the store


def test_save_refuses_builtin_names_and_existing_files(home: Path) -> None:
    article = load_preset("article-70b-4xh100")
    with pytest.raises(InputError, match="built-in preset and cannot be overwritten"):
        save_preset(article)  # its own name is a built-in's
    with pytest.raises(InputError, match="built-in preset and cannot be overwritten"):
        save_preset(article, "m3-ultra", overwrite=True)
    saved = save_preset(article, "mine")
    assert saved.path == home / "presets" / "mine.toml" and saved.name == "mine"
    with pytest.raises(InputError, match="already exists"):
        save_preset(article, "mine")
    other = replace(article, scenario=replace(article.scenario, gamma=0.5))
    save_preset(other, "mine", overwrite=True)
    assert load_preset("mine").scenario.gamma == 0.5


def test_builtins_cannot_be_deleted_or_renamed(home: Path) -> None:
    with pytest.raises(InputError, match="built-in preset and cannot be deleted"):
        delete_preset("m3-ultra")
    with pytest.raises(InputError, match="cannot be renamed"):
        rename_preset("m3-ultra", "mine")
    save_preset(load_preset("m3-ultra"), "mine")
    with pytest.raises(InputError, match="name of a built-in preset"):
        rename_preset("mine", "long-context-16k")
    assert load_preset("m3-ultra").builtin


def test_delete_and_rename(home: Path) -> None:
    base = load_preset("llama-8b-1xh100")
    save_preset(base, "a")
    save_preset(base, "b")
    new = rename_preset("a", "c")
    assert new == home / "presets" / "c.toml"
    assert load_preset("c").scenario == base.scenario
    with pytest.raises(InputError, match="unknown preset 'a'"):
        load_preset("a")
    with pytest.raises(InputError, match="already exists"):
        rename_preset("c", "b")
    with pytest.raises(InputError, match=r"no user preset named 'zz' \(user presets: b, c\)"):
        delete_preset("zz")
    delete_preset("c")
    assert files_in(home / "presets") == ["b.toml"]
    (home / "presets" / "broken.toml").write_text("schema = ")
    delete_preset("broken")  # a bad file can still be deleted
    assert files_in(home / "presets") == ["b.toml"]


def test_load_by_path_and_unknown_name(home: Path) -> None:
    path = home / "elsewhere" / "shared.toml"
    path.parent.mkdir()
    path.write_text(GOOD)
    p = load_preset(str(path))
    assert p.name == "good" and p.path == path and not p.builtin
    with pytest.raises(InputError, match=r"no such file"):
        load_preset(str(home / "missing.toml"))
    with pytest.raises(InputError, match=r"unknown preset 'nope' \(accepted: article-70b-4xh100"):
        load_preset("nope")


# ------------------------------------------------------------------------------ atomic writes


@pytest.fixture
def saved_once(home: Path) -> tuple[Preset, Path, bytes]:
    preset = load_preset("llama-8b-1xh100")
    path = save_preset(preset, "mine").path
    assert path is not None
    return preset, path, path.read_bytes()


def changed(preset: Preset) -> Preset:
    s = preset.scenario
    workload = replace(s.workload, output_tokens=777)
    return replace(preset, scenario=replace(s, gamma=0.9, workload=workload))


def test_failed_replace_leaves_the_old_file_and_no_temp(
    saved_once: tuple[Preset, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    preset, path, old = saved_once

    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(userdata.os, "replace", disk_full)
        with pytest.raises(
            InputError, match=r"No space left on device.*previous file is unchanged"
        ):
            save_preset(changed(preset), "mine", overwrite=True)
    assert path.read_bytes() == old
    assert files_in(path.parent) == ["mine.toml"]
    assert load_preset("mine").scenario == preset.scenario


def test_failure_mid_write_leaves_the_old_file(
    saved_once: tuple[Preset, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temporary file is half written when the write fails (fsync: an I/O error)."""
    preset, path, old = saved_once
    seen: list[int] = []

    def failing_fsync(fd: int) -> None:
        seen.append(os.fstat(fd).st_size)
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(userdata.os, "fsync", failing_fsync)
    with pytest.raises(InputError, match="Input/output error"):
        save_preset(changed(preset), "mine", overwrite=True)
    assert seen and seen[0] > 0  # the new bytes were in the temporary file
    assert path.read_bytes() == old
    assert files_in(path.parent) == ["mine.toml"]


def test_killed_mid_save_leaves_the_old_file(
    saved_once: tuple[Preset, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interruption (Ctrl-C) between write and rename: old file intact, temp file removed."""
    preset, path, old = saved_once

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(userdata.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_preset(changed(preset), "mine", overwrite=True)
    assert path.read_bytes() == old
    assert files_in(path.parent) == ["mine.toml"]


def test_permission_denied_is_an_error_naming_the_file(
    saved_once: tuple[Preset, Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    preset, path, old = saved_once

    def denied(*args: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(userdata, "_temp_file", denied)
    with pytest.raises(InputError, match=rf"{path}: cannot be saved .*Permission denied"):
        save_preset(changed(preset), "mine", overwrite=True)
    assert path.read_bytes() == old
    assert files_in(path.parent) == ["mine.toml"]


def test_first_save_that_fails_writes_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(userdata.os, "replace", disk_full)
    with pytest.raises(InputError, match="nothing was written"):
        save_preset(load_preset("m3-ultra"), "new")
    assert files_in(home / "presets") == []


# ------------------------------------------------------------------------------ user catalog

USER_GPU = """id = "my-gpu"
name = "My GPU"
memory_gib = 48
memory_bandwidth_gbps = 960
price_per_hour = 0.8
source = "me"
[peak_tflops]
bf16 = 180
[interconnect]
kind = "PCIe"
bandwidth_gbps = 32
latency_us = 5
max_gpus = 8
"""


def test_user_models_and_gpus_join_the_catalog(home: Path) -> None:
    assert "my-gpu" not in default_catalog().gpus
    (home / "gpus").mkdir()
    (home / "gpus" / "my-gpu.toml").write_text(USER_GPU)
    (home / "gpus" / "broken.toml").write_text(
        USER_GPU.replace("memory_gib = 48", "memory_gib = 'x'")
    )
    assert "my-gpu" not in default_catalog().gpus  # cached for this home until reloaded
    cat = default_catalog(reload=True)
    assert cat.gpu("my-gpu").memory_bytes == 48 * GIB
    assert "h100-sxm" in cat.gpus and len(cat.gpus) == len(CAT.gpus) + 1
    assert len(cat.errors) == 1 and "broken.toml" in cat.errors[0]
    assert "'memory_gib' must be a number" in cat.errors[0]
    # a preset may name it by id
    path = home / "p.toml"
    path.write_text(GOOD.replace('id = "h100-sxm"', 'id = "my-gpu"'))
    assert load_file(path).scenario.gpu.id == "my-gpu"


def test_default_catalog_follows_tokentui_home(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    (other / "gpus").mkdir()
    (other / "gpus" / "my-gpu.toml").write_text(USER_GPU)
    assert "my-gpu" not in default_catalog().gpus
    monkeypatch.setenv("TOKENTUI_HOME", str(other))
    assert "my-gpu" in default_catalog().gpus
    monkeypatch.setenv("TOKENTUI_HOME", str(home))
    assert "my-gpu" not in default_catalog().gpus


def test_preset_dataclass_refuses_unknown_chart(home: Path) -> None:
    s = load_preset("m3-ultra").scenario
    with pytest.raises(InputError, match="unknown chart 'pie'"):
        Preset(name="x", scenario=s, chart="pie")


def test_readme_example_is_a_valid_preset(home: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Presets", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    p = preset_from_toml_dict(tomllib.loads(example), "README")
    s = p.scenario
    assert (p.name, s.gpus, s.tp, s.input_tokens, s.workload.batch_sizes) == (
        "my-setup",
        8,
        8,
        8000,
        (1, 8, 64),
    )
    assert s.efficiency.compute == 0.47 and s.efficiency.step_overhead_s == 0.0012
