"""The summary strip: always visible, the scenario's headline numbers at the selected point of
the load axis (a batch size; for a serving load, a concurrency, rate or request count).

Three short lines (each under 80 columns) so that nothing hides a number on a small terminal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from engine.physics.load import serving_run
from engine.views.dashboard import Dashboard
from engine.views.format import count, human_bytes, human_seconds

if TYPE_CHECKING:
    from engine.physics.serving import ServingRun
    from engine.views.side_by_side import SideBySide

#: The binding wall of a serving point, as the strip names it.
WALLS = {
    "sequences": "wall: max seqs",
    "kv": "wall: KV cache",
    "token_budget": "wall: token budget",
    "compute": "compute-bound",
    "none": "below the walls",
}


def summary_text(d: Dashboard) -> Text:
    s, r, i = d.scenario, d.run, d.selected
    t = Text()
    t.append(f" {s.mode} ", style="bold reverse")
    t.append(f" {human_bytes(d.plan.weights_bytes)} weights/GPU · KV ")
    t.append(f"{d.kv_bytes_per_token / 1e3:.0f} kB", style="bold")
    t.append("/tok · fits ")
    t.append(f"{d.plan.max_batch}", style="bold")
    t.append(" seqs")
    if d.min_gpus and d.min_gpus != s.tp:
        t.append(f" · min {count(d.min_gpus, 'GPU')}")
    t.append("\n")
    if d.fit_error:
        t.append("DOES NOT FIT ", style="bold reverse red")
        t.append(" " + d.fit_error.split(" at ", 1)[-1], style="red")
        return t
    if (served := serving_run(r)) is not None:
        return _serving(t, d, served)
    t.append(f" {d.axis} {d.load:g} ", style="bold reverse")
    t.append(" TTFT ")
    t.append(human_seconds(float(r.ttft_s[i])), style="bold")
    t.append(" · TPOT ")
    t.append(human_seconds(float(r.tpot_s[i])), style="bold")
    t.append(" · ")
    t.append(f"{float(r.total_tokens_per_s[i]):,.0f}", style="bold")
    t.append(f" tok/s · {float(r.per_request_tokens_per_s[i]):,.1f}/req")
    if not r.fits[i]:
        per_kind = getattr(r, "waves", None)  # the static batch runs in waves; other loads queue
        waves = int(per_kind[i]) if per_kind is not None else 1
        t.append(f" · {waves} waves" if waves > 1 else " · no fit", style="bold red")
    t.append("\n")
    t.append(f"${float(r.cost_per_1m_input_usd[i]):.3g}", style="bold green")
    t.append(" in / ")
    t.append(f"${float(r.cost_per_1m_output_usd[i]):.3g}", style="bold green")
    t.append(" out per 1M · ")
    t.append(
        f"prefill {r.prefill_bound[i]}, decode {r.decode_bound[i]}-bound · comm "
        f"{float(r.comm_share[i]) * 100:.0f}%",
        style="dim",
    )
    return t


def _serving(t: Text, d: Dashboard, r: ServingRun) -> Text:
    """The two lines of a serving point: its latencies and throughput, then its cost, the speed
    each user sees, the wall it has reached and whether it is stable."""
    i, load = d.selected, d.load
    shown = "inf" if math.isinf(load) else f"{load:g}/s" if d.axis == "rate" else f"{load:,.0f}"
    t.append(f" {d.axis} {shown} ", style="bold reverse")
    batch = float(r.batch[i])  # mean sequences in a decode step, all replicas
    t.append(f" running {batch:,.0f}" if batch >= 10 else f" running {batch:.2g}")
    t.append(" · TTFT ")
    t.append(human_seconds(float(r.ttft_s[i])), style="bold")
    t.append(" · ITL ")
    t.append(human_seconds(float(r.itl_s[i])), style="bold")
    t.append(" · ")
    t.append(f"{float(r.output_tokens_per_s[i]):,.0f}", style="bold")
    t.append(" tok/s\n")
    t.append(f"${float(r.cost_per_1m_input_usd[i]):.3g}", style="bold green")
    t.append(" in / ")
    t.append(f"${float(r.cost_per_1m_output_usd[i]):.3g}", style="bold green")
    t.append(" out per 1M · ")
    t.append(f"{float(r.per_user_tokens_per_s[i]):,.1f}", style="bold")
    t.append(" tok/s/user · ")
    wall = str(r.binding_wall[i])
    t.append(WALLS.get(wall, f"wall: {wall}"), style="bold" if wall != "none" else "dim")
    if bool(r.stable[i]):
        t.append(" · stable", style="dim")
    else:
        t.append(" · UNSTABLE", style="bold red")  # above capacity: no steady state
    return t


#: The pinned line's metrics: (row key, how it is shown before its ratio).
PINNED_METRICS = (
    ("tpot_s", "TPOT {}"),
    ("output_tokens_per_s", "{} tok/s"),
    ("cost_per_1m_output_usd", "{} out/1M"),
    ("max_batch", "fits {}"),
)


def pinned_text(sbs: SideBySide) -> Text:
    """A's headline numbers, each followed by the ratio of this scenario to A: green where this
    one is better, red where A is (TPOT 24.7 ms 0.83x: this one's is 17% shorter)."""
    from engine.views.side_by_side import shown, winner  # with the first pin: a faster start

    rows = {r.key: r for r in sbs.rows}
    t = Text()
    t.append(" vs A ", style="bold reverse")
    for k, (key, form) in enumerate(PINNED_METRICS):
        r = rows[key]
        if key.startswith("cost"):
            value = f"${r.a:.3g}"
        elif key == "output_tokens_per_s":
            value = f"{r.a:,.0f}"
        else:
            value = shown(key, r.a)
        t.append(" · " if k else " ")
        t.append(form.format(value))
        if math.isfinite(r.ratio):
            side = winner(r)
            style = "bold green" if side == "B" else "bold red" if side == "A" else "bold"
            t.append(f" {r.ratio:.2f}x", style=style)
    return t


class SummaryStrip(Static):
    def show(self, d: Dashboard, pinned: SideBySide | None = None) -> None:
        """The scenario's point, and with a pinned scenario A a line of A's numbers (this
        scenario / A as ratios)."""
        text = summary_text(d)
        if pinned is not None:
            text.append("\n")
            text.append_text(pinned_text(pinned))
        self.set_class(pinned is not None, "-pinned")
        if text != getattr(self, "_shown", None):
            self._shown = text
            self.update(text, layout=False)  # fixed height: no relayout per change
