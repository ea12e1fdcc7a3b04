"""Find the machine's NVIDIA GPU (through nvidia-ml-py, when installed) to preselect it."""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

from engine.storage.catalog import Catalog, match_gpu_name


def detect_local_gpu(catalog: Catalog, nvml: Any = None) -> tuple[str, int] | None:
    """(catalog id, count) of the local NVIDIA GPUs, or None without a GPU or the library.
    Never raises: a missing driver or library just means no preselection."""
    try:
        nvml = nvml or importlib.import_module("pynvml")
    except ImportError:
        return None
    try:
        nvml.nvmlInit()
    except Exception:
        return None
    try:
        count = int(nvml.nvmlDeviceGetCount())
        if count < 1:
            return None
        handle = nvml.nvmlDeviceGetHandleByIndex(0)
        name = nvml.nvmlDeviceGetName(handle)
        name = name.decode() if isinstance(name, bytes) else str(name)
        memory = float(nvml.nvmlDeviceGetMemoryInfo(handle).total)
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()
    ident = match_gpu_name(name, catalog.gpus, memory)
    if ident is None or ident not in catalog.gpus:
        return None
    return ident, count
