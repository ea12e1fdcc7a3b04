"""The table of realistic factors and engine settings is the one source of their names, units and
ranges: the flags, the profile keys, ``calibrate --factors``, the app's fields and the messages
all come from it."""

from __future__ import annotations

import math
from dataclasses import fields

import pytest

from engine.cli.main import build_parser
from engine.cli.measure_args import factor_names
from engine.cli.scenario_args import input_from_args
from engine.errors import InputError
from engine.measure.calibration import HOLD_ORDER_FIELDS, PARAMS
from engine.physics.deployment import Efficiency, EngineSettings
from engine.scenario.factors import FACTORS, HOLD_ORDER, SETTINGS, Knob
from engine.storage.profiles import efficiency_from_dict, efficiency_to_dict


def test_one_row_per_field_in_the_fields_order() -> None:
    assert [k.field for k in FACTORS] == [f.name for f in fields(Efficiency)]
    assert [k.field for k in SETTINGS] == [f.name for f in fields(EngineSettings)]
    keys = [k.key for k in (*FACTORS, *SETTINGS)]
    assert len(set(keys)) == len(keys)
    assert sorted(HOLD_ORDER) == sorted(k.short for k in FACTORS)
    assert tuple(k.field for k in FACTORS) == PARAMS
    assert sorted(HOLD_ORDER_FIELDS) == sorted(PARAMS)
    assert all(len(k.label) <= 11 and k.help for k in (*FACTORS, *SETTINGS))


@pytest.mark.parametrize("knob", [*FACTORS, *SETTINGS], ids=lambda k: k.key)
def test_every_row_is_a_flag_of_estimate(knob: Knob) -> None:
    if knob.boolean:
        args = build_parser().parse_args(["estimate", knob.flag, "on"])
        assert input_from_args(args).settings == {knob.field: True}
        return
    shown = 8 if knob.integer else knob.high / 2
    args = build_parser().parse_args(["estimate", knob.flag, str(shown)])
    inp = input_from_args(args)
    table = inp.settings if knob in SETTINGS else inp.factors
    assert table == {knob.field: pytest.approx(shown / (1 if knob.integer else knob.scale))}


def test_profile_keys_are_the_table_keys_and_read_back() -> None:
    eff = Efficiency(
        compute=0.5,
        memory=0.9,
        attention=0.8,
        attention_token_s=4e-10,
        attention_items=20.0,
        attention_floor=0.45,
        step_overhead_s=1.7e-3,
        seq_overhead_s=6.5e-5,
        collective_latency_s=1.8e-5,
        eager_layer_s=3.3e-5,
    )
    data = efficiency_to_dict(eff, "x")
    assert set(data) - {"schema", "name"} == {k.key for k in FACTORS}
    assert data["step_overhead_ms"] == pytest.approx(1.7) and data["attention_token_ns"] == 0.4
    back = efficiency_from_dict(data, "x.toml")
    for k in FACTORS:
        assert getattr(back, k.field) == pytest.approx(getattr(eff, k.field), rel=1e-12)


def test_calibrate_takes_every_short_name() -> None:
    assert factor_names("all") == tuple(k.short for k in FACTORS)
    assert factor_names("compute, step_overhead,compute") == ("compute", "step_overhead")


@pytest.mark.parametrize("knob", FACTORS, ids=lambda k: k.key)
def test_ranges_are_checked_at_their_ends(knob: Knob) -> None:
    top = knob.high / knob.scale
    assert knob.check(top) == pytest.approx(top)
    with pytest.raises(InputError, match=rf"^{knob.flag} must be"):
        knob.check(top * 1.01)
    if knob.low_open:
        with pytest.raises(InputError, match=r"in \(0, 1\]"):
            knob.check(0.0)
    else:
        assert knob.check(0.0) == 0.0
        with pytest.raises(InputError, match=rf"got {-1:g}"):
            knob.check(-1.0 / knob.scale)
    for bad in (math.nan, math.inf, True, "0.5", None):
        with pytest.raises(InputError) as err:
            knob.check(bad, "the field")
        assert str(err.value).startswith("the field must be") and err.value.field == knob.key


def test_whole_numbers_for_the_counts() -> None:
    knob = next(k for k in SETTINGS if k.key == "max_num_seqs")
    assert knob.check(64.0) == 64 and isinstance(knob.check(64.0), int)
    with pytest.raises(InputError, match="whole number"):
        knob.check(6.5)
