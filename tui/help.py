"""The help screen: what each chart shows and which keys do what."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tui.panes.jumps import JUMPS, key_of
from tui.screens.main import MIN_SIZE
from tui.widgets import OnceModal

_HELP = """\
# tokentui

Pick a **model**, a **GPU** (count, tensor-parallel degree, price) and a **workload** in the side
panel's three tabs (**Model**, **GPU**, **Load**); every change recomputes and redraws at once. The
strip at the bottom sums up the selected point of the load axis.

**Jump keys** reach each input in one key from the charts (each is shown at the end of its input's
row); in a text field the letters type, so press Esc first, or hold Alt. The focused input's label
is shown reversed. A tab marked **!** holds an input that makes no scenario with the others (TP 3
on 8 GPUs): the reason is under that input, and the charts keep the last valid scenario until it
is fixed, at that input or at the other one of the pair.

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

## Side by side (key p) and export (key x)

**p** pins the scenario on screen as **A** (the palette pins a preset instead); every change
after it is **B**. The throughput, cost, context, serving and latency charts draw A's lines dotted
beside B's solid (in place of the other mode's, or the p99s), at the same loads; bottlenecks draws
A's time per token beside each bar, boundness A's boundaries (○) and point, roofline A's points
(the letter A) and its roof if its GPU differs; A's KV wall is marked too (┊); the summary's last
line gives A's TPOT, throughput, cost and sequences that fit, each with the ratio B / A (green where
B is better, red where A is). p again unpins.

**x** writes the visible chart's numbers (CSV), those with the scenario and the summary's point
(JSON; with A pinned, the side-by-side too) and the screen (SVG) into the folder tokentui started
in (else the user folder's exports/); a notification names the files. The palette writes each one.

## Keys

| key | action |
| --- | --- |
| 1 - 6, 8, 9 | show a chart (7: the measured-results table) |
| [ / ] | previous / next point of the load axis (batch, users, rate, requests) for the summary |
| m | switch realistic / ideal |
| p | pin this scenario as A, to compare the next with (p again unpins) |
| x | export the chart's data (CSV, JSON) and the screen (SVG) |
| Ctrl+S | save the scenario as a preset |
| Ctrl+O | load a preset (Ctrl+D delete, Ctrl+R rename) |
| Ctrl+B | load measured results: they appear on the throughput chart and in the Measured tab |
| b | bench: measure a running server (URL, levels), live, next to the prediction |
| d | dark / light theme |
{jumps}
| Tab, Shift+Tab | move between fields (a field in another tab brings it to the front) |
| Esc | leave a field (back to the charts) |
| Ctrl+P | command palette: every action |
| ? or F1 | this help |
| Ctrl+Q | quit |

Modes: **realistic** uses efficiencies and overheads fitted to measured vLLM runs (editable in the
Load tab, under "realistic factors"); **ideal** is 100% of peak with no overheads, the article's
first-principles line.

The terminal needs at least {min_size} cells; below that the screen says so until it is enlarged.
"""
#: The help, with a row per jump key (:data:`tui.panes.jumps.JUMPS`).
HELP = _HELP.replace(
    "{jumps}", "\n".join(f"| {key_of(j.name)} | jump to {j.help} |" for j in JUMPS)
).replace("{min_size}", f"{MIN_SIZE.width} x {MIN_SIZE.height}")


class HelpScreen(OnceModal[None]):
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
