"""Presets and measured results in the app: save (with the overwrite question), load with preview,
delete and rename with confirmation, the title's unsaved mark, and a benchmark file overlaid."""

from __future__ import annotations

from pathlib import Path

from support import BENCHMARKS, app_from_args, type_into
from textual.widgets import Input

from engine.storage.presets import user_presets_dir
from tui.app import TokentuiApp
from tui.charts.tabs import ChartTabs
from tui.dialogs import ConfirmDialog, NameDialog, PresetPicker
from tui.panes.measured import MeasuredPane
from tui.screens.main import MainScreen

SEED = BENCHMARKS / "tokenomics-vllm"


def app() -> TokentuiApp:
    made: TokentuiApp = app_from_args()
    return made


async def test_save_then_change_marks_unsaved() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        assert "unsaved scenario" in a.sub_title
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(a.screen, NameDialog)
        await type_into(pilot, a.screen.query_one(Input), "my-70b")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(a.screen, MainScreen)
        path = user_presets_dir() / "my-70b.toml"
        assert path.is_file() and 'name = "my-70b"' in path.read_text()
        assert a.sub_title == "my-70b"
        a.main.query_one("#charts").focus()
        await pilot.press("m")  # any change
        await pilot.pause()
        assert a.sub_title == "my-70b *"


async def test_a_preset_saved_on_the_latency_chart_opens_on_it() -> None:
    a = app_from_args("--concurrency", "1,8,32")
    async with a.run_test(size=(120, 40)) as pilot:
        a.main.query_one("#charts").focus()
        await pilot.press("9")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_into(pilot, a.screen.query_one(Input), "lat")
        await pilot.press("enter")
        await pilot.pause()
    text = (user_presets_dir() / "lat.toml").read_text()
    assert 'chart = "latency"' in text and 'kind = "concurrency"' in text
    b = app_from_args("--preset", "lat")
    async with b.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert b.main.query_one(ChartTabs).active == "latency"


async def test_bad_names_are_refused_in_the_dialog() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        dialog = a.screen
        await type_into(pilot, dialog.query_one(Input), "../evil")
        await pilot.press("enter")
        await pilot.pause()
        assert a.screen is dialog  # still asking
        assert "/" in str(dialog.query_one("#name-reason").render()) or "accepted" in str(
            dialog.query_one("#name-reason").render()
        )
        await type_into(pilot, dialog.query_one(Input), "article-70b-4xh100")
        await pilot.press("enter")
        await pilot.pause()
        # a built-in name keeps the dialog, with the name as typed and why (issue #12)
        assert a.screen is dialog
        assert dialog.query_one(Input).value == "article-70b-4xh100"
        assert "built-in" in str(dialog.query_one("#name-reason").render())


async def test_overwrite_asks_first() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        for _ in range(2):
            await pilot.press("ctrl+s")
            await pilot.pause()
            await type_into(pilot, a.screen.query_one(Input), "twice")
            await pilot.press("enter")
            await pilot.pause()
        assert isinstance(a.screen, ConfirmDialog)
        before = (user_presets_dir() / "twice.toml").read_text()
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(a.screen, MainScreen)
        assert (user_presets_dir() / "twice.toml").read_text() == before


async def test_load_a_builtin_with_preview() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        picker = a.screen
        assert isinstance(picker, PresetPicker)
        await type_into(pilot, picker.query_one("#preset-filter", Input), "8b")
        assert "llama-3.1-8b" in str(picker.query_one("#preview").render())
        await pilot.press("enter")
        await pilot.pause()
        s = a.main.dashboard.scenario
        assert (s.model.id, s.gpus) == ("llama-3.1-8b", 1)
        assert a.sub_title == "llama-8b-1xh100 (built-in)"
        assert a.main.field("gpus").input.value == "1"


