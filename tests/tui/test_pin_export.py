"""Side by side and export in the app (issue #12, "features a user reaches for"): p pins the
scenario as A, the charts draw A's numbers dotted beside the new scenario's and the summary gives
A's headline numbers with the ratios; p again unpins; a preset can be pinned from the palette.
x writes the chart's data (CSV, JSON) and the screen (SVG) and says where.

A's reference numbers are the engine's run of the scenario pinned, never the chart's."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from support import app_from_args, set_field, show_chart, until

from engine.views.export import chart_table
from tui.app import TokentuiApp
from tui.dialogs import PresetPicker
from tui.flows import export as export_flow
from tui.panes.summary import SummaryStrip
from tui.widgets import Edit

SIZE = (120, 40)
SERVING = ("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1", "--concurrency", "1..64")


def summary(app: TokentuiApp) -> str:
    return str(app.main.query_one(SummaryStrip).render())


async def test_a_pinned_scenario_is_drawn_dotted_and_compared_in_the_summary() -> None:
    app: TokentuiApp = app_from_args()  # the article's Llama 3.3 70B on 4 x H100
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        a_s = app.main.dashboard.scenario
        a_run = a_s.run()
        app.main.query_one("#charts").focus()
        await pilot.press("p")
        await set_field(pilot, app, "gpus", "8")  # B: 8 GPUs, TP 8
        await pilot.pause()
        b = app.main.dashboard
        assert b.scenario.gpus == 8 and app.main.pinned == a_s
        throughput = await show_chart(pilot, app, "1")
        assert throughput.series["A: total"] == pytest.approx(a_run.total_tokens_per_s.tolist())
        assert throughput.series["solid: total"] == pytest.approx(b.run.total_tokens_per_s.tolist())
        assert "dotted" not in throughput.series and "dotted: total" not in throughput.series
        i = b.selected
        ratio = float(b.run.tpot_s[i]) / float(a_run.tpot_s[i])
        assert "vs A" in summary(app) and f"{ratio:.2f}x" in summary(app)
        cost = await show_chart(pilot, app, "3")
        assert cost.series["A: $ / 1M output"] == pytest.approx(
            a_run.cost_per_1m_output_usd.tolist()
        )
        bottlenecks = await show_chart(pilot, app, "2")  # A's time per token beside its bars
        assert bottlenecks.series["A step ms"] == pytest.approx((a_run.tpot_s * 1e3).tolist())
        app.main.query_one("#charts").focus()
        await pilot.press("p")  # unpin: the other mode is dotted again, no line in the summary
        await pilot.pause()
        throughput = await show_chart(pilot, app, "1")
        assert "A: total" not in throughput.series and "dotted: total" in throughput.series
        assert "vs A" not in summary(app)


async def test_serving_charts_draw_the_pinned_means() -> None:
    app: TokentuiApp = app_from_args(*SERVING)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        a_run = app.main.dashboard.scenario.run()
        app.main.query_one("#charts").focus()
        await pilot.press("p")
        await set_field(pilot, app, "output_tokens", "600")
        latency = await show_chart(pilot, app, "9")
        assert latency.series["A: TTFT"] == pytest.approx(np.asarray(a_run.ttft_s).tolist())
        assert latency.series["A: ITL"] == pytest.approx(np.asarray(a_run.itl_s).tolist())
        assert "TTFT p99" not in latency.series  # A's means replace the p99s
        serving = await show_chart(pilot, app, "8")
        assert serving.series["A: tok/s per GPU"] == pytest.approx(
            np.asarray(a_run.output_tokens_per_s_per_gpu).tolist()
        )


async def test_a_pinned_load_of_another_kind_is_not_drawn_on_this_axis() -> None:
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#charts").focus()
        await pilot.press("p")
        await pilot.pause()
        app.main.post_message(Edit("load", "concurrency"))  # as the Load tab's list posts it
        await pilot.pause()
        assert app.main.dashboard.axis == "concurrency"
        throughput = await show_chart(pilot, app, "1")
        assert not any(k.startswith("A:") for k in throughput.series)
        assert any("not drawn on this axis" in name for _, name, _ in throughput.legend_items)
        assert "vs A" in summary(app)  # the summary compares A at its own point


async def test_a_preset_is_pinned_from_the_palette_dialog() -> None:
    app: TokentuiApp = app_from_args("--gpu", "h200")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.action_pin_preset()  # a worker: the palette runs it so
        await until(pilot, lambda: isinstance(app.screen, PresetPicker))
        picker = app.screen
        assert isinstance(picker, PresetPicker)
        assert "Ctrl+D" not in str(picker.query_one(".hint").render())  # choose only
        await pilot.press(*"article-70b-4xh100", "enter")
        await until(pilot, lambda: app.main.pinned is not None)
        assert app.main.pinned_label == "article-70b-4xh100"
        assert app.main.pinned.gpu.id == "h100-sxm"


async def test_x_writes_the_charts_data_the_summary_and_the_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#charts").focus()
        await pilot.press("3")  # the cost chart
        await pilot.press("x")
        await pilot.pause()
        files = sorted(tmp_path.iterdir())
        assert [f.suffix for f in files] == [".csv", ".json", ".svg"]
        assert all(f.name.startswith("tokentui-cost-") for f in files)
        d = app.main.dashboard
        cols, rows = chart_table(d, "cost")
        got = list(csv.reader(io.StringIO(files[0].read_text())))
        assert got[0] == cols and len(got) == 1 + len(rows) == 1 + len(d.loads)
        out = cols.index("cost_per_1m_output_usd")
        assert [float(r[out]) for r in got[1:]] == pytest.approx(
            d.run.cost_per_1m_output_usd.tolist()
        )
        data = json.loads(files[1].read_text())
        assert data["chart"] == "cost" and data["summary"]["load"] == d.load
        assert files[2].read_text().lstrip().startswith("<svg")
        note = "\n".join(n.message for n in app._notifications)
        assert str(tmp_path) in note and files[0].name in note
        await pilot.press("x")  # again within the second: new names, nothing replaced
        await pilot.pause()
        assert len(list(tmp_path.iterdir())) == 6


async def test_export_falls_back_to_the_user_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the working folder cannot be written (a read-only checkout), the user folder's."""
    home = tmp_path / "home"
    monkeypatch.setenv("TOKENTUI_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(export_flow.os, "access", lambda path, mode: Path(path) != tmp_path)
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.main.run_action("export('json')")
        await pilot.pause()
        written = list((home / "exports").iterdir())
        assert len(written) == 1 and written[0].suffix == ".json"
        assert not list(tmp_path.glob("tokentui-*"))
