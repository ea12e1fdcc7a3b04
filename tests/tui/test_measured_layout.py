"""The measured-file dialog's parallel layout (PP and EP beside GPU, GPUs and TP), for a file that
records no hardware: the fields open at the scenario's layout, a file compared on a pipeline split
or on expert parallelism gets the prediction ``tokentui compare --pp/--ep`` gives it, a layout the
engine refuses is said in the dialog at its field (the dialog stays, with what was typed, and no
notification), and a file that records its own hardware keeps it whatever the fields say."""

from __future__ import annotations

import json
from pathlib import Path

from support import BENCHMARKS, DATA, app_from_args, dialog_open, type_into, until
from textual.widgets import Input

from engine.cli.compare import run_compare
from engine.cli.main import build_parser
from engine.storage.catalog import default_catalog
from tui.app import TokentuiApp
from tui.results_dialog import BenchmarkDialog
from tui.screens.main import MainScreen

SEED_8B = BENCHMARKS / "tokenomics-vllm" / "llama_31_8b_2000in_300out.json"  # no hardware
SIZE = (120, 40)
FIELDS = ("gpu", "gpus", "tp", "pp", "ep")


def cli_predictions(*argv: str) -> list[float]:
    """What ``tokentui compare ARGV`` predicts for its one file, point by point."""
    args = build_parser().parse_args(["compare", *argv])
    (file,) = run_compare(args, default_catalog()).files
    return [r.predicted for r in file.rows]


def moe_file(tmp_path: Path) -> Path:
    """The seed's 8B file, said to be of Mixtral 8x7B (8 experts; the file records no hardware)."""
    data = json.loads(SEED_8B.read_text())
    data["metadata"]["model"] = "mixtral-8x7b"
    path = tmp_path / "mixtral_8x7b_2000in_300out.json"
    path.write_text(json.dumps(data))
    return path


def messages(app: TokentuiApp) -> str:
    return "\n".join(n.message for n in app._notifications)


async def open_dialog(pilot, app: TokentuiApp) -> BenchmarkDialog:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+b")
    await until(pilot, lambda: dialog_open(app, BenchmarkDialog))
    dialog = app.screen
    assert isinstance(dialog, BenchmarkDialog)
    return dialog


def values(dialog: BenchmarkDialog) -> dict[str, str]:
    return {k: dialog.query_one(f"#bench-{k}", Input).value for k in FIELDS}


async def submit(pilot, dialog: BenchmarkDialog, path: Path, **hardware: str) -> None:  # type: ignore[no-untyped-def]
    """The hardware fields set (gpus=, tp=, pp=, ep=), the path typed, Enter."""
    for name, value in hardware.items():
        dialog.query_one(f"#bench-{name}", Input).value = value
    box = dialog.query_one("#bench-path", Input)
    box.focus()
    box.value = str(path)
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def load(pilot, app: TokentuiApp, path: Path, **hardware: str) -> None:  # type: ignore[no-untyped-def]
    before = app.main.measurement
    dialog = await open_dialog(pilot, app)
    await submit(pilot, dialog, path, **hardware)
    await until(pilot, lambda: isinstance(app.screen, MainScreen))
    await until(pilot, lambda: app.main.measurement is not before)
    await pilot.pause()


async def test_the_fields_open_at_the_scenarios_layout() -> None:
    app: TokentuiApp = app_from_args("--gpus", "8", "--tp", "2", "--pp", "2")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, app)
        assert values(dialog) == {"gpu": "h100-sxm", "gpus": "8", "tp": "2", "pp": "2", "ep": ""}
        assert dialog.query_one("#bench-ep", Input).placeholder == "1"
    app = app_from_args("--model", "mixtral-8x7b", "--gpus", "4", "--tp", "2", "--ep", "4")
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, app)
        assert values(dialog) == {"gpu": "h100-sxm", "gpus": "4", "tp": "2", "pp": "", "ep": "4"}


def compared(app: TokentuiApp) -> tuple[tuple[str, int, int, int, int], list[float]]:
    """The loaded file's comparison: (model, GPUs, TP, PP, EP) it was resolved on, and its
    predictions."""
    cmp = app.main.comparison
    assert cmp is not None and cmp.resolved is not None
    s = cmp.resolved.scenario
    return (s.model.id, s.gpus, s.tp, s.pp, s.ep), [r.predicted for r in cmp.rows]


