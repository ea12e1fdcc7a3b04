"""Side by side in the app: pin the scenario on screen (or a preset) as A, then change the scenario
(B): the charts with lines over the load axis draw A's dotted beside B's solid, and the summary
gains a line of A's headline numbers with the ratio B / A of each, coloured by the side it
favours. A is evaluated on B's load axis (:func:`engine.views.side_by_side.on_loads_of`), once
per change of that axis or of the selected point, not at every keystroke."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from engine.errors import InputError
from engine.scenario.scenario import Scenario
from engine.storage.presets import list_presets, load_preset
from engine.views.dashboard import Dashboard, build
from tui.charts.base import Pinned
from tui.screens.base import ScenarioScreen

if TYPE_CHECKING:
    from engine.views.side_by_side import SideBySide

#: The longest name of A the legends show.
LABEL_WIDTH = 30


def short_label(s: Scenario) -> str:
    """A's name when it is not a preset's: the model and the GPUs."""
    gpus = f"{s.gpus}x {s.gpu.id}" if s.gpus > 1 else s.gpu.id
    return f"{s.model.id}, {gpus}"


class PinFlow(ScenarioScreen):
    pinned: Scenario | None = None
    pinned_label = ""
    _pinned_built: tuple[Scenario, float, Dashboard] | None = None

    def action_pin(self) -> None:
        """Pin the scenario on screen as A; with one pinned, unpin it."""
        if self.pinned is not None:
            self.unpin()
            return
        name = (
            self.preset.name
            if self.preset and self.preset.scenario == self.dashboard.scenario
            else None
        )
        self.pin(self.dashboard.scenario, name or short_label(self.dashboard.scenario))

    @work(exclusive=True, group="pin")
    async def action_pin_preset(self) -> None:
        """Pin a preset as A (the scenario on screen stays B)."""
        from tui.dialogs import PresetPicker  # imported when first opened: a faster start

        presets, problems = list_presets(self.catalog)
        picker = PresetPicker(presets, problems, None, title="Pin a preset as A", manage=False)
        choice = await self.app.push_screen_wait(picker)
        if choice is None:
            return
        try:
            preset = load_preset(choice[1], self.catalog)
        except InputError as exc:
            self.notify(str(exc), title="Pin", severity="error", timeout=8, markup=False)
            return
        self.pin(preset.scenario, preset.name)

    def pin(self, s: Scenario, label: str) -> None:
        self.pinned, self.pinned_label = s, label[:LABEL_WIDTH]
        self._pinned_built = None
        self.notify(
            f"Pinned A: {label}. Change the scenario to compare (dotted lines, the summary's "
            "last line); p unpins.",
            title="Side by side",
            timeout=6,
            markup=False,
        )
        self.push_down()

    def unpin(self) -> None:
        self.pinned, self._pinned_built = None, None
        self.notify("Unpinned A.", title="Side by side", timeout=3)
        self.push_down()

    def pinned_dashboard(self) -> Dashboard | None:
        """A on the scenario's load axis, at its selected point (built again only when the axis
        or the point changed)."""
        if self.pinned is None:
            return None
        from engine.views.side_by_side import on_loads_of  # with the first pin: a faster start

        d = self.dashboard
        a_s = on_loads_of(self.pinned, d.scenario)
        if self._pinned_built is not None and self._pinned_built[:2] == (a_s, d.load):
            return self._pinned_built[2]
        try:
            a = build(a_s, a_s, d.load)
        except InputError as exc:  # a pinned preset that no longer resolves on this load
            self.pinned = None
            self.notify(f"Unpinned A: {exc}", title="Side by side", severity="error", markup=False)
            return None
        self._pinned_built = (a_s, d.load, a)
        return a

    def pinned_view(self) -> Pinned | None:
        a = self.pinned_dashboard()
        return None if a is None else Pinned(a, self.pinned_label)

    def side_by_side(self) -> SideBySide | None:
        a = self.pinned_dashboard()
        d = self.dashboard
        if a is None or a.fit_error or d.fit_error:
            return None
        from engine.views.side_by_side import compare_runs

        return compare_runs(a.scenario, a.run, d.scenario, d.run, d.selected)