async def test_delete_and_rename_with_confirmation() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_into(pilot, a.screen.query_one(Input), "old-name")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await type_into(pilot, a.screen.query_one("#preset-filter", Input), "old-name")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert isinstance(a.screen, NameDialog)
        await type_into(pilot, a.screen.query_one(Input), "new-name")
        await pilot.press("enter")
        await pilot.pause()
        assert (user_presets_dir() / "new-name.toml").is_file()
        assert not (user_presets_dir() / "old-name.toml").exists()
        assert a.sub_title.startswith("new-name")
        await type_into(pilot, a.screen.query_one("#preset-filter", Input), "new-name")
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert isinstance(a.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert not (user_presets_dir() / "new-name.toml").exists()


async def test_benchmark_overlay_and_error_table() -> None:
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        await type_into(
            pilot, a.screen.query_one(Input), str(SEED / "llama_33_70b_2000in_300out.json")
        )
        await pilot.press("enter")
        await pilot.pause()
        screen = a.main
        assert screen.measurement is not None and screen.comparison is not None
        assert screen.dashboard.scenario.input_tokens == 2035
        points = screen.measured_points()
        assert [b for b, _ in points] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        assert points[0][1] == 53.906158417337465  # the file's own measurement
        assert screen.visible_chart().measured == points
        screen.query_one("#charts").focus()
        await pilot.press("7")
        await pilot.pause()
        head = str(screen.query_one(MeasuredPane).query_one("#measured-head").render())
        assert "MAPE" in head
        assert screen.query_one(MeasuredPane).query_one("DataTable").row_count == 10


async def test_a_serving_file_is_compared_and_leaves_the_scenario() -> None:
    """Its concurrencies are not batch sizes: the scenario on screen stays (it took them as a
    static batch once); the file is compared point by point at its own loads."""
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        before = a.main.dashboard.scenario
        await pilot.press("ctrl+b")
        await pilot.pause()
        nim = BENCHMARKS / "nim" / "nim_llama3.1_8b_v1.8.0_1xH100_80GB.csv"
        await type_into(pilot, a.screen.query_one(Input), str(nim))
        await pilot.press("enter")
        await pilot.pause()
        screen = a.main
        assert screen.dashboard.scenario == before
        comparison = screen.comparison
        assert comparison is not None and comparison.skipped is None
        metrics = {r.metric for r in comparison.rows}
        assert {"ttft_s", "itl_s", "output_tokens_per_s"} <= metrics
        # every row is at a load of the file (its concurrencies), none at the screen's batches
        assert {r.point.concurrency for r in comparison.rows} == {1, 5, 25, 50, 100, 150, 200, 250}
        assert screen.measured_points() == []


async def test_a_broken_benchmark_file_is_a_notification(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json")
    a = app()
    async with a.run_test(size=(120, 40)) as pilot:
        await pilot.press("ctrl+b")
        await pilot.pause()
        await type_into(pilot, a.screen.query_one(Input), str(bad))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(a.screen, MainScreen)
        assert a.main.measurement is None
        assert any("accepted" in n.message for n in a._notifications)


async def test_a_saved_profile_sets_the_realistic_factors() -> None:
    from engine.physics.deployment import Efficiency
    from engine.storage.profiles import save_profile
    from tui.panes.workload import WorkloadPane
    from tui.widgets import Choice

    save_profile(Efficiency(compute=0.31, memory=0.7), "slow-box")
    a = app()
    async with a.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        pane = a.main.query_one(WorkloadPane)
        choice = pane.query_one("#profile", Choice)
        assert [v for v, _ in choice.options] == ["default", "slow-box", "custom"]
        choice.focus()
        await pilot.press("right")
        await pilot.pause()
        eff = a.main.dashboard.scenario.efficiency
        assert (eff.compute, eff.memory) == (0.31, 0.7)
        assert a.main.field("compute_efficiency").input.value == "0.31"
        # an edited factor makes them custom, and the choice says so
        field = a.main.field("compute_efficiency").input
        field.focus()
        field.value = ""
        await pilot.press(*"0.4")
        await pilot.pause()
        assert a.main.dashboard.scenario.efficiency.compute == 0.4
        assert choice.value == "custom" and a.main.draft.profile == "custom"


async def test_the_profile_given_on_the_command_line_is_named_in_the_app() -> None:
    """``tokentui --profile NAME`` uses its factors and says so (it showed 'default')."""
    from engine.physics.deployment import Efficiency
    from engine.storage.profiles import save_profile
    from tui.panes.workload import WorkloadPane
    from tui.widgets import Choice

    save_profile(Efficiency(compute=0.31, memory=0.7), "slow-box")
    a = app_from_args("--profile", "slow-box")
    async with a.run_test(size=(120, 60)) as pilot:
        await pilot.pause()
        assert a.main.dashboard.scenario.efficiency.compute == 0.31
        assert a.main.query_one(WorkloadPane).query_one("#profile", Choice).value == "slow-box"
    b = app_from_args("--compute-efficiency", "0.6")
    assert b.initial[0].profile == "custom"
