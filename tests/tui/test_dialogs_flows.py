"""The dialogs and flows of issue #12, driven with keys: typing filters the preset list, a refused
name keeps the save dialog and what was typed, Tab completes a path in the measured-file dialog
and the candidates are listed, quitting with unsaved changes asks, a measured file can be unloaded,
a file that records no hardware says what it was compared on and is drawn only over the curves it
measured, and loading a file never rewrites a serving scenario's load axis. Bad input never
crashes: the app keeps running and says why."""

from __future__ import annotations

from pathlib import Path

from support import BENCHMARKS, DATA, app_from_args, dialog_open, type_into, until
from textual.widgets import Input, OptionList

from engine.storage.presets import builtin_names, user_presets_dir
from tui.app import QUIT_DIALOG, TokentuiApp
from tui.dialogs import ConfirmDialog, NameDialog, PresetPicker
from tui.results_dialog import BenchmarkDialog
from tui.screens.main import MainScreen

SEED = BENCHMARKS / "tokenomics-vllm"
SEED_8B = SEED / "llama_31_8b_2000in_300out.json"  # Llama 3.1 8B, run on one H100
SEED_70B = SEED / "llama_33_70b_2000in_300out.json"
NIM = BENCHMARKS / "nim" / "nim_llama3.1_8b_v1.8.0_1xH100_80GB.csv"
SIZE = (120, 40)


def make_app(*args: str) -> TokentuiApp:
    app: TokentuiApp = app_from_args(*args)
    return app


def messages(app: TokentuiApp) -> str:
    return "\n".join(n.message for n in app._notifications)


def option_ids(options: OptionList) -> list[str]:
    return [o.id for o in options.options if o.id]


async def open_measured(pilot, app: TokentuiApp) -> BenchmarkDialog:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+b")
    await until(pilot, lambda: isinstance(app.screen, BenchmarkDialog))
    dialog = app.screen
    assert isinstance(dialog, BenchmarkDialog)
    return dialog


async def load_file(pilot, app: TokentuiApp, path: Path, **hardware: str) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+B, the path typed, the hardware fields set (gpu=, gpus=, tp=), Enter."""
    before = app.main.measurement
    dialog = await open_measured(pilot, app)
    for name, value in hardware.items():
        dialog.query_one(f"#bench-{name}", Input).value = value
    box = dialog.query_one("#bench-path", Input)
    box.focus()
    box.value = str(path)  # typed key by key in the test of completion
    await pilot.pause()
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, MainScreen))
    await until(pilot, lambda: app.main.measurement is not before or bool(app._notifications))
    await pilot.pause()


# ---------------------------------------------------------------------- presets


async def test_typing_filters_the_preset_list() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PresetPicker))
        picker = app.screen
        options = picker.query_one(OptionList)
        every = option_ids(options)
        assert set(builtin_names()) <= set(every)
        await pilot.press(*"8b")  # straight away: no click into the filter first
        await pilot.pause()
        shown = option_ids(options)
        assert shown and len(shown) < len(every)
        assert all("8b" in f"{n} {picker.presets[n].summary}".lower() for n in shown)
        # typing while the list has the focus types into the filter too
        options.focus()
        await pilot.press("backspace")  # not a letter: the list's own key
        await pilot.press(*"x")
        await pilot.pause()
        assert picker.query_one("#preset-filter", Input).value == "8bx"
        assert option_ids(options) == []
        assert "no preset matches" in str(picker.query_one("#preview").render())
        await pilot.press("enter")  # nothing to load: the picker stays, nothing breaks
        await pilot.pause()
        assert app.screen is picker


async def test_up_and_down_move_in_the_list_from_the_filter() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PresetPicker))
        options = app.screen.query_one(OptionList)
        assert isinstance(app.focused, Input)
        first = options.highlighted
        await pilot.press("down")
        assert options.highlighted == (first or 0) + 1
        name = option_ids(options)[options.highlighted or 0]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.main.preset is not None and app.main.preset.name == name


async def test_saving_as_a_builtin_name_keeps_the_dialog_and_what_was_typed() -> None:
    app = make_app()
    builtin = builtin_names()[0]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        dialog = app.screen
        await type_into(pilot, dialog.query_one(Input), builtin)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        assert dialog.query_one(Input).value == builtin
        assert "built-in" in str(dialog.query_one("#name-reason").render())
        assert not (user_presets_dir() / f"{builtin}.toml").exists()
        # the name fixed in the same dialog saves
        await type_into(pilot, dialog.query_one(Input), f"{builtin}-mine")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert (user_presets_dir() / f"{builtin}-mine.toml").is_file()


async def test_markup_in_a_typed_name_is_text() -> None:
    """'[/b]' in a name (a reason quotes it) once crashed the dialog as a closing tag."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        dialog = app.screen
        await type_into(pilot, dialog.query_one(Input), "[/b]x[red]")
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running and app.screen is dialog
        assert "[/b]x[red]" in str(dialog.query_one("#name-reason").render())


