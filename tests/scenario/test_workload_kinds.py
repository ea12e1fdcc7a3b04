"""A workload kind is one class (and its point table): the resolver, the JSON contract, the text
table, the app's view model, its charts and summary take the load axis from it.

The kind here is made up for the test — "users", a static batch counted by its users — and is
registered only for the test's duration; nothing else in the engine or the app is edited for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import pytest

from engine.physics import static_batch
from engine.physics.deployment import Deployment
from engine.physics.static_batch import StaticBatchRun
from engine.scenario import WORKLOADS, ScenarioInput, resolve
from engine.scenario.axes import check_batch_sizes
from engine.scenario.workload import Terms, check_tokens
from engine.storage.catalog import default_catalog
from engine.storage.profiles import default_efficiency
from engine.views import report
from engine.views.dashboard import build
from tui.charts import CHART_CLASSES
from tui.panes.summary import summary_text


@dataclass(frozen=True)
class UsersRun(StaticBatchRun):
    LOAD: ClassVar[str] = "users-kind"
    AXIS: ClassVar[str] = "users"


@dataclass(frozen=True)
class Users:
    KIND: ClassVar[str] = "users-kind"
    AXIS: ClassVar[str] = "users"
    OWN: ClassVar[tuple[str, ...]] = ("batch_sizes",)  # the axis field it reads

    input_tokens: int
    output_tokens: int
    users: tuple[int, ...]

    @property
    def context_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def values(self) -> tuple[float, ...]:
        return tuple(float(u) for u in self.users)

    def run(self, d: Deployment) -> UsersRun:
        r = static_batch.run(d, np.array(self.users, float), self.input_tokens, self.output_tokens)
        return UsersRun(**{f.name: getattr(r, f.name) for f in fields(r)})

    def as_dict(self) -> dict[str, Any]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens}

    @classmethod
    def from_input(cls, given: Mapping[str, Any], terms: Terms) -> Users:
        return cls(
            check_tokens(given["input_tokens"] or 1000, "input_tokens", terms("input_tokens")),
            check_tokens(given["output_tokens"] or 100, "output_tokens", terms("output_tokens")),
            check_batch_sizes(list(given["batch_sizes"] or (1, 8, 64)), terms("batch_sizes")),
        )


@pytest.fixture
def users_kind(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(WORKLOADS, Users.KIND, Users)  # type: ignore[arg-type]
    table = (("users", "batch", int), *report.POINTS["static"][1:])
    monkeypatch.setitem(report.POINTS, Users.KIND, table)
    yield


def test_a_new_kind_flows_through_every_consumer(users_kind: None) -> None:
    cat, profile = default_catalog(), default_efficiency()
    s = resolve(ScenarioInput(load="users-kind", batch_sizes=(1, 8, 64)), cat, profile)
    r = s.run()
    assert isinstance(s.workload, Users) and r.AXIS == "users"

    data = report.estimate_dict(s, r)  # the JSON contract
    assert (data["load"], data["axis"], data["scenario"]["load"]) == (
        "users-kind",
        "users",
        "users-kind",
    )
    assert [p["users"] for p in data["points"]] == [1, 8, 64]
    assert report.estimate_table(s, r).splitlines()[3].split()[0] == "users"

    other = resolve(
        ScenarioInput(load="users-kind", batch_sizes=(1, 8, 64), mode="ideal"), cat, profile
    )
    d = build(s, other, selected_load=8)  # the app's view model
    assert (d.axis, d.loads, d.load) == ("users", [1.0, 8.0, 64.0], 8.0)
    assert " users 8 " in summary_text(d).plain

    chart = CHART_CLASSES["throughput"]()  # a chart draws its x axis from the load
    chart.draw(d)
    assert "users (log scale)" in chart.plt.build()


def test_an_unknown_kind_is_refused_with_the_kinds_accepted() -> None:
    from engine.errors import InputError

    with pytest.raises(
        InputError,
        match=r"the load 'queue' is not a workload kind "
        r"\(accepted: static, concurrency, rate, offline\)",
    ):
        resolve(ScenarioInput(load="queue"), default_catalog(), default_efficiency())
