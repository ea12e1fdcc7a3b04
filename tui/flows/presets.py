"""Presets in the app: save the scenario (asking before replacing one; a refused name keeps the
dialog open with it and the reason), load one with a preview, delete or rename (confirmed); the
title names the preset and marks unsaved changes, which quitting asks about."""

from __future__ import annotations

from dataclasses import replace

from textual import work

from engine.errors import InputError
from engine.physics.deployment import Efficiency
from engine.scenario.scenario import Scenario
from engine.storage.catalog import Catalog
from engine.storage.names import check_name
from engine.storage.preset_format import CHARTS
from engine.storage.presets import (
    Preset,
    builtin_names,
    delete_preset,
    list_presets,
    load_preset,
    rename_preset,
    save_preset,
)
from tui.screens.base import ScenarioScreen
from tui.state import Draft


def check_user_name(text: str) -> str:
    """A name a user preset may take: a safe file name, not a built-in preset's."""
    name = check_name(text)
    if name in builtin_names():
        raise InputError(
            f"{name!r} is a built-in preset and cannot be replaced; choose another name"
        )
    return name


class PresetFlow(ScenarioScreen):
    def __init__(
        self,
        catalog: Catalog,
        draft: Draft,
        default_profile: Efficiency,
        chart: str = "throughput",
        preset: Preset | None = None,
    ) -> None:
        super().__init__(catalog, draft, default_profile, chart, preset)
        #: the scenario that quitting loses nothing of when no preset is shown: the one the app
        #: opened with (None once the preset shown is deleted: it is nowhere else then)
        self.clean: Scenario | None = self.dashboard.scenario

    def current_preset(self, name: str) -> Preset:
        chart = self.chart if self.chart in CHARTS else "throughput"
        description = self.preset.description if self.preset and self.preset.name == name else ""
        return Preset(
            name=name, scenario=self.dashboard.scenario, chart=chart, description=description
        )

    def modified(self) -> bool:
        if self.preset is None:
            return True
        chart = self.chart if self.chart in CHARTS else self.preset.chart
        return self.preset.scenario != self.dashboard.scenario or self.preset.chart != chart

    def unsaved(self) -> str | None:
        """What quitting now would lose, in words (None: nothing)."""
        if self.preset is not None:
            return f"preset {self.preset.name!r} has unsaved changes" if self.modified() else None
        if self.dashboard.scenario != self.clean:
            return "the scenario is not saved"
        return None

    def update_title(self) -> None:
        if self.preset is None:
            self.app.sub_title = "unsaved scenario (Ctrl+S saves it)"
        else:
            mark = " *" if self.modified() else ""
            kind = " (built-in)" if self.preset.builtin else ""
            self.app.sub_title = f"{self.preset.name}{kind}{mark}"

    def load(self, preset: Preset) -> None:
        """Show ``preset``: its scenario (a custom model or GPU joins the catalog) and chart."""
        s = preset.scenario
        for entry, known in ((s.model, self.catalog.models), (s.gpu, self.catalog.gpus)):
            if known.get(entry.id) != entry:
                if entry is s.model:
                    self.catalog.add_model(s.model)
                else:
                    self.catalog.add_gpu(s.gpu)
                self.notify(f"{entry.id}: the preset's own definition is used", timeout=4)
        for pane in self.side_panes():  # the model and GPU lists
            pane.refresh_catalog()
        self.preset = preset
        self.selected_load = None
        draft = Draft.start(preset.input, s, self.draft.realistic)
        applied = self.apply(draft)
        self.sync_fields(draft)
        if applied:
            self.show_tab(preset.chart)
            self.notify(f"loaded preset {preset.name!r}", timeout=3)

    @work(exclusive=True, group="preset")
    async def action_save_preset(self) -> None:
        """Ask for a name until one is saved or the dialog is cancelled: a refused name (a
        built-in's, a file that cannot be written) opens it again with the name and why."""
        from tui.dialogs import (
            ConfirmDialog,
            NameDialog,
        )  # imported when first opened: a faster start

        name = "" if self.preset is None or self.preset.builtin else self.preset.name
        reason = ""
        while True:
            answer = await self.app.push_screen_wait(
                NameDialog(
                    "Save the scenario as a preset",
                    name,
                    check_user_name,
                    hint="a-z, 0-9, '.', '_', '-'; saved in your config folder",
                    reason=reason,
                )
            )
            if not answer:
                return
            name = answer
            overwrite = False
            if any(p.name == name for p in list_presets(self.catalog)[0] if not p.builtin):
                overwrite = await self.app.push_screen_wait(
                    ConfirmDialog(f"A preset named {name!r} exists. Replace it?", yes="Replace")
                )
                if not overwrite:
                    return
            try:
                self.preset = save_preset(self.current_preset(name), overwrite=overwrite)
            except InputError as exc:
                reason = str(exc)
                continue
            break
        self.update_title()
        self.notify(f"saved preset {name!r} to {self.preset.path}", timeout=4, markup=False)

    @work(exclusive=True, group="preset")
    async def action_load_preset(self) -> None:
        from tui.dialogs import PresetPicker  # imported when first opened: a faster start

        while True:
            presets, problems = list_presets(self.catalog)
            current = self.preset.name if self.preset else None
            choice = await self.app.push_screen_wait(PresetPicker(presets, problems, current))
            if choice is None:
                return
            what, name = choice
            try:
                if what == "load":
                    self.load(load_preset(name, self.catalog))
                    return
                if what == "delete":
                    await self.delete(name)
                elif what == "rename":
                    await self.rename(name)
            except InputError as exc:
                self.notify(str(exc), title="Preset", severity="error", timeout=8, markup=False)
                return

    async def delete(self, name: str) -> None:
        from tui.dialogs import ConfirmDialog  # imported when first opened: a faster start

        question = f"Delete preset {name!r}? This cannot be undone."
        if await self.app.push_screen_wait(ConfirmDialog(question, yes="Delete")):
            delete_preset(name)
            self.notify(f"deleted preset {name!r}", timeout=3)
            if self.preset and self.preset.name == name:
                self.preset = self.clean = None  # the scenario on screen is saved nowhere now
                self.update_title()

    async def rename(self, name: str) -> None:
        """Ask for the new name until the preset is renamed or the dialog is cancelled."""
        from tui.dialogs import NameDialog  # imported when first opened: a faster start

        new, reason = name, ""
        while True:
            answer = await self.app.push_screen_wait(
                NameDialog(f"Rename preset {name!r} to", new, check_user_name, reason=reason)
            )
            if not answer or answer == name:
                return
            new = answer
            try:
                rename_preset(name, new)
            except InputError as exc:
                reason = str(exc)
                continue
            break
        self.notify(f"renamed {name!r} to {new!r}", timeout=3)
        if self.preset and self.preset.name == name:
            self.preset = replace(self.preset, name=new)
            self.update_title()
