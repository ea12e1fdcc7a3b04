"""The measured-file dialog: a path with completion (Tab accepts it and lists the candidates) or a
recent file, and for a file that records no hardware, the hardware it ran on: GPU, count and the
parallel layout (TP, PP, EP). The layout is checked by the engine (the caller's ``check``: the one
resolver, on the file's model) before the dialog closes; a refusal is said in the dialog, at the
field it names, and the dialog keeps what was typed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.suggester import Suggester, SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import InputError
from tui.dialogs import DIALOG_CSS
from tui.widgets import OnceModal, SafeInput, plain

BENCH_KEYS = "Tab completes the path · Enter loads · Ctrl+R unloads · Esc cancels"


def path_completion(value: str) -> tuple[str, str, list[str]]:
    """How ``value`` (a path being typed; ``~`` is home) completes: (the completion: the longest
    start the entries it begins share, with '/' after a single folder; the folder as typed; the
    names of those entries, a folder's with '/'). Hidden entries only when a '.' is typed."""
    if value == "~":
        return "~/", "", []
    expanded = os.path.expanduser(value)
    folder, prefix = os.path.split(expanded)
    head = value[: len(value) - len(prefix)]
    if not value:
        return value, head, []
    try:
        names = sorted(os.listdir(folder or "."))
    except OSError:
        return value, head, []
    hidden = prefix.startswith(".")
    names = [n for n in names if n.startswith(prefix) and (hidden or not n.startswith("."))]
    shown = [n + "/" if os.path.isdir(os.path.join(folder, n)) else n for n in names[:200]]
    if not shown:
        return value, head, []
    # the start the names share, character by character (not whole path components)
    common = shown[0] if len(names) == 1 else os.path.commonprefix(names)  # noqa: RUF071
    return head + common, head, shown


class PathSuggester(Suggester):
    """Shows what Tab (or Right) completes a file-system path to, as it is typed."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        done = path_completion(value)[0]
        return done if done != value else None


@dataclass(frozen=True)
class BenchmarkForm:
    """What the measured-file dialog asks: the file, and the hardware to compare it on when the
    file records none (GPU id, GPU count, TP, PP, EP; TP empty: the GPUs of a pipeline stage, PP
    and EP empty: 1)."""

    path: str = ""
    gpu: str = ""
    gpus: str = ""
    tp: str = ""
    pp: str = ""
    ep: str = ""


#: The dialog's answer: ("load" | "unload", what the form held).
BenchmarkChoice = tuple[str, BenchmarkForm]
MAX_CANDIDATES = 12
#: The hardware fields: (key, label, placeholder, tooltip).
HARDWARE_FIELDS = (
    ("gpu", "GPU", "", "the GPU's catalog id"),
    ("gpus", "GPUs", "", "how many GPUs; beyond TP x PP they are replicas"),
    ("tp", "TP", "= GPUs", "tensor-parallel degree; empty: all GPUs (of a pipeline stage)"),
    ("pp", "PP", "1", "pipeline stages; GPUs = TP x PP x replicas"),
    ("ep", "EP", "1", "expert parallelism (mixtures of experts): a multiple of TP"),
)
#: The engine's check of the form (the file at its path, on the hardware given): the refusal of
#: a hardware field (an InputError naming it in ``field``), else None (accepted, or refused for a
#: reason that is not the fields', said when the file is loaded). It runs in a thread.
HardwareCheck = Callable[[BenchmarkForm], InputError | None]


class BenchmarkDialog(OnceModal[BenchmarkChoice | None]):
    """A measured results file: type a path (Tab or Right accepts the completion, the entries it
    could complete to are listed under it) or pick a recent one; the hardware it ran on, for a
    file that records none; Ctrl+R unloads the file loaded now."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="BenchmarkDialog")
        + """
    BenchmarkDialog OptionList { height: auto; max-height: 8; }
    BenchmarkDialog #bench-candidates { max-height: 6; color: $text-muted; }
    BenchmarkDialog #bench-loaded { color: $success; }
    BenchmarkDialog #bench-hardware { align-horizontal: left; margin-top: 0; }
    BenchmarkDialog #bench-hardware Label { padding: 0 1; }
    BenchmarkDialog #bench-hardware Input { width: 5; }
    BenchmarkDialog #bench-hardware #bench-gpu { width: 18; }
    BenchmarkDialog #bench-hardware #bench-tp { width: 7; }
    BenchmarkDialog #bench-hardware Input.-refused { background-tint: $error 30%; }
    """
    )
    BINDINGS = [
        Binding("escape", "cancel", "cancel", id="bench-cancel"),
        Binding("tab", "complete", "complete", id="bench-complete", show=False),
        Binding("ctrl+r", "unload", "unload", id="bench-unload", tooltip="unload the file"),
    ]

    def __init__(
        self,
        recent: list[str],
        form: BenchmarkForm | None = None,
        gpu_ids: Sequence[str] = (),
        loaded: str | None = None,
        check: HardwareCheck | None = None,
    ) -> None:
        """``form``: the fields as they open (the scenario's hardware); ``gpu_ids``: the GPUs
        accepted; ``loaded``: the file loaded now, which Ctrl+R unloads; ``check``: the engine's
        check of the hardware, before the dialog closes."""
        super().__init__()
        self.check = check
        self.recent = recent
        self.start = form or BenchmarkForm()
        self.gpu_ids = list(gpu_ids)
        self.loaded = loaded
        self.head = ""  # the folder part of the path typed, which the candidates complete

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Load measured results", classes="title")
            yield Static(
                "seed JSON, vllm bench serve, llama-bench, Ollama, NIM CSV, bench runs",
                classes="hint",
            )
            if self.loaded:
                yield Static(
                    plain(f"loaded: {self.loaded}  (Ctrl+R unloads it)"), id="bench-loaded"
                )
            yield SafeInput(
                self.start.path,
                placeholder="path/to/results.json  (Tab completes)",
                suggester=PathSuggester(),
                id="bench-path",
                compact=True,
            )
            yield OptionList(id="bench-candidates", compact=True)
            yield Static("", classes="reason", id="bench-reason")
            yield Label("if the file records no hardware, it ran on:", classes="hint")
            ids = SuggestFromList(self.gpu_ids, case_sensitive=False)
            with Horizontal(id="bench-hardware"):
                for key, label, hint, tooltip in HARDWARE_FIELDS:
                    yield Label(label)
                    value, suggester = getattr(self.start, key), ids if key == "gpu" else None
                    box = SafeInput(
                        value, hint, suggester=suggester, id=f"bench-{key}", compact=True
                    )
                    box.tooltip = tooltip
                    yield box
            if self.recent:
                yield Label("recent files", classes="hint")
                yield OptionList(
                    *[Option(plain(p), id=str(i)) for i, p in enumerate(self.recent)],
                    id="bench-recent",
                    compact=True,
                )
            yield Static(BENCH_KEYS, classes="hint")

    def on_mount(self) -> None:
        self.query_one("#bench-candidates").display = False
        self.query_one("#bench-path", Input).focus()

    def form(self) -> BenchmarkForm:
        keys = [f.name for f in fields(BenchmarkForm)]
        return BenchmarkForm(
            **{k: self.query_one(f"#bench-{k}", Input).value.strip() for k in keys}
        )

    def _refuse(self, reason: str, key: str | None = None) -> None:
        """Say why the dialog does not close; the hardware field ``key`` is marked (and focused)."""
        self.query_one("#bench-reason", Static).update(plain(reason))
        for name, *_ in HARDWARE_FIELDS:
            box = self.query_one(f"#bench-{name}", Input)
            box.set_class(name == key, "-refused")
            if name == key:
                box.focus()

    def _hardware_reason(self, form: BenchmarkForm) -> tuple[str, str] | None:
        """(the field, why) when a hardware field is not even a value: an unknown GPU, a count
        that is not a whole number (the layout itself is the engine's ``check``)."""
        if self.gpu_ids and form.gpu not in self.gpu_ids:
            ids = ", ".join(self.gpu_ids[:6])
            return "gpu", f"GPU {form.gpu!r}: not in the catalog (e.g. {ids} …)"
        for key, label, placeholder, _ in HARDWARE_FIELDS[1:]:
            text = getattr(form, key)
            if not (text.isdigit() and int(text) >= 1) and not (placeholder and not text):
                return key, f"{label} {text!r}: a whole number of at least 1"
        return None

    def _load(self, path_text: str) -> None:
        path = Path(os.path.expanduser(path_text.strip()))
        if not path_text.strip() or not path.is_file():
            self._refuse(
                f"{path_text or 'the path'}: no such file (give the path of a results file)"
            )
            return
        form = replace(self.form(), path=str(path))
        refused = self._hardware_reason(form)
        if refused:
            self._refuse(refused[1], refused[0])
        elif self.check is None:
            self.dismiss(("load", form))
        else:
            self._checked_load(form, self.check)

    @work(exclusive=True, group="bench-check")
    async def _checked_load(self, form: BenchmarkForm, check: HardwareCheck) -> None:
        """Close with ``form`` unless the engine refuses its hardware (said at the field)."""
        refused = await asyncio.to_thread(check, form)
        if refused is not None:
            self._refuse(str(refused), refused.field)
        else:
            self.dismiss(("load", form))

    @on(Input.Submitted)
    def _submit(self) -> None:
        self._load(self.query_one("#bench-path", Input).value)

    @on(Input.Changed, "#bench-path")
    def _candidates(self, event: Input.Changed) -> None:
        _, self.head, names = path_completion(event.value)
        box = self.query_one("#bench-candidates", OptionList)
        box.clear_options()
        box.add_options(Option(plain(n), id=n) for n in names[:MAX_CANDIDATES])
        if len(names) > MAX_CANDIDATES:
            box.add_option(Option(Text(f"… {len(names) - MAX_CANDIDATES} more"), disabled=True))
        box.highlighted = 0 if names else None
        box.display = len(names) > 1 or (len(names) == 1 and self.head + names[0] != event.value)
        self._refuse("")

    @on(Input.Changed, "#bench-hardware Input")
    def _hardware_changed(self, event: Input.Changed) -> None:
        """A refused hardware field, edited: no longer marked (the reason goes with it)."""
        if event.input.has_class("-refused"):
            event.input.remove_class("-refused")
            self.query_one("#bench-reason", Static).update("")

    @on(OptionList.OptionSelected, "#bench-candidates")
    def _candidate(self, event: OptionList.OptionSelected) -> None:
        box = self.query_one("#bench-path", Input)
        box.value = self.head + (event.option.id or "")
        box.cursor_position = len(box.value)
        box.focus()
        if not box.value.endswith("/"):
            self._load(box.value)

    def action_complete(self) -> None:
        """Tab in the path: the completion, if it adds anything; else the next field."""
        box = self.query_one("#bench-path", Input)
        if self.focused is box:
            done = path_completion(box.value)[0]
            if done != box.value:
                box.value = done
                box.cursor_position = len(done)
                return
        self.focus_next()

    @on(OptionList.OptionSelected, "#bench-recent")
    def _recent(self, event: OptionList.OptionSelected) -> None:
        self._load(self.recent[int(event.option.id or 0)])

    def action_unload(self) -> None:
        if self.loaded:
            self.dismiss(("unload", self.form()))
        else:
            self._refuse("no measured results are loaded")

    def action_cancel(self) -> None:
        self.dismiss(None)
