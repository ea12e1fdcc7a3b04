"""The help screen: what each chart shows and which keys do what."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# tokentui

Pick a **model**, a **GPU** (count, tensor-parallel degree, price) and a **workload** on the left;
every change recomputes and redraws at once. The strip at the bottom sums up the selected batch.

## Charts (keys 1-6)

1. **Throughput** — output tokens per second against batch size: total (left axis) and per request
   (right axis), in the current mode (solid) and the ideal roofline (dotted). Batches past the KV
   wall (the grey line: the most sequences whose KV cache fits) are marked x.
2. **Bottlenecks** — one decode step at the mean context, split into compute, weight reads, KV-cache
   reads, communication and fixed overhead; each batch marked C (compute-bound, blue) or
   M (memory-bound, red).
3. **Cost** — dollars per million output and input tokens against batch size (the article's method:
   GPU time split between input and output tokens at the ratio gamma).
4. **Context** — how the KV cache grows with the prompt against the weights and the GPU's memory,
   and how time per token and throughput fall as the context grows, at the selected batch.
5. **Boundness** — over (batch, context): where prefill and decode are compute-bound (blue) or
   memory-bound (red), the boundary line, and your scenario (green O).
6. **Roofline** — the arithmetic intensity of prefill and decode at the selected batch against the
   GPU's roof: below the machine balance (grey) memory binds, above it compute does.

## Keys

| key | action |
| --- | --- |
| 1 - 6 | show a chart (7: the measured-results table) |
| [ / ] | previous / next batch for the summary |
| m | switch realistic / ideal |
| Ctrl+S | save the scenario as a preset |
| Ctrl+O | load a preset (Ctrl+D delete, Ctrl+R rename) |
| Ctrl+B | load measured results: they appear on the throughput chart and in the Measured tab |
| d | dark / light theme |
| Tab, Shift+Tab | move between fields |
| Esc | leave a field (back to the charts) |
| Ctrl+P | command palette: every action |
| ? or F1 | this help |
| Ctrl+Q | quit |

Modes: **realistic** uses efficiencies and overheads fitted to measured vLLM runs (editable on the
left); **ideal** is 100% of peak with no overheads, the article's first-principles line.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding(
            "escape,q,question_mark,f1",
            "dismiss",
            "Close",
            id="close-help",
            tooltip="close the help",
        ),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)
