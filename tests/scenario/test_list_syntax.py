"""The one syntax of a list of whole numbers (batch sizes, concurrencies, request counts, plan's
GPU counts), read by the command line and the app's fields alike (:mod:`engine.scenario.workload`),
and the shortest text of an axis, which the app's fields show and read back."""

from __future__ import annotations

import pytest

from engine.errors import InputError
from engine.scenario.axes import (
    MAX_POINTS,
    doubling,
    format_batch_sizes,
    parse_batch_sizes,
    parse_counts,
    parse_whole_list,
)
from engine.scenario.workload import DEFAULT_BATCHES, DEFAULT_CONCURRENCY


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("16", (16,)),
        (" 16 ", (16,)),
        ("1,8,64", (1, 8, 64)),
        ("8, 1,2,2", (1, 2, 8)),
        ("1..512", (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)),
        ("1 .. 8", (1, 2, 4, 8)),
        ("8..100", (8, 16, 32, 64, 100)),
        ("3..3", (3,)),
        ("1-5", (1, 2, 3, 4, 5)),
        ("1-3,16..64,1000", (1, 2, 3, 16, 32, 64, 1000)),
        ("max:8", (1, 2, 4, 8)),  # the old explicit maximum still reads
    ],
)
def test_the_forms(text: str, values: tuple[int, ...]) -> None:
    assert parse_batch_sizes(text) == values
    assert parse_batch_sizes(text, "concurrency", key="concurrency") == values


def test_doubling_keeps_both_ends() -> None:
    assert doubling(1, 1) == (1,)
    assert doubling(3, 13) == (3, 6, 12, 13)
    assert doubling(3, 12) == (3, 6, 12)
    assert doubling(1, 1_000_000)[-2:] == (524_288, 1_000_000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "give batch sizes"),
        ("0", "batch sizes must be from 1 to 1,000,000, got 0"),
        ("1,0", "got 0 (in '1,0')"),
        ("5..1", "runs backwards"),
        ("1..1e9", "'1e9' is not a whole number"),
        ("1-100000", "at most 4,096 batch sizes, got 100,000"),
        ("1-4000,5000-6000", "at most 4,096 batch sizes, and '1-4000,5000-6000' gives more"),
        ("abc", "'abc' is not a whole number"),
        ("1,,2", "an empty item between commas"),
        ("1,", "an empty item between commas"),
        ("1-", "a range needs both ends"),
        ("1-10000000000000000000", "got 10,000,000,000,000,000,000"),  # checked, not spelled out
    ],
)
def test_refusals_say_what_is_wrong_and_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        parse_batch_sizes(text)
    assert message in str(err.value)
    assert err.value.field == "batch_sizes"


def test_a_limit_per_use() -> None:
    assert parse_whole_list("1..8", "--gpus", "gpus", 4096, "GPU counts", most=64) == (1, 2, 4, 8)
    with pytest.raises(InputError, match="at most 64 GPU counts"):
        parse_whole_list("1-65", "--gpus", "gpus", 4096, "GPU counts", most=64)
    assert parse_counts("1000..4000", "--num-requests", "num_requests") == (1000, 2000, 4000)
    assert len(parse_batch_sizes(f"1-{MAX_POINTS}")) == MAX_POINTS


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (DEFAULT_BATCHES, "1..512"),
        (DEFAULT_CONCURRENCY, "1..256"),
        ((16,), "16"),
        ((1, 2), "1,2"),  # a tie: the list
        ((1, 2, 3), "1-3"),
        (tuple(range(1, 65)), "1-64"),
        ((8, 16, 32, 64, 100), "8..100"),
        ((1, 3, 7), "1,3,7"),
    ],
)
def test_the_shortest_text_reads_back(values: tuple[int, ...], text: str) -> None:
    assert format_batch_sizes(values) == text
    assert parse_batch_sizes(text) == values
