"""The jump keys: one key per input a user changes most, each focusing that input (and showing
the side panel's tab that holds it). The panes show each key beside its input, the main screen
binds them, the help lists them: all from this table."""

from __future__ import annotations

from typing import NamedTuple


class Jump(NamedTuple):
    """``key`` (a Textual key name) focuses the widget ``target`` (a CSS selector) in the side
    panel's tab ``tab``; ``label`` names the input in the footer and the help."""

    key: str
    name: str  # the action's argument: jump('gpus')
    target: str
    tab: str
    label: str
    help: str


#: The side panel's tabs, in order: (id, label).
SIDE_TABS = (("side-model", "Model"), ("side-gpu", "GPU"), ("side-load", "Load"))

#: The load axis: whichever of its fields the draft's load kind shows.
AXIS_TARGETS = ("#field-batch_sizes", "#field-concurrency", "#field-rates", "#field-num_requests")

JUMPS = (
    Jump("f", "model", "#model-filter", "side-model", "model", "the model list's filter"),
    Jump("g", "gpu", "#gpu-filter", "side-gpu", "GPU", "the GPU list's filter"),
    Jump("n", "gpus", "#field-gpus", "side-gpu", "GPUs", "the GPU count"),
    Jump("t", "tp", "#field-tp", "side-gpu", "TP", "the tensor-parallel degree (TP)"),
    Jump(
        "dollar_sign",
        "price",
        "#field-price_per_gpu_hour",
        "side-gpu",
        "price",
        "the price per GPU-hour",
    ),
    Jump("i", "input", "#field-input_tokens", "side-load", "input", "the input (prompt) tokens"),
    Jump("o", "output", "#field-output_tokens", "side-load", "output", "the output tokens"),
    Jump(
        "l",
        "load",
        ",".join(AXIS_TARGETS),
        "side-load",
        "load",
        "the load axis (batch sizes, users, rates or requests)",
    ),
    Jump("e", "engine", "#engine", "side-load", "engine", "the serving engine"),
    Jump(
        "r", "factors", "#profile", "side-load", "factors", "the realistic factors (their profile)"
    ),
)
JUMP_BY_NAME = {j.name: j for j in JUMPS}


def key_of(name: str) -> str:
    """The key shown beside the input ``name`` (a :data:`JUMPS` name), as typed."""
    key = JUMP_BY_NAME[name].key
    return "$" if key == "dollar_sign" else key
