"""How a load axis is written and checked: lists of whole numbers (batch sizes, concurrencies,
request counts) in the forms :data:`LIST_FORMS` names, and request rates; the limits of each. The
command line, the preset files and the app's fields read them alike (:mod:`engine.scenario.workload`
builds its kinds on them)."""

from __future__ import annotations

import math

from engine.errors import InputError

MAX_BATCH = 1_000_000
MAX_POINTS = 4096  # points of a load axis (the engine is vectorised: 4,096 batches take ~7 ms)
MAX_RATE_POINTS = 1024  # rates (a Poisson point costs more: 1,024 take ~0.1 s)
MAX_CONCURRENCY = 1_000_000
MAX_RATE = 1e6  # requests/s
MAX_REQUESTS = 10_000_000


# ----------------------------------------------------------------------------- batch sizes

#: How a list of whole numbers is written (batch sizes, concurrencies, request counts, plan's GPU
#: counts; the command line and the app's fields read it the same): for help, and for errors.
LIST_FORMS = (
    "one number (16: that one), a list (1,8,64), a doubling range A..B (1..512: 1,2,4,...,512; "
    "8..100: 8,16,32,64,100) or every number A-B (1-64); the forms combine: 1-8,16..512"
)
LIST_ACCEPTED = "a number 16, a list 1,8,64, a doubling range 1..512 or every number 1-64"


def batch_ladder(top: int) -> tuple[int, ...]:
    """Powers of two below ``top``, then ``top``: ``1..top``."""
    return doubling(1, top)


