"""A what-if scenario: a deployment under a workload, in one frozen value.

:class:`Scenario` *is* a :class:`~engine.physics.deployment.Deployment` (model, GPUs, layout,
precisions, engine settings, efficiency, mode, price) with the :mod:`workload
<engine.scenario.workload>` it is evaluated under. It is immutable; derive variants with
:func:`dataclasses.replace`. Everything a result depends on is in it, resolved (no "use the
default" left open), so that it can be shown, saved and compared. It is built from loose input by
:func:`engine.scenario.resolve.resolve`, the one place that knows the defaults and the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.physics.deployment import Deployment
from engine.physics.load import LoadRun
from engine.scenario.engines import DEFAULT_ENGINE
from engine.scenario.workload import StaticBatch, Workload


@dataclass(frozen=True, kw_only=True)
class Scenario(Deployment):
    workload: Workload = field(default_factory=StaticBatch)
    engine_name: str = DEFAULT_ENGINE  # the engine profile its settings and factors came from

    @property
    def input_tokens(self) -> int:
        return self.workload.input_tokens

    @property
    def output_tokens(self) -> int:
        return self.workload.output_tokens

    @property
    def context_tokens(self) -> int:
        """Tokens of one whole request (prompt and output): what its KV cache holds at the end."""
        return self.workload.context_tokens

    def run(self) -> LoadRun:
        """The workload's physics on this deployment, at every point of its load axis."""
        return self.workload.run(self)
