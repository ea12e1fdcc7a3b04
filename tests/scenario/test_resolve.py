"""The one resolver: its defaults (the article's setup), the mode rule, errors in each front-end's
terms, the overlay of options on a preset, and resolving a scenario's own input gives it back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import InputError
from engine.physics.deployment import IDEAL, Efficiency, EngineSettings
from engine.physics.memory import valid_tp_degrees
from engine.physics.specs import KV_DTYPES, WEIGHT_DTYPES
from engine.scenario import CLI_TERMS, ScenarioInput, resolve
from engine.scenario.workload import DEFAULT_BATCHES, StaticBatch
from engine.storage.catalog import Catalog, default_catalog
from engine.storage.preset_format import PRESET_TERMS
from engine.storage.profiles import default_efficiency
from tui.state import APP_TERMS

CAT = default_catalog()
PROFILE = Efficiency(compute=0.5, memory=0.8, step_overhead_s=2e-3)


def res(**fields: object) -> object:
    return resolve(ScenarioInput(**fields), CAT, default_efficiency())  # type: ignore[arg-type]


def test_the_defaults_are_the_articles_setup(catalog: Catalog) -> None:
    s = resolve(ScenarioInput(), catalog, PROFILE)
    assert (s.model.id, s.gpu.id, s.gpus, s.tp, s.replicas) == (
        "llama-3.3-70b",
        "h100-sxm",
        4,
        4,
        1,
    )
    assert s.workload == StaticBatch(2035, 300, DEFAULT_BATCHES)
    assert DEFAULT_BATCHES == (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
    assert (s.mode, s.flop_count, s.weight_dtype, s.kv_dtype) == (
        "realistic",
        "flash",
        "bf16",
        "bf16",
    )
    assert (s.price_per_gpu_hour, s.gamma) == (2.5, 0.3)  # the H100's catalog price, the article's
    assert s.efficiency == PROFILE  # the default profile is passed in, never read here
    assert s.engine == EngineSettings()


def test_ideal_mode_is_the_roofline_with_the_articles_flop_count() -> None:
    s = resolve(ScenarioInput(mode="ideal"), CAT, PROFILE)
    assert s.efficiency == IDEAL and s.flop_count == "article"
    assert (
        resolve(ScenarioInput(mode="ideal", flop_count="flash"), CAT, PROFILE).flop_count == "flash"
    )


def test_realistic_starts_from_the_profile_given_and_applies_factors_on_top() -> None:
    s = resolve(ScenarioInput(profile=PROFILE, factors={"compute": 0.6}), CAT, IDEAL)
    assert s.efficiency == replace(PROFILE, compute=0.6)
    assert resolve(ScenarioInput(factors={"compute": 0.6}), CAT, PROFILE).efficiency == replace(
        PROFILE, compute=0.6
    )


@pytest.mark.parametrize(
    ("terms", "profile_message", "factor_message"),
    [
        (CLI_TERMS, "--profile (mine) sets the realistic factors", "--step-overhead-ms is a"),
        (APP_TERMS, "profile (mine) sets the realistic factors", "step ms is a"),
        (PRESET_TERMS, None, "[efficiency]: field 'step_overhead_s' is a"),
    ],
)
def test_ideal_mode_refuses_a_profile_or_a_factor(
    terms: object, profile_message: str | None, factor_message: str
) -> None:
    """Refused, not silently dropped (the app ignored --profile and the factor flags before)."""
    if profile_message:
        inp = ScenarioInput(mode="ideal", profile=PROFILE, profile_name="mine")
        with pytest.raises(InputError, match=rf"^{_re(profile_message)}") as err:
            resolve(inp, CAT, PROFILE, terms)  # type: ignore[arg-type]
        assert err.value.field == "profile"
    inp = ScenarioInput(mode="ideal", factors={"step_overhead_s": 1e-3})
    with pytest.raises(InputError, match=rf"^{_re(factor_message)} realistic factor") as err:
        resolve(inp, CAT, PROFILE, terms)  # type: ignore[arg-type]
    assert err.value.field == "step_overhead_ms"


def _re(text: str) -> str:
    import re

    return re.escape(text)


#: (input, key, the flag's message, the preset file's, the app's)
BAD = [
    (
        {"gpus": 0},
        "gpus",
        "--gpus must be from 1 to 4,096, got 0",
        "[hardware]: field 'gpus' must be from 1 to 4,096, got 0",
        "GPUs must be from 1 to 4,096, got 0",
    ),
    (
        {"input_tokens": -5},
        "input_tokens",
        "--input-tokens must be from 1 to 10,000,000, got -5",
        "[workload]: field 'input_tokens' must be from 1 to 10,000,000, got -5",
        "input tokens must be from 1 to 10,000,000, got -5",
    ),
    (
        {"factors": {"step_overhead_s": -0.001}},
        "step_overhead_ms",
        "--step-overhead-ms must be from 0 to 1,000 (ms), got -1",
        "[efficiency]: field 'step_overhead_s' must be from 0 to 1 (s), got -0.001",
        "step ms must be from 0 to 1,000 (ms), got -1",
    ),
    (
        {"factors": {"compute": 1.5}},
        "compute_efficiency",
        "--compute-efficiency must be in (0, 1] (of peak), got 1.5",
        "[efficiency]: field 'compute' must be in (0, 1] (of peak), got 1.5",
        "compute must be in (0, 1] (of peak), got 1.5",
    ),
    (
        {"settings": {"max_num_seqs": 0}},
        "max_num_seqs",
        "--max-num-seqs must be from 1 to 10,000,000 (sequences), got 0",
        "[engine]: field 'max_num_seqs' must be from 1 to 10,000,000 (sequences)",
        "max seqs must be from 1 to 10,000,000 (sequences), got 0",
    ),
    (
        {"gamma": -1.0},
        "gamma",
        "--gamma must be from 0 to 1000, got -1",
        "[options]: field 'gamma' must be from 0 to 1000, got -1",
        "gamma must be from 0 to 1000, got -1",
    ),
    (
        {"price_per_gpu_hour": float("nan")},
        "price_per_gpu_hour",
        "--price-per-gpu-hour must be a number from 0 to 1e+06, got nan",
        "[options]: field 'price_per_gpu_hour' must be a number",
        "$ / GPU-h must be a number",
    ),
    (
        {"batch_sizes": (0, 8)},
        "batch_sizes",
        "--batch must be from 1 to 1,000,000, got 0",
        "[workload]: field 'batch_sizes' must be from 1 to 1,000,000, got 0",
        "batches must be from 1 to 1,000,000, got 0",
    ),
    (
        {"kv_dtype": "int2"},
        "kv_dtype",
        "--kv-dtype is 'int2', not one of the accepted: fp32, bf16, fp16, fp8",
        "[options]: field 'kv_dtype' is 'int2', not one of the accepted",
        "KV cache is 'int2', not one of the accepted",
    ),
    (
        {"gpus": 3},
        "tp",
        "TP 3 does not divide the 64 attention heads of llama-3.3-70b",
        "[hardware]: field 'tp': TP 3 does not divide the 64 attention heads",
        "TP 3 does not divide the 64 attention heads",
    ),
    (
        {"input_tokens": 200_000},
        "input_tokens",
        "input + output tokens (200,300) exceed the 131,072-token context of llama-3.3-70b",
        "[workload]: field 'input_tokens': input + output tokens (200,300) exceed",
        "input + output tokens (200,300) exceed",
    ),
    (
        {"model": "gpt-9"},
        "model",
        "unknown model 'gpt-9' (accepted: deepseek-v3, gemma-2-27b",
        "unknown model 'gpt-9'",
        "unknown model 'gpt-9'",
    ),
]


@pytest.mark.parametrize(("fields", "key", "cli", "preset", "app"), BAD)
def test_errors_name_the_input_in_the_callers_terms(
    fields: dict[str, object], key: str, cli: str, preset: str, app: str
) -> None:
    for terms, message in ((CLI_TERMS, cli), (PRESET_TERMS, preset), (APP_TERMS, app)):
        with pytest.raises(InputError) as err:
            resolve(ScenarioInput(**fields), CAT, PROFILE, terms)  # type: ignore[arg-type]
        assert str(err.value).startswith(message), (str(err.value), message)
        assert err.value.field == key


def test_unknown_factor_or_setting_names_are_refused() -> None:
    with pytest.raises(InputError, match="unknown realistic factor 'turbo'"):
        resolve(ScenarioInput(factors={"turbo": 1.0}), CAT, PROFILE)
    with pytest.raises(InputError, match="unknown engine setting 'warp'"):
        resolve(ScenarioInput(settings={"warp": 1}), CAT, PROFILE)


# ------------------------------------------------------------------------------ the overlay

BASE = ScenarioInput(
    model="llama-3.3-70b",
    gpu="h100-sxm",
    gpus=8,
    tp=4,
    price_per_gpu_hour=3.0,
    mode="realistic",
    flop_count="article",
    factors={"compute": 0.4, "memory": 0.8},
    settings={"max_num_seqs": 64},
)


def test_overlay_given_fields_win_and_dependent_ones_reset() -> None:
    top = ScenarioInput(input_tokens=100, settings={"block_size": 32}, factors={"memory": 0.7})
    o = BASE.overlay(top)
    assert (o.input_tokens, o.gpus, o.tp, o.price_per_gpu_hour) == (100, 8, 4, 3.0)
    assert o.factors == {"compute": 0.4, "memory": 0.7}
    assert o.settings == {"max_num_seqs": 64, "block_size": 32}
    # a new GPU brings its catalog price, unless a price is given; the same GPU keeps it
    assert BASE.overlay(ScenarioInput(gpu="b200")).price_per_gpu_hour is None
    assert BASE.overlay(ScenarioInput(gpu="b200", price_per_gpu_hour=9.0)).price_per_gpu_hour == 9.0
    assert BASE.overlay(ScenarioInput(gpu="h100-sxm")).price_per_gpu_hour == 3.0
    # --gpus without --tp means TP = GPUs
    assert BASE.overlay(ScenarioInput(gpus=8)).tp is None
    assert BASE.overlay(ScenarioInput(gpus=8, tp=2)).tp == 2
    # another mode brings that mode's factors and FLOP count
    ideal = BASE.overlay(ScenarioInput(mode="ideal"))
    assert (ideal.factors, ideal.flop_count, ideal.profile) == ({}, None, None)
    assert BASE.overlay(ScenarioInput(mode="realistic")).factors == BASE.factors
    # a profile replaces the base's factors; the options' own apply on top
    p = BASE.overlay(ScenarioInput(profile=PROFILE, factors={"compute": 0.9}))
    assert (p.profile, p.factors) == (PROFILE, {"compute": 0.9})
    s = resolve(p, CAT, IDEAL)
    assert s.efficiency == replace(PROFILE, compute=0.9)


# ------------------------------------------------------------------------------ round trip


@st.composite
def inputs(draw: st.DrawFn) -> ScenarioInput:
    model = CAT.models[draw(st.sampled_from(sorted(CAT.models)))]
    tp = draw(st.sampled_from([t for t in valid_tp_degrees(model) if t <= 16]))
    inp = draw(st.integers(1, min(100_000, model.max_context - 1)))
    mode = draw(st.sampled_from(["realistic", "ideal"]))
    given_tp = draw(st.booleans())
    return ScenarioInput(
        model=model.id,
        gpu=draw(st.sampled_from(sorted(CAT.gpus))),
        gpus=tp * draw(st.integers(1, 4)) if given_tp else tp,  # without TP: one group
        tp=tp if given_tp else None,
        input_tokens=inp,
        output_tokens=draw(st.integers(1, min(10_000, model.max_context - inp))),
        batch_sizes=draw(
            st.one_of(st.none(), st.lists(st.integers(1, 4096), min_size=1, max_size=9).map(tuple))
        ),
        mode=mode,
        flop_count=draw(st.sampled_from([None, "article", "flash"])),
        weight_dtype=draw(st.sampled_from([None, *WEIGHT_DTYPES])),
        kv_dtype=draw(st.sampled_from([None, *KV_DTYPES])),
        price_per_gpu_hour=draw(st.one_of(st.none(), st.floats(0, 100))),
        gamma=draw(st.one_of(st.none(), st.floats(0, 2))),
        factors={}
        if mode == "ideal"
        else draw(
            st.fixed_dictionaries(
                {},
                optional={"compute": st.floats(0.05, 1.0), "step_overhead_s": st.floats(0, 0.01)},
            )
        ),
        settings=draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "max_num_seqs": st.integers(1, 4096),
                    "memory_utilization": st.floats(0.1, 1.0),
                },
            )
        ),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inputs())
def test_resolving_a_scenarios_own_input_gives_it_back(inp: ScenarioInput) -> None:
    """What a saved preset, the app's title mark and ``--preset`` rely on."""
    s = resolve(inp, CAT, PROFILE)
    assert resolve(ScenarioInput.of(s), CAT, IDEAL) == s
    assert resolve(inp.overlay(ScenarioInput()), CAT, PROFILE) == s  # nothing on top: the same


def test_a_load_axis_of_up_to_4096_points() -> None:
    """One limit for every front-end (the command line allowed 64, then 1,024; the engine runs
    4,096 batch sizes in a few ms)."""
    many = tuple(range(1, 4097))
    assert resolve(ScenarioInput(batch_sizes=many), CAT, PROFILE).workload.values()[-1] == 4096
    with pytest.raises(InputError, match="--batch: at most 4,096 batch sizes") as err:
        resolve(ScenarioInput(batch_sizes=(*many, 5000)), CAT, PROFILE)
    assert err.value.field == "batch_sizes"
