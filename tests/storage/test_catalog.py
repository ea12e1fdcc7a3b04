"""The catalog: the required entries, dense datasheet figures, and refusal of bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import InputError
from engine.storage.catalog import (
    Catalog,
    gpu_from_dict,
    gpu_to_dict,
    load_catalog,
    model_from_dict,
    model_to_dict,
)

#: Issue 11's mixtures of experts (tests/physics/test_moe_models.py checks their sizes,
#: tests/storage/test_hfconfig_moe.py their config.json imports).
ISSUE_11_MOE = (
    "mixtral-8x7b",
    "mixtral-8x22b",
    "qwen3-30b-a3b",
    "qwen3-235b-a22b",
    "deepseek-v3",
    "gpt-oss-20b",
    "gpt-oss-120b",
)
MODEL_IDS = {
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.3-70b",
    "llama-3.1-405b",
    "mistral-7b",
    "qwen2.5-7b",
    "qwen2.5-72b",
    # issue 11's dense models
    "llama-2-7b",
    "llama-2-13b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "qwen3-8b",
    "qwen3-32b",
    "qwen2.5-32b",
    "mistral-small-24b",
    "gemma-2-9b",
    "gemma-2-27b",
    *ISSUE_11_MOE,
}
#: The GPUs issue 11 asks for (tests/storage/test_gpu_catalog.py checks their figures).
ISSUE_11_GPUS = (
    "gh200",
    "gh200-144gb",
    "gb200",
    "rtx-pro-6000",
    "mi325x",
    "l4",
    "a10g",
    "rtx-3070",
    "rtx-3080",
    "rtx-3080-ti",
    "rtx-4070-ti",
    "rtx-4080",
    "rtx-5090",
    "rtx-a6000",
    "rtx-6000-ada",
    "apple-m1",
    "apple-m1-max",
    "apple-m2-max",
    "apple-m3-max",
    "apple-m4-max",
)
GPU_IDS = {
    "a100-40gb",
    "a100-80gb",
    "h100-sxm",
    "h100-pcie",
    "h200",
    "b200",
    "l40s",
    "rtx-3090",
    "rtx-4090",
    "rtx-4060",
    "apple-m2-ultra",
    "apple-m3-ultra",
    "mi300x",
    # the llama.cpp table's other GPUs (the engine profile is fitted on it)
    "rtx-4000-ada",
    "rtx-5000-ada",
    "apple-m3",
    *ISSUE_11_GPUS,
}


def test_required_entries_load_without_errors(catalog: Catalog) -> None:
    assert catalog.errors == []
    assert set(catalog.models) == MODEL_IDS
    assert set(catalog.gpus) == GPU_IDS
    for entry in [*catalog.models.values(), *catalog.gpus.values()]:
        assert entry.source, entry.id


def test_seed_cli_aliases(catalog: Catalog) -> None:
    assert catalog.model("llama-3-1-8b").id == "llama-3.1-8b"
    assert catalog.model("llama-3-3-70b").id == "llama-3.3-70b"


def test_peaks_are_dense(catalog: Catalog) -> None:
    h100 = catalog.gpu("h100-sxm")
    assert h100.peak_flops["bf16"] == pytest.approx(989e12, rel=0.001)  # not the 1,979 sparse
    assert h100.memory_bandwidth == 3.35e12
    assert catalog.gpu("a100-80gb").peak_flops["bf16"] == 312e12
    assert "fp8" not in catalog.gpu("a100-80gb").peak_flops  # Ampere has no FP8
    # Machine balance of an H100: ~295 FLOPs per byte.
    assert h100.machine_balance() == pytest.approx(989.4e12 / 3.35e12)


def test_unknown_id_lists_what_is_accepted(catalog: Catalog) -> None:
    with pytest.raises(InputError, match=r"unknown GPU 'h100'.*h100-sxm"):
        catalog.gpu("h100")


def test_round_trip(catalog: Catalog) -> None:
    for model in catalog.models.values():
        assert model_from_dict(model_to_dict(model)) == model
    for gpu in catalog.gpus.values():
        assert gpu_from_dict(gpu_to_dict(gpu)) == gpu


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


GOOD_GPU = """
id = "my-gpu"
name = "My GPU"
memory_gib = 16
memory_bandwidth_gbps = 500
price_per_hour = 0.5
source = "me"
[peak_tflops]
bf16 = 100
[interconnect]
kind = "PCIe"
bandwidth_gbps = 32
latency_us = 5
max_gpus = 2
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id = ", "not valid TOML"),
        (
            GOOD_GPU.replace("memory_gib = 16", "memory_gib = 'a lot'"),
            "'memory_gib' must be a number",
        ),
        (GOOD_GPU.replace('name = "My GPU"\n', ""), "missing field 'name'"),
        (
            GOOD_GPU.replace("price_per_hour", "colour = 1\nprice_per_hour"),
            "unknown field 'colour'",
        ),
        (GOOD_GPU.replace("bf16 = 100", "bf16 = 100\nfp2 = 200"), "peak_tflops.fp2"),
        (GOOD_GPU.replace("memory_gib = 16", "memory_gib = -1"), "'memory_gib' must be in (0, "),
    ],
)
def test_bad_files_are_named_and_do_not_hide_good_ones(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path / "gpus", "good.toml", GOOD_GPU)
    bad = write(tmp_path / "gpus", "bad.toml", text)
    cat = load_catalog([tmp_path])
    assert "my-gpu" in cat.gpus and "h100-sxm" in cat.gpus
    assert len(cat.errors) == 1
    assert str(bad) in cat.errors[0] and message in cat.errors[0]
