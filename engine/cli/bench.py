"""``tokentui bench URL``: measure a running server (closed loop at each concurrency, or Poisson
arrivals at each rate) and print, save or ``--json`` the levels' summaries.

Exit code 0 when the run finished; 2, with one line on stderr, for bad input or a server that
cannot be reached at all; 1 when the run stopped early because the server kept failing, and 130
after Ctrl+C — in both the measured part is printed and saved (``--save``). The API key comes
from ``TOKENTUI_API_KEY`` or ``OPENAI_API_KEY`` and is never written anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from engine.bench.hardware import detect_hardware
from engine.bench.prompts import read_prompts
from engine.bench.results import run_json, save_run
from engine.bench.runner import BenchRun, Progress, run_bench
from engine.bench.settings import BenchSettings, api_key_from_env, server_url, whole_numbers
from engine.cli.base import PROG, number, say, switch
from engine.cli.progress import StatusLine
from engine.errors import InputError
from engine.storage.catalog import default_catalog
from engine.views.bench_report import bench_text
from engine.views.format import count


def _ints(flag: str, low: int, high: int) -> Any:
    def parse(text: str) -> tuple[int, ...]:
        try:
            return whole_numbers(text, f"invalid {flag}", low, high, flag)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = flag
    return parse


def _rates(text: str) -> tuple[float, ...]:
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid --rate {part.strip()!r}: give requests/s separated by commas"
            ) from None
        if not 0 < value < 1e6:
            raise argparse.ArgumentTypeError(
                f"invalid --rate {part.strip()!r}: give a finite rate above 0 (for every "
                "request at once, use a closed loop: --concurrency N)"
            )
        out.append(value)
    return tuple(dict.fromkeys(out))


def _url(text: str) -> str:
    try:
        return server_url(text)
    except InputError as exc:
        raise argparse.ArgumentTypeError(f"invalid {exc}") from None


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def hardware_for(args: argparse.Namespace) -> dict[str, Any]:
    """What the results file says the server ran on: the flags', else NVML's when the server is
    on this machine, else unknown."""
    if args.gpu:
        gpu = default_catalog().gpu(args.gpu)
        return {
            "source": "user",
            "gpu_name": gpu.id,
            "gpu_count": args.gpus or 1,
        }
    if _loopback(args.url):
        return detect_hardware()
    return {"source": "none", "reason": "the server is not on this machine: give --gpu"}


class ProgressLine:
    """One line on a terminal, rewritten in place (:class:`~engine.cli.progress.StatusLine`); a
    line a level elsewhere (a log, a pipe)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.status = StatusLine(out, interval_s=0.0)
        self.tty = self.status.tty
        self.level = -1

    def __call__(self, p: Progress) -> None:
        total = f"/{p.total}" if p.total else ""
        eta = "" if p.eta_s is None else f"  ETA {int(p.eta_s // 60)}:{int(p.eta_s % 60):02d}"
        errors = f"  {count(p.errors, 'error')}" if p.errors else ""
        noun = "request" if p.done == 1 and not total else "requests"
        line = (
            f"[{p.level + 1}/{p.levels}] {p.label}: {p.done}{total} {noun}{errors}  "
            f"{p.tokens_per_s:,.0f} tok/s{eta}"
        )
        if self.tty:
            self.status.show(line)
        elif p.level != self.level:
            self.out.write(line + "\n")
            self.out.flush()
        self.level = p.level

    def close(self) -> None:
        self.status.clear()


async def _run(args: argparse.Namespace, settings: BenchSettings, key: str | None) -> BenchRun:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    presses = 0

    def interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            say(
                f"\n{PROG}: stopping (Ctrl+C again to quit at once); keeping what was measured",
                file=sys.stderr,
            )
            stop.set()
        else:
            raise KeyboardInterrupt

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    line = None if args.quiet else ProgressLine(sys.stderr)
    try:
        return await run_bench(
            settings, api_key=key, stop=stop, progress=line, hardware=hardware_for(args)
        )
    finally:
        if line is not None:
            line.close()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)


def settings_from(args: argparse.Namespace) -> BenchSettings:
    prompts = read_prompts(args.prompts) if args.prompts else ()
    api = {"openai": "chat" if args.endpoint == "chat" else "completions", "ollama": "ollama"}
    return BenchSettings(
        url=args.url,
        api=api[args.api],
        model=args.model,
        concurrency=args.concurrency,
        rates=args.rate or (),
        max_concurrency=args.max_concurrency,
        output_tokens=args.output_tokens,
        input_tokens=args.input_tokens,
        prompts=prompts,
        prompts_file=Path(args.prompts).name if args.prompts else None,
        requests_per_level=args.requests_per_level,
        duration_s=args.duration,
        warmup=args.warmup,
        repeats=args.repeats,
        timeout_s=args.timeout,
        fixed_length=args.fixed_length,
        seed=args.seed,
    )


def _check_save(save: str, force: bool) -> None:
    """Refuse a --save file that would be refused after the run: one that exists (without
    --force), or one in no folder (os.path never raises, whatever the name: too long, a NUL)."""
    if os.path.lexists(save) and not force:
        raise InputError(f"--save {save}: the file exists; give --force to replace it")
    folder = os.path.dirname(save) or "."
    if not os.path.isdir(folder):
        raise InputError(f"--save {save}: there is no folder {folder}")


