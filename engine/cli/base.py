"""What every command shares: the program name, the argument parser that fails on one line (and
says "did you mean" for a mistyped command, choice or flag), and the parsers of numbers that say
what they expected."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from engine.errors import terminal_safe
from engine.physics.specs import canonical_dtype

PROG = "tokentui"


def close_match(word: str, accepted: Sequence[str]) -> str | None:
    """The accepted word ``word`` most likely meant to be (a typo of it), if one is close."""
    found = difflib.get_close_matches(word, accepted, n=1, cutoff=0.7)
    return found[0] if found else None


def _did_you_mean(word: str, accepted: Sequence[str]) -> str:
    guess = close_match(word, accepted)
    return f"; did you mean {guess!r}?" if guess else ""


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line and exit code 2 (no usage dump), and a mistyped
    choice (a command, ``--mode realistc``) is answered with the one it was most likely meant
    to be."""

    def error(self, message: str) -> NoReturn:
        fail(f"{_unrepeated(message)} (see '{self.prog} --help')")

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if action.choices is None or value in action.choices:
            return
        accepted = [str(c) for c in action.choices]
        if isinstance(action, argparse._SubParsersAction):
            self.error(f"unknown command {value!r}{_did_you_mean(str(value), accepted)}")
        name = "/".join(action.option_strings) or str(action.metavar or action.dest)
        self.error(
            f"argument {name}: invalid choice: {value!r}{_did_you_mean(str(value), accepted)} "
            f"(accepted: {', '.join(accepted)})"
        )

    def _get_values(self, action: argparse.Action, arg_strings: list[str]) -> object:
        """``--flag=--`` reaches an option as an empty list, past its type (argparse drops the
        '--' and then has no value): refuse it as a missing value."""
        if action.option_strings and action.nargs is None and arg_strings in (["--"], []):
            self.error(f"argument {'/'.join(action.option_strings)}: expected one value")
        return super()._get_values(action, arg_strings)

    def parse_strictly(
        self, args: Sequence[str] | None, commands: Sequence[str] = ()
    ) -> argparse.Namespace:
        """:meth:`parse_args`, but a word left over is refused by the (sub)command it was given
        to, with the flag or command it was most likely meant to be: ``commands`` are the
        command names, for a word where none was expected (``tokentui estimte``)."""
        namespace, extras = self.parse_known_args(args)
        if extras:
            _leftover(self, namespace, extras, commands)
        return namespace


def _command_parser(
    parser: argparse.ArgumentParser, ns: argparse.Namespace
) -> argparse.ArgumentParser:
    """The (sub)parser that read the command line's last words: the command's, the subcommand's."""
    while True:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        chosen = getattr(ns, sub.dest, None) if sub is not None and sub.dest else None
        if sub is None or chosen not in sub.choices:
            return parser
        parser = sub.choices[chosen]


def _leftover(
    top: ArgumentParser, ns: argparse.Namespace, extras: list[str], commands: Sequence[str]
) -> NoReturn:
    parser = _command_parser(top, ns)
    word = extras[0]
    if word.startswith("-") and len(word) > 1:
        flag = word.split("=", 1)[0]
        flags = [
            o
            for o, a in parser._option_string_actions.items()
            if a.help != argparse.SUPPRESS and o.startswith("--")
        ]
        parser.error(f"unrecognized option {flag!r}{_did_you_mean(flag, flags)}")
    if parser is top and commands:
        hint = _did_you_mean(word, commands) or (
            f" (accepted: {', '.join(commands)}; with no command, {top.prog} opens the app)"
        )
        parser.error(f"unknown command {word!r}{hint}")
    parser.error(
        f"unexpected argument {word!r}"
        + (f" (and {len(extras) - 1} more)" if len(extras) > 1 else "")
    )


def _unrepeated(message: str) -> str:
    """argparse's "argument --batch: --batch must be ..." without the repeated flag."""
    found = re.match(r"argument ([^:]+): (.*)", message)
    if found and any(found[2].startswith(f) for f in found[1].split("/")):
        return found[2]
    return message


def say(text: object = "", *, file: TextIO | None = None) -> None:
    """``print``, but terminal-safe: every line of ``text`` goes through
    :func:`~engine.errors.terminal_safe`, so that what a file put in it (a name, a description,
    a path with ESC or BEL in it) is shown as escapes, never obeyed by the terminal. Everything a
    command prints goes through here (or :func:`fail` and :func:`warn`, which use it)."""
    lines = str(text).split("\n")
    print("\n".join(terminal_safe(line) for line in lines), file=file or sys.stdout)


def fail(message: str) -> NoReturn:
    """The one line of an error, on stderr (terminal-safe, on one line), and exit code 2."""
    say(f"{PROG}: error: {terminal_safe(message)}", file=sys.stderr)
    raise SystemExit(2)


def warn(errors: list[str]) -> None:
    """Files that could not be read, said on stderr (one line each) while the good ones are
    used."""
    for err in errors:
        say(f"{PROG}: warning: skipped {terminal_safe(err)}", file=sys.stderr)


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
