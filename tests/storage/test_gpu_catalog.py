"""The GPUs added for issue #11: they load, their figures are the datasheets' (dense), FP4 is only
where Blackwell tensor cores are, and a driver's name for each maps to its id.

Reference values below are typed from the vendors' datasheets and whitepapers, not read from the
TOML files: memory in GB, bandwidth in GB/s, dense peaks in TFLOP/s (half the "with sparsity" ones).
"""

from __future__ import annotations

import pytest
from test_catalog import ISSUE_11_GPUS

from engine.cli.main import main
from engine.physics.specs import GIB
from engine.storage.catalog import Catalog, match_gpu_name

NEW_IDS = ISSUE_11_GPUS
#: GPUs with FP4 tensor cores (datacenter Blackwell, RTX PRO Blackwell, GeForce RTX 50).
FP4_IDS = {"b200", "gb200", "rtx-pro-6000", "rtx-5090"}
#: Ampere and Apple GPUs: no FP8 tensor cores.
NO_FP8_IDS = {"a10g", "rtx-3070", "rtx-3080", "rtx-3080-ti", "rtx-a6000"} | {
    i for i in NEW_IDS if i.startswith("apple-")
}


def test_every_new_gpu_loads(catalog: Catalog) -> None:
    assert catalog.errors == []
    for gid in NEW_IDS:
        gpu = catalog.gpu(gid)
        assert gpu.id == gid
        assert gpu.source.startswith("https://"), gid
        assert gpu.price_per_hour > 0, gid
        assert {"fp32", "bf16", "fp16"} <= set(gpu.peak_flops), gid


@pytest.mark.parametrize(
    ("gid", "memory_gb", "bandwidth_gbps"),
    [
        ("gh200", 96, 4000),  # GH200 datasheet: 96 GB HBM3, 4 TB/s
        ("gh200-144gb", 144, 4900),  # 144 GB HBM3e, 4.9 TB/s
        ("gb200", 186, 8000),  # NVL72: 13.4 TB and 576 TB/s over 72 GPUs
        ("rtx-pro-6000", 96, 1792),  # 96 GB GDDR7, 512-bit at 28 Gbps
        ("mi325x", 256, 6000),  # 256 GB HBM3E, 6 TB/s
        ("l4", 24, 300),
        ("a10g", 24, 600),
        ("rtx-3070", 8, 448),  # 256-bit at 14 Gbps
        ("rtx-3080", 10, 760),  # 320-bit at 19 Gbps
        ("rtx-3080-ti", 12, 912),  # 384-bit at 19 Gbps
        ("rtx-4070-ti", 12, 504),  # 192-bit at 21 Gbps
        ("rtx-4080", 16, 716.8),  # 256-bit at 22.4 Gbps
        ("rtx-5090", 32, 1792),  # 512-bit at 28 Gbps
        ("rtx-a6000", 48, 768),
        ("rtx-6000-ada", 48, 960),
        ("apple-m1", 16, 68.25),
        ("apple-m1-max", 64, 400),
        ("apple-m2-max", 96, 400),
        ("apple-m3-max", 128, 400),  # the 40-core GPU part (the 30-core one has 300 GB/s)
        ("apple-m4-max", 128, 546),
    ],
)
def test_memory_and_bandwidth_are_the_datasheets(
    catalog: Catalog, gid: str, memory_gb: float, bandwidth_gbps: float
) -> None:
    gpu = catalog.gpu(gid)
    assert gpu.memory_bytes / GIB == pytest.approx(memory_gb)
    assert gpu.memory_bandwidth == pytest.approx(bandwidth_gbps * 1e9)


@pytest.mark.parametrize(
    ("gid", "precision", "dense_tflops"),
    [
        ("gh200", "bf16", 1979 / 2),  # Hopper: 1,979 BF16 TFLOPS with sparsity
        ("gh200", "fp8", 3958 / 2),
        ("gb200", "bf16", 360_000 / 72 / 2),  # NVL72: 360 PF FP16/BF16 with sparsity
        ("gb200", "fp8", 720_000 / 72 / 2),
        ("gb200", "fp4", 1_440_000 / 72 / 2),
        ("b200", "fp4", 144_000 / 8 / 2),  # HGX B200: 144 PF FP4 with sparsity
        ("rtx-pro-6000", "fp4", 4000 / 2),  # 4,000 AI TOPS (FP4 with sparsity)
        ("rtx-5090", "fp4", 3352 / 2),  # 3,352 AI TOPS
        ("rtx-5090", "bf16", 209.5),  # whitepaper: FP32 accumulate, dense
        ("mi325x", "bf16", 1307.4),  # AMD lists dense figures
        ("mi325x", "fp8", 2614.9),
        ("l4", "bf16", 242 / 2),
        ("l4", "fp8", 485 / 2),
        ("rtx-a6000", "bf16", 309.7 / 2),
        ("rtx-6000-ada", "fp8", 1457 / 2),
        ("rtx-4080", "bf16", 97.5),  # Ada: FP32 accumulate, dense
        ("rtx-3080", "bf16", 59.5),  # GA102 whitepaper, FP32 accumulate, dense
        ("apple-m1", "fp32", 2.6),
        ("apple-m1-max", "fp32", 10.4),
        ("apple-m2-max", "fp32", 13.6),
    ],
)
def test_peaks_are_dense(catalog: Catalog, gid: str, precision: str, dense_tflops: float) -> None:
    got = catalog.gpu(gid).peak_flops[precision]
    assert got == pytest.approx(dense_tflops * 1e12, rel=0.01)


