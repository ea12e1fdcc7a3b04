"""Workload pane: tokens, the load (its kind and the axis that kind has: batch sizes, users,
rates, request counts), the engine, cost ratio, mode and the realistic factors (one field per row
of the factor table, :data:`engine.scenario.factors.FACTORS`).

Each axis field reads its text with the parser the command line uses for that option, and the
request count is checked by the kind itself, so the app refuses what ``--concurrency``, ``--rate``
and ``--num-requests`` refuse, with the same message, under the field."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Static

from engine.errors import InputError
from engine.physics.deployment import MAX_TOKENS, Efficiency
from engine.scenario.axes import LIST_ACCEPTED, parse_batch_sizes, parse_counts, parse_rates
from engine.scenario.engines import DEFAULT_ENGINE
from engine.scenario.factors import FACTORS, Knob
from engine.scenario.resolve import MAX_GAMMA
from engine.scenario.scenario import Scenario
from engine.scenario.workload import WORKLOADS
from engine.storage.catalog import Catalog
from engine.storage.profiles import saved_profiles
from engine.views.dashboard import Dashboard
from tui.panes.jumps import key_of
from tui.state import APP_TERMS, Draft, field_text
from tui.widgets import Choice, Field, SidePane, number

#: The load kinds, as the selector shows them.
LOADS = (
    ("static", "static batch"),
    ("concurrency", "concurrency"),
    ("rate", "rate (Poisson)"),
    ("offline", "offline"),
)


def _factor_parser(knob: Knob) -> Callable[[str], float]:
    """The field's text (in the shown unit) checked against the table's range."""
    parse = number(float, 0.0, knob.high, knob.label)

    def inner(text: str) -> float:
        value = float(parse(text))
        knob.check(knob.to_si(value), knob.label)
        return value

    return inner


def _concurrency(text: str) -> tuple[int, ...]:
    return parse_batch_sizes(text, APP_TERMS("concurrency"), key="concurrency")


def _rates(text: str) -> tuple[float, ...]:
    return parse_rates(text, APP_TERMS("rates"))


class WorkloadPane(SidePane):
    def __init__(
        self, catalog: Catalog, draft: Draft, scenario: Scenario, defaults: Efficiency
    ) -> None:
        """``defaults``: the built-in profile's factors, shown beside the fields."""
        super().__init__(id="workload-pane", classes="pane")
        self.border_title = "Workload"
        self.catalog = catalog
        self.draft = draft
        self.scenario = scenario
        self.defaults = defaults

    def _requests(self, text: str) -> tuple[int, ...]:
        """Request counts, as ``--num-requests`` reads them, checked by the current kind (a
        rate takes one: the run's length; offline a list: its axis)."""
        counts = parse_counts(text, APP_TERMS("num_requests"), "num_requests")
        kind = WORKLOADS.get(self.draft.kind)
        if kind is not None and "num_requests" in kind.OWN:
            kind.from_input({"num_requests": counts}, APP_TERMS)
        return counts

    def engines(self) -> list[tuple[str, str]]:
        names = sorted(self.catalog.engines, key=lambda n: (n != DEFAULT_ENGINE, n))
        return [(n, n) for n in names]

    def axis_fields(self) -> list[Field]:
        """The fields of every kind's axis (those of the draft's kind are shown)."""
        d, s = self.draft, self.scenario
        return [
            Field(
                "batch_sizes",
                "batches",
                field_text(d, s, "batch_sizes"),
                parse_batch_sizes,
                tooltip=f"static batch sizes: {LIST_ACCEPTED}",
                key=key_of("load"),
            ),
            Field(
                "concurrency",
                "concurrency",
                field_text(d, s, "concurrency"),
                _concurrency,
                tooltip="concurrent users, each sending its next request when its last ends: "
                f"{LIST_ACCEPTED}",
                key=key_of("load"),
            ),
            Field(
                "rates",
                "rates /s",
                field_text(d, s, "rates"),
                _rates,
                tooltip="Poisson arrivals, requests per second: a list 0.5,2,8,inf "
                "(inf: all at once)",
                key=key_of("load"),
            ),
            Field(
                "num_requests",
                "requests",
                field_text(d, s, "num_requests"),
                self._requests,
                tooltip="requests in the run: one for a rate (above capacity the queue grows "
                "through it); one or a list 100,1000 for offline",
                key=key_of("load"),
            ),
        ]

    def compose(self) -> ComposeResult:
        d, s = self.draft, self.scenario
        yield Field(
            "input_tokens",
            "input tok",
            field_text(d, s, "input_tokens"),
            number(int, 1, MAX_TOKENS, "input tokens"),
            key=key_of("input"),
        )
        yield Field(
            "output_tokens",
            "output tok",
            field_text(d, s, "output_tokens"),
            number(int, 1, MAX_TOKENS, "output tokens"),
            key=key_of("output"),
        )
        yield Choice(
            "load",
            "load",
            LOADS,
            d.kind,
            id="load",
            tooltip="static: B requests at once, decoded in lock-step (the article's); "
            "concurrency: C users in a closed loop; rate: Poisson arrivals; offline: N requests "
            "queued at once (maximum throughput)",
        )
        own = WORKLOADS[d.kind].OWN if d.kind in WORKLOADS else ()
        for axis in self.axis_fields():
            axis.display = axis.field_name in own
            yield axis
        engine = s.engine_name
        yield Choice(
            "engine",
            "engine",
            self.engines(),
            engine,
            id="engine",
            tooltip=self._engine_tip(engine),
            key=key_of("engine"),
        )
        yield Field(
            "gamma",
            "gamma",
            field_text(d, s, "gamma"),
            number(float, 0, MAX_GAMMA, "gamma"),
            tooltip="input/output token price ratio (the article uses 0.3)",
        )
        yield Choice(
            "mode",
            "mode",
            [("realistic", "realistic"), ("ideal", "ideal (roofline)")],
            d.mode,
            id="mode",
            tooltip="realistic: the fitted factors below; ideal: 100% of peak, no overheads",
        )
        yield Static("realistic factors", classes="subtitle")
        profiles = [("default", "default (fitted)"), *((p, p) for p in self.saved())]
        profiles.append(("custom", "custom factors"))  # given one by one, or edited below
        if d.profile not in dict(profiles):  # a file given by its path
            profiles.append((d.profile, d.profile))
        yield Choice(
            "profile",
            "profile",
            profiles,
            d.profile,
            id="profile",
            tooltip="a calibration profile: the built-in fit, or one saved by 'tokentui calibrate'",
            key=key_of("factors"),
        )
        defaults = self.defaults
        for knob in FACTORS:
            default = knob.shown(getattr(defaults, knob.field))
            yield Field(
                knob.key,
                knob.label,
                field_text(d, s, knob.key),
                _factor_parser(knob),
                tooltip=f"{knob.help}; default {default:.4g} ({knob.unit})",
            )
        shown = " · ".join(f"{k.label} {k.shown(getattr(defaults, k.field)):.3g}" for k in FACTORS)
        yield Static(f"defaults, fitted to vLLM runs: {shown}", classes="defaults")

    def saved(self) -> list[str]:
        """The saved profiles' names; none, said in one notification, when their folder cannot
        be listed (the built-in ones are still offered)."""
        try:
            return saved_profiles()
        except InputError as exc:
            self.notify(
                f"{exc}: only the built-in profiles are offered",
                title="Profiles",
                severity="warning",
                timeout=8,
                markup=False,
            )
            return []

    def _engine_tip(self, name: str) -> str:
        title = self.catalog.engines[name].title if name in self.catalog.engines else name
        return f"{title}: its scheduler settings and fitted factors ('tokentui engines')"

    def show(self, draft: Draft, d: Dashboard) -> None:
        """Reflect a draft that changed elsewhere (mode key, preset, an edited factor): the
        choices, and the axis fields of the draft's load kind (the others hidden)."""
        self.draft = draft
        self.query_one("#mode", Choice).show(draft.mode)
        self.query_one("#profile", Choice).show(draft.profile)
        self.query_one("#load", Choice).show(draft.kind)
        engine = self.query_one("#engine", Choice)
        name = draft.input.engine or DEFAULT_ENGINE
        if name != engine.value:
            engine.show(name)
            engine.tooltip = self._engine_tip(name)
        kind = WORKLOADS.get(draft.kind)
        for axis in ("batch_sizes", "concurrency", "rates", "num_requests"):
            field = self.query_one(f"#field-{axis}", Field)
            shown = kind is not None and axis in kind.OWN
            if field.display != shown:
                field.display = shown
        ideal = draft.mode == "ideal"
        for knob in FACTORS:
            field = self.query_one(f"#field-{knob.key}", Field)
            if field.disabled != ideal:
                field.disabled = ideal
