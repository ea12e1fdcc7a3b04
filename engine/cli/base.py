"""What every command shares: the program name, the argument parser that fails on one line, and
the parsers of numbers that say what they expected."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

from engine.physics.specs import canonical_dtype

PROG = "tokentui"


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see '{self.prog} --help')")

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> object:
        """``--flag=--`` reaches an option as an empty list, past its type (argparse drops the
        '--' and then has no value): refuse it as a missing value."""
        if action.option_strings and action.nargs is None and arg_strings in (["--"], []):
            self.error(f"argument {'/'.join(action.option_strings)}: expected one value")
        return super()._get_values(action, arg_strings)


def fail(message: str) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def warn(errors: list[str]) -> None:
    """Files that could not be read, said on stderr while the good ones are used."""
    for err in errors:
        print(f"{PROG}: warning: skipped {err}", file=sys.stderr)


def number(what: str, integer: bool = False) -> Callable[[str], float]:
    """An argparse type: a number (a whole one with ``integer``), else a one-line error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            noun = "a whole number" if integer else "a number"
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: give {noun}") from None
        if integer:
            if not value.is_integer():
                raise argparse.ArgumentTypeError(
                    f"invalid {what} {text!r}: give a whole number"
                ) from None
            return int(value)
        return value

    parse.__name__ = what  # argparse names the type in its messages
    return parse


_ON, _OFF = ("on", "true", "yes", "1"), ("off", "false", "no", "0")


def precision(accepted: tuple[str, ...], what: str) -> Callable[[str], str]:
    """An argparse type: a precision as the engine names it ('F16' and 'f16' are fp16, 'Q4_K_M'
    is q4_k_m), one of ``accepted``, else a one-line error listing them."""

    def parse(text: str) -> str:
        name = canonical_dtype(text)
        if name not in accepted:
            raise argparse.ArgumentTypeError(
                f"invalid {what} {text!r} (accepted: {', '.join(accepted)})"
            )
        return name

    parse.__name__ = what
    return parse


def switch(what: str) -> Callable[[str], bool]:
    """An argparse type: on or off (true/false, yes/no, 1/0), else a one-line error."""

    def parse(text: str) -> bool:
        word = text.strip().lower()
        if word in _ON or word in _OFF:
            return word in _ON
        raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: give on or off")

    parse.__name__ = what
    return parse


def layout_arguments(p: argparse.ArgumentParser, pp_help: str, ep_help: str) -> None:
    """``--tp``, ``--pp`` and ``--ep``: the parallel layout (whole numbers; the resolver checks
    them against the GPUs and the model)."""
    p.add_argument(
        "--tp",
        type=number("--tp", integer=True),
        default=None,
        help="tensor-parallel degree (default: GPUs / PP)",
    )
    p.add_argument("--pp", type=number("--pp", integer=True), default=None, help=pp_help)
    p.add_argument("--ep", type=number("--ep", integer=True), default=None, help=ep_help)