async def test_renaming_to_a_builtin_name_keeps_the_dialog() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        await type_into(pilot, app.screen.query_one(Input), "mine")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, PresetPicker))
        await type_into(pilot, app.screen.query_one("#preset-filter", Input), "mine")
        await pilot.press("ctrl+r")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        dialog = app.screen
        await type_into(pilot, dialog.query_one(Input), builtin_names()[0])
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "built-in" in str(dialog.query_one("#name-reason").render())
        assert (user_presets_dir() / "mine.toml").is_file()


# ---------------------------------------------------------------------- quit


async def test_quit_with_unsaved_changes_asks() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("m")  # a change: the scenario is not the one the app opened with
        await pilot.pause()
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert app.screen.id == QUIT_DIALOG
        assert "not saved" in str(app.screen.query_one("Label").render())
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)


async def test_ctrl_q_twice_quits() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("m")
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)


async def test_a_clean_app_quits_at_once() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
        assert not any(isinstance(s, ConfirmDialog) for s in app.screen_stack)


async def test_a_saved_scenario_quits_at_once_and_a_changed_preset_asks() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.main.query_one("#charts").focus()
        await pilot.press("m")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog_open(app, NameDialog))
        await type_into(pilot, app.screen.query_one(Input), "kept")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.main.unsaved() is None
        app.main.query_one("#charts").focus()
        await pilot.press("m")
        await pilot.pause()
        assert "'kept'" in (app.main.unsaved() or "")
        await pilot.press("m")  # back as saved
        await pilot.pause()
        assert app.main.unsaved() is None
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)


# ---------------------------------------------------------------------- measured files


async def test_tab_completes_the_path_and_lists_the_candidates(tmp_path: Path) -> None:
    for name in ("results-alpha.json", "results-beta.json", "other.txt"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "runs").mkdir()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_measured(pilot, app)
        box = dialog.query_one("#bench-path", Input)
        candidates = dialog.query_one("#bench-candidates", OptionList)
        await type_into(pilot, box, f"{tmp_path}/re")
        assert candidates.display
        assert option_ids(candidates) == ["results-alpha.json", "results-beta.json"]
        await pilot.press("tab")  # the start both share
        await pilot.pause()
        assert box.value == f"{tmp_path}/results-"
        assert app.focused is box
        await pilot.press("b", "tab")  # one left: the whole name
        await pilot.pause()
        assert box.value == f"{tmp_path}/results-beta.json"
        box.value = f"{tmp_path}/ru"
        await pilot.pause()
        await pilot.press("tab")  # a folder: its name and a slash
        await pilot.pause()
        assert box.value == f"{tmp_path}/runs/"
        box.value = f"{tmp_path}/"
        await pilot.pause()
        assert option_ids(candidates) == [
            "other.txt",
            "results-alpha.json",
            "results-beta.json",
            "runs/",
        ]
        await pilot.press("tab")  # nothing to add: Tab moves on, to the candidates
        await pilot.pause()
        assert app.focused is candidates
        await pilot.press("enter")  # the first candidate: a file, loaded (and refused: no data)
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running and app.main.measurement is None
        assert "other.txt" in messages(app)


