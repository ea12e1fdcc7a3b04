"""The machine's NVIDIA GPUs, through NVML (``nvidia-ml-py``, the ``nvidia`` extra) when present.

What ``nvidia-smi`` shows: each GPU's name and memory, and the driver. Never raises: no library,
no driver or no GPU is ``{"source": "none"}``, and the results file says the hardware is not
known (``compare`` then needs ``--gpu``).
"""

from __future__ import annotations

import contextlib
import importlib
import platform
from typing import Any

from engine.errors import terminal_safe


def _text(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return terminal_safe(text, 80)


def detect_hardware(nvml: Any = None) -> dict[str, Any]:
    """``{"source": "nvml", "gpu_name", "gpu_count", "gpus": [{"name", "memory_bytes"}],
    "driver"}``, or ``{"source": "none", "reason"}``; plus the host's CPU architecture."""
    base: dict[str, Any] = {"machine": platform.machine()}
    try:
        nvml = nvml or importlib.import_module("pynvml")
    except ImportError:
        return {**base, "source": "none", "reason": "nvidia-ml-py is not installed"}
    try:
        nvml.nvmlInit()
    except Exception as exc:
        return {**base, "source": "none", "reason": f"NVML: {_text(exc)}"}
    try:
        count = int(nvml.nvmlDeviceGetCount())
        gpus = []
        for i in range(count):
            handle = nvml.nvmlDeviceGetHandleByIndex(i)
            gpus.append(
                {
                    "name": _text(nvml.nvmlDeviceGetName(handle)),
                    "memory_bytes": int(nvml.nvmlDeviceGetMemoryInfo(handle).total),
                }
            )
        driver = ""
        with contextlib.suppress(Exception):
            driver = _text(nvml.nvmlSystemGetDriverVersion())
    except Exception as exc:
        return {**base, "source": "none", "reason": f"NVML: {_text(exc)}"}
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()
    if not gpus:
        return {**base, "source": "none", "reason": "NVML lists no GPU"}
    return {
        **base,
        "source": "nvml",
        "gpu_name": gpus[0]["name"],
        "gpu_count": len(gpus),
        "gpus": gpus,
        "driver": driver,
    }
