"""The scenario: a deployment under a workload, the loose input people give, the one resolver
from the one to the other, and the tables that name the realistic factors and engine settings.

Above the physics, below storage: nothing here reads a file (the catalog and the default profile
are passed in).
"""

from engine.scenario.inputs import ScenarioInput
from engine.scenario.resolve import CLI_TERMS, Lookup, Terms, resolve
from engine.scenario.scenario import Scenario
from engine.scenario.workload import WORKLOADS, StaticBatch, Workload

__all__ = [
    "CLI_TERMS",
    "WORKLOADS",
    "Lookup",
    "Scenario",
    "ScenarioInput",
    "StaticBatch",
    "Terms",
    "Workload",
    "resolve",
]