def doubling(low: int, high: int) -> tuple[int, ...]:
    """``A..B``: ``low``, twice that, four times ... while below ``high``, then ``high``."""
    return (*(low << k for k in range((high // low).bit_length()) if low << k < high), high)


def parse_whole_list(
    text: str, term: str, key: str, high: int, what: str = "values", most: int = 0
) -> tuple[int, ...]:
    """Whole numbers from 1 to ``high`` written as :data:`LIST_FORMS` says, sorted, repeats
    dropped, at most ``most`` (:data:`MAX_POINTS` when 0); a range is checked before it is
    spelled out. Refused with an :class:`InputError` that says what is wrong (``term``: the
    option or field, ``what``: the numbers) and what is accepted."""
    shown, most = text.strip(), most or MAX_POINTS

    def refuse(why: str, syntax: bool = True) -> InputError:
        full = f"invalid {what} {shown!r}: {why} (accepted: {LIST_ACCEPTED})" if syntax else why
        return InputError(full, field=key)

    def whole(part: str) -> int:
        try:
            value = int(part)
        except ValueError:
            raise refuse(
                f"{part.strip()!r} is not a whole number"
                if part.strip()
                else "a range needs both ends"
            ) from None
        if not 1 <= value <= high:
            where = f" (in {shown!r})" if shown != part.strip() else ""
            raise refuse(f"{term} must be from 1 to {high:,}, got {value:,}{where}", False)
        return value

    values: set[int] = set()
    for item in (part.strip() for part in shown.split(",")):
        sep = ".." if ".." in item else "-" if "-" in item[1:] else ""
        if not item:
            raise refuse("an empty item between commas") if shown else refuse(f"give {what}")
        if not sep:
            values.add(whole(item))
            continue
        cut = item.index(sep, 1 if sep == "-" else 0)  # a "-" first: a negative number
        a, b = whole(item[:cut]), whole(item[cut + len(sep) :])
        if a > b:
            raise refuse(f"the range {item} runs backwards (the smaller end first: {b}{sep}{a})")
        if sep == "-" and b - a >= most:
            raise refuse(
                f"{term}: at most {most:,} {what}, got {b - a + 1:,} in {item!r} (doubling, "
                f"{a}..{b}, gives {len(doubling(a, b))})",
                False,
            )
        values.update(doubling(a, b) if sep == ".." else range(a, b + 1))
        if len(values) > most:
            raise refuse(f"{term}: at most {most:,} {what}, and {shown!r} gives more", False)
    return tuple(sorted(values))


def parse_batch_sizes(
    text: str, term: str = "batch sizes", key: str = "batch_sizes"
) -> tuple[int, ...]:
    """Batch sizes as :data:`LIST_FORMS` writes them: '16' is that one batch, '1,2,8' a list,
    '1..512' the powers of two to 512, '1-64' every size to 64 ('max:512', the old maximum, is
    still '1..512'). Refused with an :class:`InputError` that says what is accepted.
    Concurrencies read the same (``key="concurrency"``)."""
    text = text.strip()
    if text.startswith("max:"):
        text = "1.." + text.removeprefix("max:").strip()
    if key == "concurrency":
        return parse_whole_list(text, term, key, MAX_CONCURRENCY, "concurrencies")
    return parse_whole_list(text, term, key, MAX_BATCH, "batch sizes")


def check_batch_sizes(values: object, term: str, shown: str | None = None) -> tuple[int, ...]:
    """Sorted distinct batch sizes from 1 to :data:`MAX_BATCH`, at most :data:`MAX_POINTS`."""
    return check_counts(values, term, "batch_sizes", shown)


def check_counts(
    values: object, term: str, key: str, shown: str | None = None, high: int | None = None
) -> tuple[int, ...]:
    """Sorted distinct whole numbers from 1 to ``high``, at most :data:`MAX_POINTS`: batch sizes,
    concurrencies, request counts (``key`` names which)."""
    high = high or {"concurrency": MAX_CONCURRENCY, "num_requests": MAX_REQUESTS}.get(
        key, MAX_BATCH
    )
    what = {"concurrency": "concurrencies", "num_requests": "request counts"}.get(
        key, "batch sizes"
    )
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            f"{term} must be a non-empty list of whole numbers, e.g. 1,2,4,8, got {values!r}",
            field=key,
        )
    if not all(isinstance(b, int) and not isinstance(b, bool) for b in values):
        raise InputError(f"{term} must be whole numbers, e.g. 1,2,4,8, got {values!r}", field=key)
    bad = next((b for b in values if not 1 <= b <= high), None)
    if bad is not None:
        raise InputError(
            f"{term} must be from 1 to {high:,}, got {bad:,}"
            + (f" (in {shown!r})" if shown is not None and shown != str(bad) else ""),
            field=key,
        )
    out = tuple(sorted(set(values)))
    if len(out) > MAX_POINTS:
        raise InputError(f"{term}: at most {MAX_POINTS:,} {what}, got {len(out):,}", field=key)
    return out


def parse_counts(text: str, term: str, key: str) -> tuple[int, ...]:
    """'1000', '100,1000', '1000..16000' (doubling) or '100-200' (every count): request counts,
    as :data:`LIST_FORMS` writes them."""
    return parse_whole_list(text, term, key, MAX_REQUESTS, "request counts")


def parse_rates(text: str, term: str = "rates") -> tuple[float, ...]:
    """'2,4,8,inf': requests per second, each one a point ('inf': all at once)."""
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(
            f"invalid rates {text.strip()!r}: give requests per second like 0.5,2,8 or inf "
            f"(all at once)",
            field="rates",
        ) from None
    return check_rates(values, term, shown=text.strip())


def check_rates(values: object, term: str, shown: str | None = None) -> tuple[float, ...]:
    """Sorted distinct rates above 0 up to :data:`MAX_RATE` requests/s, or ``inf``."""
    if not isinstance(values, list | tuple) or not values:
        raise InputError(
            f"{term} must be a non-empty list of requests per second, e.g. 1,2,4,inf, got "
            f"{values!r}",
            field="rates",
        )
    if not all(isinstance(r, int | float) and not isinstance(r, bool) for r in values):
        raise InputError(
            f"{term} must be numbers of requests per second, e.g. 1,2,4,inf, got {values!r}",
            field="rates",
        )
    bad = next(
        (r for r in values if math.isnan(r) or not (0 < r <= MAX_RATE or r == math.inf)), None
    )
    if bad is not None:
        raise InputError(
            f"{term} must be above 0 and at most {MAX_RATE:g} requests/s, or inf (all at once), "
            f"got {bad:g}"
            + (f" (in {shown!r})" if shown is not None and shown != f"{bad:g}" else ""),
            field="rates",
        )
    out = tuple(sorted({float(r) for r in values}))
    if len(out) > MAX_RATE_POINTS:
        raise InputError(f"{term}: at most {MAX_RATE_POINTS:,} rates", field="rates")
    return out


def format_rates(rates: tuple[float, ...]) -> str:
    return ",".join(f"{r:g}" for r in rates)


def format_counts(values: tuple[int, ...]) -> str:
    return ",".join(map(str, values))


def format_batch_sizes(batches: tuple[int, ...]) -> str:
    """The shortest text :func:`parse_whole_list` reads back as ``batches`` (sorted, distinct):
    'A..B' for a doubling run, 'A-B' for every number, else the list (the list on a tie)."""
    low, high = batches[0], batches[-1]
    forms = [",".join(map(str, batches)), f"{low}..{high}", f"{low}-{high}"]
    runs = (True, doubling(low, high) == batches, high - low + 1 == len(batches))
    return min((f for f, ok in zip(forms, runs, strict=True) if ok), key=len)
