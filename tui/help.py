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
every change recomputes and redraws at once. The strip at the bottom sums up the selected point of
the load axis.

The workload's **load** is a static batch (B requests at once, decoded in lock-step: the article's
benchmark) or a serving load on an **engine** (vLLM, SGLang, TensorRT-LLM, llama.cpp): a
**concurrency** of C users in a closed loop, Poisson arrivals at a **rate** (requests/s; inf: all
at once, for a run of N requests), or **offline** (N requests queued at once: the maximum
throughput). Each has its own axis, and the charts over the load draw against it. For a serving
load the strip shows the running batch, TTFT, the inter-token latency (ITL), the speed each user
sees, the wall it has reached (max sequences, KV cache, token budget) and whether it is stable (a
rate at or above the capacity is not).

## Charts (keys 1-6, 8, 9)

1. **Throughput** — output tokens per second against the load (batch size, users, rate): total
   (left axis) and per request (right axis), in the current mode (solid) and the ideal roofline
   (dotted). Batches past the KV wall (the grey line: the most sequences whose KV cache fits), and
   rates above the capacity, are marked x.
2. **Bottlenecks** — one decode step at the mean context, split into compute, weight reads, KV-cache
   reads, communication and fixed overhead; each batch marked C (compute-bound, blue) or
   M (memory-bound, red).
3. **Cost** — dollars per million output and input tokens against the load (the article's method:
   GPU time split between input and output tokens at the ratio gamma).
4. **Context** — how the KV cache grows with the prompt against the weights and the GPU's memory,
   and how time per token and throughput fall as the context grows, at the selected batch.
5. **Boundness** — over (batch, context): where prefill and decode are compute-bound (blue) or
   memory-bound (red), the boundary line, and your scenario (green O).
6. **Roofline** — the arithmetic intensity of prefill and decode at the selected batch against the
   GPU's roof: below the machine balance (grey) memory binds, above it compute does.
8. **Serving** (serving loads) — output tokens/s per GPU against tokens/s per user, one labelled
   point per load: what each user's speed costs in throughput. x: above capacity.
9. **Latency** (serving loads) — TTFT and ITL, mean (solid) and p99 (dotted), against the load on a
   log scale; the grey line is where the running batch reaches its wall.

## Bench (key b)

Measure a running server (vLLM, SGLang, llama.cpp, Ollama, any OpenAI-compatible API) from the
app: give its URL, the API, the concurrency levels and the lengths, and press Ctrl+R (Start).
Each level's latency (TTFT, ITL p50 and p99) and throughput (the server's and each user's) is
drawn as it finishes, solid, against the prediction of the scenario on the main screen, dotted;
the table gives the signed error of each level. Esc stops a run and keeps what was measured.
Ctrl+S saves the run (a results file Ctrl+B loads); Ctrl+F fits the realistic factors to it and
saves them as a profile, which the scenario then uses. The API key, if the server wants one,
comes from TOKENTUI_API_KEY or OPENAI_API_KEY.

## Keys

| key | action |
| --- | --- |
| 1 - 6, 8, 9 | show a chart (7: the measured-results table) |
| [ / ] | previous / next point of the load axis (batch, users, rate, requests) for the summary |
| m | switch realistic / ideal |
| Ctrl+S | save the scenario as a preset |
| Ctrl+O | load a preset (Ctrl+D delete, Ctrl+R rename) |
| Ctrl+B | load measured results: they appear on the throughput chart and in the Measured tab |
| b | bench: measure a running server (URL, levels), live, next to the prediction |
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
