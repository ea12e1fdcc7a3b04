"""What the result of every load kind offers its consumers (the JSON contract, the app's view
model, the charts): one entry per point of the load axis.

The static batch (:class:`engine.physics.static_batch.StaticBatchRun`) is one such result; the
serving model's runs will be others. A consumer reads the axis from :attr:`LoadRun.AXIS` and
:attr:`LoadRun.load`, never from the kind, so a new kind adds a module and not an edit to every
consumer.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from engine.physics.deployment import Deployment
from engine.physics.memory import MemoryPlan

if TYPE_CHECKING:
    from engine.physics.serving import ServingRun

Array = npt.NDArray[np.float64]
#: A finite run's length when none is given (vLLM bench's default).
DEFAULT_REQUESTS = 1000


class LoadRun(Protocol):
    """Arrays of one shape: one entry per point of the load axis (read-only, as the frozen
    result dataclasses are)."""

    #: The load kind ("static", ...): the top-level ``"load"`` of the JSON.
    LOAD: ClassVar[str]
    #: What the axis counts ("batch", ...): the key of each point's load value.
    AXIS: ClassVar[str]

    @property
    def deployment(self) -> Deployment: ...

    @property
    def plan(self) -> MemoryPlan: ...

    @property
    def batch(self) -> Array:
        """Requests in a decode step, all replicas (static: the batch size)."""
        ...

    @property
    def fits(self) -> npt.NDArray[np.bool_]: ...

    @property
    def ttft_s(self) -> Array: ...

    @property
    def tpot_s(self) -> Array: ...

    @property
    def e2e_s(self) -> Array: ...

    @property
    def prefill_s(self) -> Array: ...

    @property
    def total_tokens_per_s(self) -> Array:
        """Output tokens/s of the whole deployment."""
        ...

    @property
    def per_request_tokens_per_s(self) -> Array: ...

    @property
    def cost_per_1m_input_usd(self) -> Array: ...

    @property
    def cost_per_1m_output_usd(self) -> Array: ...

    @property
    def prefill_bound(self) -> npt.NDArray[np.str_]: ...

    @property
    def decode_bound(self) -> npt.NDArray[np.str_]: ...

    @property
    def prefill_ai(self) -> Array: ...

    @property
    def decode_ai(self) -> Array: ...

    # one decode step at the point's mean context, split by resource (seconds)
    @property
    def step_compute_s(self) -> Array: ...

    @property
    def step_weights_s(self) -> Array: ...

    @property
    def step_kv_s(self) -> Array: ...

    @property
    def step_act_s(self) -> Array: ...

    @property
    def step_comm_s(self) -> Array: ...

    @property
    def step_overhead_s(self) -> Array: ...

    @property
    def load(self) -> Array:
        """The load axis values (batch sizes, concurrencies or rates)."""
        ...

    @property
    def running_batch(self) -> Array:
        """Mean sequences in a decode step on one replica."""
        ...

    @property
    def wall(self) -> float:
        """Where the KV cache runs out, in the axis' unit (inf: nowhere on this axis)."""
        ...

    @property
    def comm_share(self) -> Array: ...


def serving_run(run: LoadRun) -> ServingRun | None:
    """``run`` as a run of the serving model (concurrency, rate, offline), or None (the static
    batch). The serving model's module is imported when a workload first runs it (the app's start
    draws a static batch without it: ~20 ms), so before that no run can be one of its."""
    serving = sys.modules.get("engine.physics.serving")
    return run if serving is not None and isinstance(run, serving.ServingRun) else None