def cmd_bench(args: argparse.Namespace) -> int:
    if args.save:
        _check_save(args.save, args.force)
    if args.gpus is not None and not args.gpu:
        raise InputError("--gpus needs --gpu (which GPU the server runs on)")
    settings = settings_from(args)
    key = api_key_from_env()
    try:
        run = asyncio.run(_run(args, settings, key))
    except KeyboardInterrupt:
        say(f"{PROG}: interrupted before the run could be kept", file=sys.stderr)
        return 130
    if args.save:
        try:
            save_run(run, Path(args.save))
        except InputError as exc:
            say(f"{PROG}: error: {exc}", file=sys.stderr)
            args.save = None
    if args.json:
        say(json.dumps(run_json(run)["summaries"], indent=1, allow_nan=False))
    else:
        say(bench_text(run_json(run)))
        if args.save:
            say(f"\nsaved {count(len(run.records), 'request')} to {args.save}")
            say(
                f"compare it: {PROG} compare {args.save} --model MODEL"
                + ("" if run.hardware and run.hardware.get("source") != "none" else " --gpu GPU")
            )
    if run.stopped is None:
        return 0
    where = f"; what was measured is in {args.save}" if args.save else ""
    if run.stopped == "stopped by the user":
        say(f"{PROG}: stopped by the user{where}", file=sys.stderr)
        return 130
    say(f"{PROG}: error: the run stopped early: {run.stopped}{where}", file=sys.stderr)
    return 1


def register(sub: Any) -> None:
    b = sub.add_parser(
        "bench",
        help="measure a running server: per-token latency and throughput at each concurrency",
        description="Streams requests to an OpenAI-compatible server (vLLM, SGLang, "
        "trtllm-serve, llama-server, Ollama's /v1) or Ollama's /api/generate, in a closed loop "
        "at each --concurrency (or Poisson arrivals at each --rate), and reports TTFT, ITL, "
        "TPOT, E2E, tokens/s and requests/s per level. Talks only to URL.",
    )
    b.add_argument("url", type=_url, metavar="URL", help="the server, e.g. http://localhost:8000")
    b.add_argument(
        "--api",
        choices=("openai", "ollama"),
        default="openai",
        help="openai: /v1/completions or /v1/chat/completions (SSE); ollama: /api/generate",
    )
    b.add_argument(
        "--endpoint",
        choices=("completions", "chat"),
        default="completions",
        help="with --api openai: /v1/completions (default) or /v1/chat/completions",
    )
    b.add_argument("--model", default=None, help="default: the model the server lists, if one")
    b.add_argument(
        "--concurrency",
        type=_ints("--concurrency", 1, 4096),
        default=(1, 8, 32, 128),
        metavar="C1,C2,...",
        help="closed-loop levels: C users, each sending its next request when the last ends "
        "(default 1,8,32,128)",
    )
    b.add_argument(
        "--rate",
        type=_rates,
        default=None,
        metavar="R1,R2,...",
        help="Poisson arrivals at these requests/s instead of the closed loop",
    )
    b.add_argument(
        "--max-concurrency",
        type=number("--max-concurrency", integer=True),
        default=None,
        help="with --rate: at most this many requests in flight",
    )
    b.add_argument(
        "--output-tokens",
        type=_ints("--output-tokens", 1, 1_000_000),
        default=(256,),
        metavar="N1,N2,...",
        help="tokens to generate a request, one level each (default 256)",
    )
    src = b.add_mutually_exclusive_group()
    src.add_argument(
        "--input-tokens",
        type=number("--input-tokens", integer=True),
        default=256,
        help="prompt length in tokens as the server counts them (default 256; generated text)",
    )
    src.add_argument(
        "--prompts", default=None, metavar="FILE", help="prompts, one a line (or JSONL 'prompt')"
    )
    bound = b.add_mutually_exclusive_group()
    bound.add_argument(
        "--requests-per-level",
        type=number("--requests-per-level", integer=True),
        default=None,
        metavar="N",
        help="measured requests a level (default 4 x C, at least 10; a rate: 10 s of arrivals)",
    )
    bound.add_argument(
        "--duration",
        type=number("--duration"),
        default=None,
        metavar="S",
        help="seconds a level sends measured requests, instead of a count",
    )
    b.add_argument(
        "--warmup",
        type=number("--warmup", integer=True),
        default=None,
        metavar="N",
        help="first requests of each level left out (default C: one round of the users)",
    )
    b.add_argument(
        "--repeats", type=number("--repeats", integer=True), default=1, help="runs of each level"
    )
    b.add_argument(
        "--timeout",
        type=number("--timeout"),
        default=300.0,
        metavar="S",
        help="seconds a request may take (default 300)",
    )
    b.add_argument(
        "--fixed-length",
        type=switch("--fixed-length"),
        default=True,
        metavar="on|off",
        help="ask the server to generate exactly --output-tokens (ignore_eos, min_tokens; "
        "default on; off for servers that refuse unknown fields)",
    )
    b.add_argument("--seed", type=number("--seed", integer=True), default=0)
    b.add_argument("--gpu", default=None, metavar="ID", help="the server's GPU (a catalog id)")
    b.add_argument(
        "--gpus", type=number("--gpus", integer=True), default=None, help="how many (with --gpu)"
    )
    b.add_argument("--save", default=None, metavar="FILE", help="write the results file (JSON)")
    b.add_argument("--force", action="store_true", help="replace the --save file if it exists")
    b.add_argument("--json", action="store_true", help="print the levels' summaries as JSON")
    b.add_argument("--quiet", action="store_true", help="no progress line")
    b.set_defaults(func=cmd_bench)