async def test_a_file_without_hardware_says_what_it_was_compared_on() -> None:
    """The seed's 8B file records neither GPU nor count: on the default 70B scenario (4 x H100
    SXM, TP 4) it is compared on those, says so, and its points are not drawn on the 70B
    curves; the scenario keeps its workload."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        before = screen.dashboard.scenario
        assert (before.model.id, before.gpus, before.tp) == ("llama-3.3-70b", 4, 4)
        await load_file(pilot, app, SEED_8B)
        cmp = screen.comparison
        assert cmp is not None and cmp.resolved is not None
        assert cmp.resolved.scenario.model.id == "llama-3.1-8b"
        said = messages(app)
        assert "records no GPU" in said
        assert "compared on 4 x NVIDIA H100 SXM5 80GB, TP 4" in said
        assert "not drawn" in said and "Llama 3.3 70B" in said
        assert screen.measured_points() == []
        assert screen.dashboard.scenario == before
        screen.query_one("#charts").focus()
        await pilot.press("1")
        await pilot.pause()
        assert list(screen.visible_chart().measured) == []


async def test_the_hardware_the_file_ran_on_is_used_and_its_points_drawn_on_it() -> None:
    app = make_app("--model", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpus", "1")
    async with app.run_test(size=SIZE) as pilot:
        await load_file(pilot, app, SEED_8B)  # the fields open with the scenario's: 1 x H100
        screen = app.main
        cmp = screen.comparison
        assert cmp is not None and cmp.resolved is not None
        s = cmp.resolved.scenario
        assert (s.model.id, s.gpu.id, s.gpus, s.tp) == ("llama-3.1-8b", "h100-sxm", 1, 1)
        assert [b for b, _ in screen.measured_points()] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        # another GPU count on screen: the file keeps its own, its points leave the chart
        screen.apply(screen.draft.with_value("gpus", 2))
        await pilot.pause()
        assert screen.comparison is not None and screen.comparison.resolved is not None
        assert screen.comparison.resolved.scenario.gpus == 1
        assert screen.measured_points() == []
        assert "measured on 1 x" in (screen.not_drawn() or "")


async def test_the_hardware_given_in_the_dialog_is_the_files() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await load_file(pilot, app, SEED_8B, gpus="1", tp="")
        cmp = app.main.comparison
        assert cmp is not None and cmp.resolved is not None
        assert (cmp.resolved.scenario.gpus, cmp.resolved.scenario.tp) == (1, 1)
        assert cmp.resolved.sources["gpus"] == "flag"  # given, not the scenario's
        assert "compared on 1 x NVIDIA H100 SXM5 80GB, TP 1" in messages(app)
        # Ctrl+B again opens with the file and the hardware it was given
        dialog = await open_measured(pilot, app)
        assert dialog.query_one("#bench-gpus", Input).value == "1"
        assert dialog.query_one("#bench-path", Input).value == str(SEED_8B)


async def test_bad_hardware_and_paths_are_refused_in_the_dialog() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_measured(pilot, app)
        reason = dialog.query_one("#bench-reason")
        for field, value, word in (("gpus", "0", "GPUs"), ("gpu", "nonsense", "catalog")):
            dialog.query_one(f"#bench-{field}", Input).value = value
            path = dialog.query_one("#bench-path", Input)
            path.focus()
            path.value = str(SEED_8B)
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog and word in str(reason.render())
            dialog.query_one("#bench-gpus", Input).value = "4"
            dialog.query_one("#bench-gpu", Input).value = "h100-sxm"
        await type_into(pilot, dialog.query_one("#bench-path", Input), "/no/such/[/b]file.json")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "no such file" in str(reason.render())


async def test_hardware_the_model_does_not_fit_is_a_message() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await load_file(pilot, app, SEED_70B, gpu="rtx-4060", gpus="1")
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert app.main.measurement is None
        assert any(n.severity == "error" for n in app._notifications)


async def test_unload_from_the_dialog_and_the_palette() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        await load_file(pilot, app, SEED_70B)
        assert screen.measurement is not None
        assert screen.measured_points()
        assert list(screen.visible_chart().measured) == screen.measured_points()
        dialog = await open_measured(pilot, app)
        assert "Ctrl+R unloads" in str(dialog.query_one("#bench-loaded").render())
        await pilot.press("ctrl+r")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert screen.measurement is None and screen.comparison is None
        assert screen.measured_points() == []
        assert list(screen.visible_chart().measured) == []
        assert "unloaded" in messages(app)
        # again, through the command palette
        await load_file(pilot, app, SEED_70B)
        assert screen.measurement is not None
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"unload the measured")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: screen.measurement is None)
        # nothing loaded: unloading says so
        screen.action_unload_benchmark()
        await pilot.pause()
        assert "no measured results are loaded" in messages(app)


async def test_a_serving_file_keeps_the_batch_sizes() -> None:
    app = make_app("--batch", "1,8,64")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        before = screen.dashboard.scenario
        draft_before = screen.draft
        for path in (NIM, DATA / "vllm-bench-serve.json", DATA / "ollama-generate.json"):
            await load_file(pilot, app, path)
            assert screen.measurement is not None
            assert screen.draft == draft_before, path
            assert screen.dashboard.scenario == before, path
            assert tuple(screen.dashboard.loads) == (1, 8, 64)


async def test_a_static_file_on_a_serving_scenario_keeps_its_load_axis() -> None:
    """The seed's batches are not a concurrency list: the scenario stays on its axis and valid
    (it once took them as its batch sizes and was refused from then on)."""
    app = make_app("--concurrency", "1,8,32")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main
        await load_file(pilot, app, SEED_70B)
        assert screen.measurement is not None
        assert screen.draft.input.batch_sizes is None
        assert screen.draft.input.concurrency == (1, 8, 32)
        assert screen.field_error is None
        assert screen.dashboard.axis == "concurrency"
        assert screen.measured_points() == []  # static batches: not on a concurrency axis
        screen.apply(screen.draft.with_value("output_tokens", 200))  # still editable
        assert screen.dashboard.scenario.output_tokens == 200


async def test_the_70b_file_on_its_own_scenario_is_drawn() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await load_file(pilot, app, SEED_70B)
        screen = app.main
        points = screen.measured_points()
        assert [b for b, _ in points] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
        assert screen.not_drawn() is None
        said = messages(app)
        assert "records no GPU" in said  # the seed's files never record it: said every time
        # other prompt lengths on screen: the points leave the chart, and that is said
        screen.apply(screen.draft.with_value("input_tokens", 8000))
        await pilot.pause()
        assert screen.measured_points() == []
        assert "not drawn" in messages(app)
