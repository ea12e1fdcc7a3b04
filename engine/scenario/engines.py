"""Engine profiles: what a serving engine's name stands for (``--engine vllm``).

A profile is an engine's scheduler defaults (:class:`~engine.physics.deployment.EngineSettings`
fields: max running sequences, token budget per step, chunked prefill, KV reservation at admission,
CUDA-graph coverage, memory fraction) and its factors (:class:`~engine.physics.deployment.
Efficiency` fields), the ones it sets put on the default calibration profile. Each says where its
settings come from (the engine's source, its version) and what its factors were fitted on; a
setting or factor it does not name is the default's.

The profiles are data (``presets/engines/*.toml``, read by :mod:`engine.storage.engines`), except
the default, :data:`VLLM_V0`: vLLM V0, the engine of the article's measurements, whose settings are
``EngineSettings()`` and whose factors are the default profile itself, so that a scenario without
``--engine`` means what it meant before engines had names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_ENGINE = "vllm-v0"


@dataclass(frozen=True)
class EngineProfile:
    name: str
    title: str  # "vLLM V1 (0.8 and later)"
    settings: Mapping[str, Any] = field(default_factory=dict)  # EngineSettings field -> value
    factors: Mapping[str, float] = field(default_factory=dict)  # Efficiency field -> SI value
    sources: Mapping[str, str] = field(default_factory=dict)  # setting -> where it is from
    fitted: tuple[str, ...] = ()  # the factors fitted (the rest: the default profile's)
    fitted_on: str = ""  # the data they were fitted on
    notes: str = ""


VLLM_V0 = EngineProfile(
    name=DEFAULT_ENGINE,
    title="vLLM V0 (0.6), the engine the article measured",
    sources={"all": "EngineSettings' defaults (engine/physics/deployment.py)"},
    fitted_on="the default calibration profile: the article's vLLM static batches",
)
