"""tokentui's engine: a first-principles model of LLM inference time, memory and cost.

Pure Python and numpy; it never imports a UI library.
"""

from engine.batch import BatchRun, cost_per_million, run
from engine.catalog import Catalog, default_catalog, load_catalog
from engine.errors import InputError
from engine.memory import MemoryPlan, check_fits, memory_plan, min_gpus
from engine.scenario import Efficiency, Scenario, Serving, make_scenario, with_mode
from engine.specs import GPUSpec, ModelSpec

__version__ = "0.1.0"

__all__ = [
    "BatchRun",
    "Catalog",
    "Efficiency",
    "GPUSpec",
    "InputError",
    "MemoryPlan",
    "ModelSpec",
    "Scenario",
    "Serving",
    "__version__",
    "check_fits",
    "cost_per_million",
    "default_catalog",
    "load_catalog",
    "make_scenario",
    "memory_plan",
    "min_gpus",
    "run",
    "with_mode",
]