async def test_a_pipeline_split_is_compared_as_compare_pp_does() -> None:
    """The seed's 8B file on 2 GPUs in 2 pipeline stages (TP empty: 1 a stage): the predictions
    ``compare --gpus 2 --pp 2`` makes, not those of 2 replicas of 1 GPU; said in the notice."""
    reference = cli_predictions(str(SEED_8B), "--gpus", "2", "--pp", "2")
    replicas = cli_predictions(str(SEED_8B), "--gpus", "2", "--tp", "1")
    assert reference != replicas  # the pipeline split changes the prediction
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot, app, SEED_8B, gpus="2", tp="", pp="2", ep="")
        assert compared(app) == (("llama-3.1-8b", 2, 1, 2, 1), reference)
        assert "compared on 2 x NVIDIA H100 SXM5 80GB, TP 1, PP 2" in messages(app)
        assert any("PP 2" in note for note in app.main.measured_notes())
        # the scenario on screen changes: the file keeps the layout it was given
        app.main.apply(app.main.draft.with_value("output_tokens", 200))
        await pilot.pause()
        assert app.main.comparison is not None and app.main.comparison.resolved is not None
        assert app.main.comparison.resolved.scenario.pp == 2
        # Ctrl+B again opens with it
        dialog = await open_dialog(pilot, app)
        assert values(dialog)["pp"] == "2" and values(dialog)["gpus"] == "2"


async def test_expert_parallelism_is_compared_as_compare_ep_does(tmp_path: Path) -> None:
    path = moe_file(tmp_path)
    reference = cli_predictions(str(path), "--gpus", "4", "--tp", "2", "--ep", "4")
    assert reference != cli_predictions(str(path), "--gpus", "4", "--tp", "2")
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot, app, path, gpus="4", tp="2", pp="", ep="4")
        assert compared(app) == (("mixtral-8x7b", 4, 2, 1, 4), reference)
        assert "compared on 4 x NVIDIA H100 SXM5 80GB, TP 2, EP 4" in messages(app)


async def test_a_layout_the_engine_refuses_keeps_the_dialog(tmp_path: Path) -> None:
    """Each refusal is the resolver's, on the file's model, at the field it names; the dialog
    keeps what was typed, nothing is loaded and nothing is notified, however often Enter is
    pressed; mended, the file loads on it."""
    moe = moe_file(tmp_path)
    cases = [  # (file, gpus, tp, pp, ep, the field refused, words of the reason)
        (SEED_8B, "2", "", "3", "", "pp", "cannot be split into 3 pipeline stages"),
        (SEED_8B, "4", "3", "2", "", "tp", "TP 3 x PP 2"),
        (SEED_8B, "2", "1", "", "2", "ep", "not a mixture of experts"),
        (moe, "4", "2", "", "3", "ep", "multiple of TP 2"),
        (moe, "4", "2", "2", "4", "ep", "GPUs of a pipeline stage"),
        (SEED_8B, "2", "", "x", "", "pp", "PP 'x': a whole number"),
        (SEED_8B, "2", "", "", "0", "ep", "EP '0': a whole number"),
    ]
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_dialog(pilot, app)
        reason = dialog.query_one("#bench-reason")
        for path, gpus, tp, pp, ep, field, words in cases:
            typed = {"gpu": "h100-sxm", "gpus": gpus, "tp": tp, "pp": pp, "ep": ep}
            for _ in range(2):  # Enter twice: the same reason, still no notification
                await submit(pilot, dialog, path, **typed)
                await until(pilot, lambda: str(reason.render()) != "")
                assert app.screen is dialog, field
                assert words in str(reason.render()), (words, str(reason.render()))
                assert values(dialog) == typed
                marked = [
                    k for k in FIELDS if dialog.query_one(f"#bench-{k}").has_class("-refused")
                ]
                assert marked == [field]
                assert app.main.measurement is None and not app._notifications
        # mended in the field itself (typed, key by key): the mark goes, Enter loads the file
        await type_into(pilot, dialog.query_one("#bench-ep", Input), "1")
        assert not dialog.query_one("#bench-ep").has_class("-refused")
        assert str(reason.render()) == ""
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: app.main.measurement is not None)
        cmp = app.main.comparison
        assert cmp is not None and cmp.resolved is not None
        s = cmp.resolved.scenario
        assert (s.model.id, s.gpus, s.tp, s.pp, s.ep) == ("llama-3.1-8b", 2, 2, 1, 1)


async def test_a_file_that_records_its_hardware_keeps_it() -> None:
    """llama-bench records 1 x RTX 4090: the fields (a layout 2 GPUs could not take) are not
    its, so they are neither checked nor used."""
    app: TokentuiApp = app_from_args()
    async with app.run_test(size=SIZE) as pilot:
        await load(pilot, app, DATA / "llama-bench.json", gpus="2", tp="", pp="3", ep="2")
        cmp = app.main.comparison
        assert cmp is not None and cmp.resolved is not None
        s = cmp.resolved.scenario
        assert (s.gpu.id, s.gpus, s.tp, s.pp, s.ep) == ("rtx-4090", 1, 1, 1, 1)
