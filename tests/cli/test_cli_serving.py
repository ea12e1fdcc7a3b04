"""The serving loads on the command line and in JSON: ``--concurrency``, ``--rate``, ``--offline``,
``--num-requests`` and ``--engine``; one load per call, refusals in one line with exit code 2."""

from __future__ import annotations

import json
import math

import pytest

from engine.cli.main import main

SERVING_KEYS = {
    "running_batch": float,
    "binding_wall": str,
    "stable": bool,
    "ttft_s": float,
    "ttft_p50_s": float,
    "ttft_p99_s": float,
    "itl_s": float,
    "itl_p99_s": float,
    "tpot_s": float,
    "e2e_s": float,
    "output_tokens_per_s": float,
    "requests_per_s": float,
    "output_tokens_per_s_per_gpu": float,
    "per_user_tokens_per_s": float,
    "cost_per_1m_input_usd": float,
    "cost_per_1m_output_usd": float,
}


def estimate(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["estimate", "--json", *args]) == 0
    out = capsys.readouterr().out
    data: dict[str, object] = json.loads(out, parse_constant=_refuse)  # strict JSON: no Infinity
    return data


def _refuse(name: str) -> None:
    raise AssertionError(f"{name} in the JSON")


def test_concurrency_json_has_every_serving_key_and_keeps_littles_law(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = estimate(capsys, "--concurrency", "1,8,32,128,512")
    assert data["load"] == "concurrency" and data["axis"] == "concurrency"
    points = data["points"]
    assert isinstance(points, list)
    assert [p["concurrency"] for p in points] == [1, 8, 32, 128, 512]
    for p in points:
        for key, kind in SERVING_KEYS.items():
            assert isinstance(p[key], kind), key
        assert p["binding_wall"] in ("sequences", "kv", "token_budget", "compute", "none")
        # C = X x E2E: the users in flight are the request rate times the time each takes
        assert p["requests_per_s"] * p["e2e_s"] == pytest.approx(p["concurrency"], rel=1e-9)
        assert p["output_tokens_per_s"] == pytest.approx(p["requests_per_s"] * 300, rel=1e-9)
        assert p["output_tokens_per_s_per_gpu"] == pytest.approx(p["output_tokens_per_s"] / 4)
        assert p["per_user_tokens_per_s"] == pytest.approx(1 / p["tpot_s"])
    # 512 users of 2,335 tokens overflow the article's KV cache (211 sequences): they queue
    assert points[-1]["binding_wall"] == "kv" and points[0]["binding_wall"] == "none"
    assert points[-1]["ttft_s"] > 10 * points[0]["ttft_s"]


def test_one_user_sees_the_bare_decode_step_and_its_own_prefill(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A closed loop of one user is the static batch of one, request after request."""
    serving = estimate(capsys, "--concurrency", "1")["points"][0]  # type: ignore[index]
    static = estimate(capsys, "--batch", "1")["points"][0]  # type: ignore[index]
    assert serving["running_batch"] == pytest.approx(1.0)
    assert serving["tpot_s"] == pytest.approx(static["tpot_s"], rel=0.02)
    assert serving["ttft_s"] == pytest.approx(static["ttft_s"], rel=0.02)


def test_rates_report_capacity_and_inf_as_a_string(capsys: pytest.CaptureFixture[str]) -> None:
    data = estimate(capsys, "--rate", "0.5,1,100,inf", "--num-requests", "500")
    assert data["load"] == "rate"
    points = data["points"]
    assert isinstance(points, list)
    assert [p["rate"] for p in points] == [0.5, 1.0, 100.0, "inf"]
    assert data["scenario"]["rates"] == [0.5, 1.0, 100.0, "inf"]  # type: ignore[index]
    assert data["scenario"]["num_requests"] == 500  # type: ignore[index]
    capacity = data["wall"]
    assert isinstance(capacity, float) and 0.5 < capacity < 100
    assert [p["stable"] for p in points] == [True, True, False, False]
    for p in points[:2]:  # below capacity it serves what arrives, over the run of 500 requests:
        # they arrive over 500 / rate seconds and the last one ends E2E later
        run_s = 500 / p["rate"] + p["e2e_s"]
        assert p["requests_per_s"] == pytest.approx(500 / run_s, rel=1e-9)
    for p in points[2:]:  # above it, no more than its capacity, the queue growing
        assert p["requests_per_s"] <= capacity * (1 + 1e-9)
        assert p["requests_per_s"] > 0.5 * capacity
    assert points[0]["ttft_s"] <= points[1]["ttft_s"] < points[2]["ttft_s"] <= points[3]["ttft_s"]


def test_offline_is_the_static_batch_for_an_engine_that_prefills_whole_prompts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    offline = estimate(capsys, "--offline", "--num-requests", "64,1000")
    static = estimate(capsys, "--batch", "64,1000")
    assert offline["load"] == "offline" and offline["axis"] == "requests"
    for o, s in zip(offline["points"], static["points"], strict=True):  # type: ignore[arg-type]
        assert o["requests"] == s["batch"]
        assert o["output_tokens_per_s"] == pytest.approx(s["total_tokens_per_s"], rel=1e-12)
        assert o["ttft_s"] == pytest.approx(s["ttft_s"], rel=1e-12)


def test_static_points_carry_output_tokens_per_s_beside_the_old_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = estimate(capsys, "--batch", "1,64")
    for p in data["points"]:  # type: ignore[attr-defined]
        assert p["output_tokens_per_s"] == p["total_tokens_per_s"]
    assert data["scenario"]["engine_profile"] == "vllm-v0"  # type: ignore[index]


def test_vllm_v0_is_the_default_engine_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    assert estimate(capsys, "--engine", "vllm-v0") == estimate(capsys)


def test_an_engine_brings_its_settings_and_flags_override_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sc = estimate(capsys, "--engine", "vllm", "--concurrency", "8")["scenario"]
    engine = sc["engine"]  # type: ignore[index]
    assert sc["engine_profile"] == "vllm"  # type: ignore[index]
    assert engine["chunked_prefill"] is True and engine["max_num_seqs"] == 1024
    assert engine["graph_max_tokens"] == 512 and engine["kv_reserve"] == 0.0
    sc = estimate(capsys, "--engine", "vllm", "--max-num-seqs", "64", "--chunked-prefill", "off")[
        "scenario"
    ]
    engine = sc["engine"]  # type: ignore[index]
    assert engine["max_num_seqs"] == 64 and engine["chunked_prefill"] is False
    assert engine["graph_max_tokens"] == 512  # the rest stay the engine's
    trt = estimate(capsys, "--engine", "trtllm")["scenario"]["engine"]  # type: ignore[index]
    assert trt["kv_of_free"] is True and trt["kv_reserve"] == 1.0


def test_the_sequences_wall_binds_where_the_engine_caps_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = estimate(capsys, "--concurrency", "2,8,16", "--max-num-seqs", "4")
    points = data["points"]
    assert [p["binding_wall"] for p in points] == ["none", "sequences", "sequences"]  # type: ignore[index]
    assert points[-1]["running_batch"] == pytest.approx(4.0)  # type: ignore[index]


REFUSED = [
    (["--batch", "8", "--concurrency", "4"], "give one load per call: --batch and --concurrency"),
    (["--rate", "1", "--offline"], "give one load per call: --rate and --offline"),
    (["--num-requests", "100"], "--num-requests is the axis of a rate or offline load"),
    (["--rate", "1", "--num-requests", "5,6"], "a rate load takes one request count"),
    (["--rate", "0"], "--rate must be above 0"),
    (["--rate", "nan"], "--rate must be above 0"),
    (["--rate", "fast"], "invalid rates 'fast'"),
    (["--rate", "1e9"], "at most 1e+06 requests/s"),
    (["--concurrency", "0"], "--concurrency must be from 1"),
    (["--concurrency", "two"], "invalid concurrencies 'two'"),
    (["--num-requests", "0", "--offline"], "--num-requests must be from 1"),
    (
        ["--engine", "vllm-v9"],
        "--engine: unknown engine 'vllm-v9' (accepted: llamacpp, llamacpp-metal, sglang",
    ),
    (["--engine", "../../etc/passwd"], "unknown engine"),
    (["--engine", ""], "unknown engine ''"),
    (["--batch", "8", "--simulate"], "--simulate runs a point of a serving load"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_refusals_are_one_line_with_exit_code_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["estimate", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert message in err


def test_the_table_marks_unstable_rates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--rate", "1,100", "--num-requests", "200"]) == 0
    out = capsys.readouterr().out
    assert "rate load on vllm-v0" in out
    rows = [line for line in out.splitlines() if line.strip().startswith(("1 ", "100 !"))]
    assert len(rows) == 2
    assert "a run of 200 requests" in out
    assert not math.isnan(float(rows[0].split()[1]))  # the running batch


def test_simulate_runs_the_last_point_step_by_step(capsys: pytest.CaptureFixture[str]) -> None:
    """The simulator beside the analytical model, at the axis's last point (16 users); the
    simulated run keeps Little's law (users = requests/s x E2E) and makes n tokens a request.
    Its users start together and their lengths are fixed, so they stay a cohort: lockstep 1."""
    data = estimate(
        capsys,
        "--concurrency",
        "4,16",
        "--input-tokens",
        "500",
        "--output-tokens",
        "100",
        "--lockstep",
        "1",
        "--simulate",
    )
    sim = data["simulation"]
    assert isinstance(sim, dict)
    assert sim["load"] == "concurrency" and sim["value"] == 16.0
    assert sim["requests"] >= 200 and sim["warmup"] == 16 and sim["steps"] > 100
    got = sim["simulated"]
    assert pytest.approx(got["requests_per_s"] * got["e2e_s"], rel=0.05) == 16
    assert got["output_tokens_per_s"] == pytest.approx(100 * got["requests_per_s"], rel=0.05)
    point = data["points"][-1]  # type: ignore[index]
    assert sim["analytic"]["ttft_s"] == point["ttft_s"]
    for key in ("ttft_s", "tpot_s", "itl_p99_s", "e2e_s", "output_tokens_per_s"):
        assert abs(sim["gap_pct"][key]) < 5, key  # the same step prices, the same regime


def test_simulate_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["estimate", "--rate", "2", "--num-requests", "100", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "simulated step by step at rate 2" in out
    assert "100 requests measured" in out
    assert len([line for line in out.splitlines() if line.strip().startswith("TTFT")]) == 3
