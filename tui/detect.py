"""Find the machine's NVIDIA GPU (through nvidia-ml-py, when installed) to preselect it."""

from __future__ import annotations

from typing import Any

from engine.bench.hardware import detect_hardware
from engine.storage.catalog import Catalog, match_gpu_name


def detect_local_gpu(catalog: Catalog, nvml: Any = None) -> tuple[str, int] | None:
    """(catalog id, count) of the local NVIDIA GPUs, or None without a GPU or the library.
    Never raises: a missing driver or library just means no preselection. NVML is read by
    :func:`engine.bench.hardware.detect_hardware`, as a bench run's results file records it."""
    hw = detect_hardware(nvml)
    if hw.get("source") != "nvml":
        return None
    ident = match_gpu_name(hw["gpu_name"], catalog.gpus, float(hw["gpus"][0]["memory_bytes"]))
    if ident is None or ident not in catalog.gpus:
        return None
    return ident, int(hw["gpu_count"])