def test_fp4_only_on_blackwell(catalog: Catalog) -> None:
    assert {g.id for g in catalog.gpus.values() if "fp4" in g.peak_flops} == FP4_IDS


def test_fp8_only_where_the_tensor_cores_have_it(catalog: Catalog) -> None:
    for gid in NEW_IDS:
        assert ("fp8" in catalog.gpu(gid).peak_flops) == (gid not in NO_FP8_IDS), gid


def test_dense_peaks_are_ordered(catalog: Catalog) -> None:
    for gpu in catalog.gpus.values():
        p = gpu.peak_flops
        assert p["bf16"] >= p["fp32"], gpu.id
        assert p["fp16"] == p["bf16"], gpu.id
        if "fp8" in p:
            assert p["fp8"] >= p["bf16"], gpu.id
        if "fp4" in p:
            assert "fp8" in p and p["fp4"] >= p["fp8"], gpu.id


def test_apple_unified_memory(catalog: Catalog) -> None:
    for gid in (i for i in NEW_IDS if i.startswith("apple-")):
        gpu = catalog.gpu(gid)
        assert gpu.vendor == "apple"
        assert 0.5 < gpu.max_memory_fraction < 1, gid  # the GPU wires only part of it
        p = gpu.peak_flops
        assert p["fp32"] == p["bf16"] == p["fp16"], gid  # FP16/BF16 at the FP32 rate
        assert gpu.interconnect.kind.startswith("Thunderbolt"), gid
    assert (
        catalog.gpu("apple-m1").max_memory_fraction
        < catalog.gpu("apple-m4-max").max_memory_fraction
    )


def test_interconnects(catalog: Catalog) -> None:
    gb200 = catalog.gpu("gb200").interconnect
    assert (gb200.kind, gb200.bandwidth, gb200.max_gpus) == ("NVLink 5", 900e9, 72)
    for gid in ("gh200", "gh200-144gb"):
        assert catalog.gpu(gid).interconnect.bandwidth == 450e9  # 900 GB/s bidirectional
    assert catalog.gpu("mi325x").interconnect.kind.startswith("Infinity Fabric")
    for gid in ("rtx-pro-6000", "rtx-5090"):
        assert catalog.gpu(gid).interconnect.kind == "PCIe 5.0 x16"
    for gid in ("l4", "a10g", "rtx-3080", "rtx-4080", "rtx-a6000", "rtx-6000-ada"):
        assert catalog.gpu(gid).interconnect.kind == "PCIe 4.0 x16"


@pytest.mark.parametrize(
    ("name", "want"),
    [
        ("NVIDIA GH200 480GB", "gh200"),  # what NVML calls the 96 GB HBM3 part
        ("NVIDIA GB200", "gb200"),
        ("NVIDIA B200", "b200"),
        ("NVIDIA RTX PRO 6000 Blackwell Workstation Edition", "rtx-pro-6000"),
        ("NVIDIA RTX PRO 6000 Blackwell Server Edition", "rtx-pro-6000"),
        ("AMD Instinct MI325X", "mi325x"),
        ("NVIDIA L4", "l4"),
        ("NVIDIA L40S", "l40s"),
        ("NVIDIA A10G", "a10g"),
        ("NVIDIA GeForce RTX 3070", "rtx-3070"),
        ("NVIDIA GeForce RTX 3080", "rtx-3080"),
        ("NVIDIA GeForce RTX 3080 Ti", "rtx-3080-ti"),
        ("NVIDIA GeForce RTX 3090", "rtx-3090"),
        ("NVIDIA GeForce RTX 4070 Ti", "rtx-4070-ti"),
        ("NVIDIA GeForce RTX 4080", "rtx-4080"),
        ("NVIDIA GeForce RTX 4090", "rtx-4090"),
        ("NVIDIA GeForce RTX 5090", "rtx-5090"),
        ("NVIDIA RTX A6000", "rtx-a6000"),
        ("NVIDIA RTX 6000 Ada Generation", "rtx-6000-ada"),
        ("Apple M1", "apple-m1"),
        ("Apple M1 Max", "apple-m1-max"),
        ("Apple M2 Max", "apple-m2-max"),
        ("Apple M2 Ultra", "apple-m2-ultra"),
        ("Apple M3 Max", "apple-m3-max"),
        ("Apple M4 Max", "apple-m4-max"),
        ("NVIDIA H100 80GB HBM3", "h100-sxm"),
        ("NVIDIA H200", "h200"),
        ("Tesla T4", None),
    ],
)
def test_driver_names_map_to_ids(catalog: Catalog, name: str, want: str | None) -> None:
    assert match_gpu_name(name, catalog.gpus) == want


@pytest.mark.parametrize(
    ("name", "want"),
    # NVML's '144G' is the id's '144gb'; the id 'l4' is not in 'L40' (it runs on into a digit)
    [("NVIDIA GH200 144G HBM3e", "gh200-144gb"), ("NVIDIA L40", None), ("NVIDIA L40S", "l40s")],
)
def test_driver_names_once_wrong(catalog: Catalog, name: str, want: str | None) -> None:
    assert match_gpu_name(name, catalog.gpus) == want


def test_gpus_table_fits_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gpus"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    listed = {line.split()[0] for line in lines[1:]}
    assert set(NEW_IDS) <= listed
