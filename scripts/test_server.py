"""A real llama.cpp ``llama-server`` on a CPU-only machine, for live tests of ``tokentui bench``.

Nothing comes from a model hub: the server is built from the llama.cpp tree vendored in the
``llama-cpp-python`` sdist on PyPI, and the model is a tiny Llama with random weights written here
(with the sdist's real Llama-2 SentencePiece vocabulary). Timing and protocol are real; the text is
gibberish. The recipe and what was measured: ``../shared/design/live-server.md``.

Commands::

    python3 scripts/test_server.py build      # ~10 min on 2 cores the first time, then cached
    python3 scripts/test_server.py path       # the cached binary, or exit 1
    .venv/bin/python scripts/test_server.py model OUT.gguf [--layers 4 --hidden 128 ...]
    .venv/bin/python scripts/test_server.py serve [--port 8080] [--slots 8]

then ``tokentui bench http://127.0.0.1:8080``. ``model`` and ``serve`` need numpy and gguf (the
``test`` extra); ``build`` and ``path`` only the standard library (and pip, for the download).

The cache lives outside the repository, one folder per llama-cpp-python version and CPU (the
default build is ``-march=native``)::

    ${TOKENTUI_TEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/tokentui-test-server}/
        llama-server-0.3.36-<hash of the CPU model, its flags and the cmake flags>/
            llama-server  ggml-vocab-llama-spm.gguf  build-info.txt  tiny-llama-v1.gguf

The test fixtures (``tests/live/conftest.py``) import this file by path and use
:func:`cached_binary`, :func:`ensure_model` and :func:`start_server`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

LLAMA_CPP_PYTHON = "0.3.36"
VOCAB_NAME = "ggml-vocab-llama-spm.gguf"
BINARY_NAME = "llama-server"
# Bump when write_model changes what it writes, so a cached model is regenerated.
MODEL_NAME = "tiny-llama-v1.gguf"
MODEL_ALIAS = "tiny"

# The two UI flags are required: without them the build may try to download a web UI.
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
    "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_BUILD_UI=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_CURL=OFF",
    "-DBUILD_SHARED_LIBS=OFF",
)
# If the default -march=native build fails, one retry with these.
PORTABLE_FLAGS = ("-DGGML_NATIVE=OFF", "-DGGML_AVX2=ON")

# Use -t 1 on 2 cores (with -t 2 the p99 inter-token latency jumped to 400-650 ms).
SERVER_THREADS = 1
HEALTH_TIMEOUT_S = 30.0


class TestServerError(RuntimeError):
    """A build, model or server failure, with a one-line message."""

    __test__ = False  # not a pytest test class, whatever its name


# --------------------------------------------------------------------------------------------
# The cache


def cache_root() -> Path:
    explicit = os.environ.get("TOKENTUI_TEST_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).expanduser() / "tokentui-test-server"


def _cpu_signature() -> str:
    """The CPU model name and flags (the build is -march=native), as read from /proc/cpuinfo."""
    model = flags = ""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        import platform

        return platform.machine() + " " + platform.processor()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = " ".join(sorted(value.split()))
    return f"{model}|{flags}"


def cache_dir() -> Path:
    """This machine's folder in the cache (it need not exist)."""
    key = _cpu_signature() + "|" + " ".join(CMAKE_FLAGS)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_root() / f"llama-server-{LLAMA_CPP_PYTHON}-{digest}"


def cached_binary() -> Path | None:
    """The cached ``llama-server`` for this CPU, or None when it has not been built."""
    folder = cache_dir()
    binary = folder / BINARY_NAME
    if binary.is_file() and os.access(binary, os.X_OK) and (folder / VOCAB_NAME).is_file():
        return binary
    return None


# --------------------------------------------------------------------------------------------
# build


def _say(message: str) -> None:
    print(f"test_server: {message}", flush=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_builds(root: Path) -> None:
    """Temporary folders of builds whose process is gone (killed mid-build)."""
    for tmp in root.glob(".build-*"):
        parts = tmp.name.split("-")
        pid = int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else 0
        if pid and not _pid_alive(pid):
            _say(f"removing the leftovers of an interrupted build: {tmp}")
            shutil.rmtree(tmp, ignore_errors=True)


def _run_logged(cmd: Sequence[str], log: IO[str], *, progress: bool = False, **kw: Any) -> int:
    """Run ``cmd`` with its output into ``log``; with ``progress``, echo every 10% of a build."""
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", **kw
    )
    assert proc.stdout is not None
    shown = -10
    try:
        for line in proc.stdout:
            log.write(line)
            if progress:
                percent = _progress_percent(line)
                if percent is not None and percent >= shown + 10:
                    shown = percent - percent % 10
                    _say(f"  {line.strip()[:110]}")
        return proc.wait()
    finally:
        log.flush()
        if proc.poll() is None:  # interrupted: no orphaned compiler or pip
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _progress_percent(line: str) -> int | None:
    """The percentage of a make (``[ 42%] ...``) or ninja (``[12/345] ...``) progress line."""
    line = line.strip()
    if not line.startswith("["):
        return None
    inside = line[1 : line.find("]")].strip()
    try:
        if inside.endswith("%"):
            return int(inside[:-1])
        done, _, total = inside.partition("/")
        return 100 * int(done) // int(total)
    except ValueError:
        return None


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def build(jobs: int | None = None) -> Path:
    """Build ``llama-server`` into the cache unless it is there; return the binary's path."""
    existing = cached_binary()
    if existing is not None:
        return existing
    final = cache_dir()
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(root)
    for tool in ("cmake", "c++"):
        if shutil.which(tool) is None:
            raise TestServerError(
                f"{tool} not found: install cmake and a C++ compiler "
                "(apt-get install -y cmake build-essential)"
            )
    jobs = jobs or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 2)
    tmp = Path(tempfile.mkdtemp(prefix=f".build-{os.getpid()}-", dir=root))
    log_path = tmp / "build.log"
    started = time.monotonic()
    try:
        with log_path.open("w") as log:
            src = _download_source(tmp, log, log_path)
            binary, flags = _compile(src, tmp, log, log_path, jobs)
            out = tmp / "out"
            out.mkdir()
            shutil.copy2(binary, out / BINARY_NAME)
            shutil.copy2(src / "models" / VOCAB_NAME, out / VOCAB_NAME)
            check = subprocess.run(
                [str(out / BINARY_NAME), "--version"], capture_output=True, text=True, timeout=30
            )
            version = (check.stdout + check.stderr).strip().replace("\n", "; ")
            if check.returncode != 0:
                raise TestServerError(f"the built llama-server does not run: {version[-200:]}")
            (out / "build-info.txt").write_text(
                f"llama-cpp-python {LLAMA_CPP_PYTHON} (sdist, vendor/llama.cpp)\n"
                f"llama-server --version: {version}\n"
                f"cmake flags: {' '.join(flags)}\n"
                f"cpu: {_cpu_signature().split('|')[0]}\n"
                f"built in {time.monotonic() - started:.0f} s with -j{jobs}\n"
            )
        try:
            os.rename(out, final)  # atomic: the cache holds a whole build or none
        except OSError:
            if cached_binary() is None:  # not another build finishing first
                raise
            _say("another build finished first; keeping it")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _say(f"built in {time.monotonic() - started:.0f} s")
    binary = cached_binary()
    if binary is None:
        raise TestServerError(f"build finished but {final / BINARY_NAME} is missing")
    return binary


def _download_source(tmp: Path, log: IO[str], log_path: Path) -> Path:
    """The llama.cpp tree of the llama-cpp-python sdist, extracted under ``tmp``."""
    dl = tmp / "dl"
    _say(f"downloading the llama-cpp-python=={LLAMA_CPP_PYTHON} sdist (77 MB) with pip")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    cmd += ["--disable-pip-version-check", "-d", str(dl), f"llama-cpp-python=={LLAMA_CPP_PYTHON}"]
    if _run_logged(cmd, log) != 0:
        raise TestServerError(f"pip download failed:\n{_log_tail(log_path)}")
    sdists = list(dl.glob("llama_cpp_python-*.tar.gz"))
    if len(sdists) != 1:
        raise TestServerError(f"pip download left no single sdist in {dl}: {os.listdir(dl)}")
    prefix = f"llama_cpp_python-{LLAMA_CPP_PYTHON}/vendor/llama.cpp/"
    _say("extracting vendor/llama.cpp")
    with tarfile.open(sdists[0]) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
        if not members:
            raise TestServerError(f"no {prefix} in {sdists[0].name}")
        if hasattr(tarfile, "data_filter"):
            tar.extractall(tmp / "src", members=members, filter="data")
        else:  # Python < 3.11.4
            tar.extractall(tmp / "src", members=members)  # our own download
    sdists[0].unlink()
    src = tmp / "src" / prefix.rstrip("/")
    if not (src / "models" / VOCAB_NAME).is_file():
        raise TestServerError(f"the sdist has no models/{VOCAB_NAME}")
    return src


def _compile(
    src: Path, tmp: Path, log: IO[str], log_path: Path, jobs: int
) -> tuple[Path, tuple[str, ...]]:
    """Configure and build the llama-server target; retry once without -march=native."""
    failure = ""
    for attempt, extra in enumerate(((), PORTABLE_FLAGS)):
        flags = CMAKE_FLAGS + extra
        build_dir = tmp / f"build{attempt}"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        label = "native" if not extra else "portable (" + " ".join(extra) + ")"
        _say(f"configuring with cmake, {label}")
        if _run_logged(["cmake", "-S", str(src), "-B", str(build_dir), *generator, *flags], log):
            failure = f"cmake configure failed:\n{_log_tail(log_path)}"
        else:
            _say(f"compiling llama-server with -j{jobs} (about 10 minutes on 2 cores)")
            cmd = ["cmake", "--build", str(build_dir), "--target", BINARY_NAME, "-j", str(jobs)]
            if _run_logged(cmd, log, progress=True):
                failure = f"cmake build failed:\n{_log_tail(log_path)}"
            else:
                found = sorted(build_dir.rglob(BINARY_NAME))
                found = [p for p in found if p.is_file() and os.access(p, os.X_OK)]
                if found:
                    return found[0], flags
                failure = f"no {BINARY_NAME} under {build_dir} after the build"
        print(failure, file=sys.stderr, flush=True)
        shutil.rmtree(build_dir, ignore_errors=True)
        if not extra:
            _say("retrying once with -DGGML_NATIVE=OFF -DGGML_AVX2=ON")
    raise TestServerError(failure.splitlines()[0])


# --------------------------------------------------------------------------------------------
# The model

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def write_model(
    out: Path,
    vocab: Path,
    *,
    layers: int = 4,
    hidden: int = 128,
    heads: int = 4,
    kv_heads: int | None = None,
    ffn: int = 352,
    context: int = 8192,
    seed: int = 0,
) -> Path:
    """Write a tiny random-weight Llama (F16) with ``vocab``'s tokenizer to ``out``.

    The output-projection rows of control, unknown, unused and byte tokens are zero and those of
    normal tokens large and random, so the model never stops early and every token decodes to whole
    UTF-8: one SSE chunk per token. The same arguments write the same file.
    """
    try:
        import numpy as np
        from gguf import GGUFReader, GGUFValueType, GGUFWriter, LlamaFileType, TokenType
    except ImportError as exc:  # pragma: no cover - depends on the interpreter
        raise TestServerError(
            f"writing the model needs numpy and gguf ({exc}): run it with .venv/bin/python"
        ) from exc
    kv_heads = kv_heads or heads
    if hidden % heads or heads % kv_heads:
        raise TestServerError("hidden must be a multiple of heads, and heads of kv_heads")
    head_dim = hidden // heads

    reader = GGUFReader(vocab)
    token_types = np.asarray(reader.fields["tokenizer.ggml.token_type"].contents(), dtype=np.int32)
    n_vocab = len(token_types)
    rng = np.random.default_rng(seed)

    def weight(rows: int, cols: int, scale: float | None = None) -> Any:
        std = scale if scale is not None else cols**-0.5
        return (rng.standard_normal((rows, cols), dtype=np.float32) * std).astype(np.float16)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    writer = GGUFWriter(tmp, "llama")
    try:
        writer.add_name("tokentui tiny random llama")
        writer.add_context_length(context)
        writer.add_embedding_length(hidden)
        writer.add_block_count(layers)
        writer.add_feed_forward_length(ffn)
        writer.add_head_count(heads)
        writer.add_head_count_kv(kv_heads)
        writer.add_rope_dimension_count(head_dim)
        writer.add_layer_norm_rms_eps(1e-5)
        writer.add_vocab_size(n_vocab)
        writer.add_file_type(LlamaFileType.MOSTLY_F16)
        for name, fld in reader.fields.items():
            if not name.startswith("tokenizer.") or name == "tokenizer.chat_template":
                continue
            main = fld.types[0]
            sub = fld.types[-1] if main == GGUFValueType.ARRAY else None
            value = fld.contents()
            writer.add_key_value(name, value, main, sub_type=sub)
        writer.add_chat_template(CHAT_TEMPLATE)

        writer.add_tensor("token_embd.weight", weight(n_vocab, hidden, 1.0))
        for i in range(layers):
            blk = f"blk.{i}"
            writer.add_tensor(f"{blk}.attn_norm.weight", np.ones(hidden, dtype=np.float32))
            writer.add_tensor(f"{blk}.attn_q.weight", weight(hidden, hidden))
            writer.add_tensor(f"{blk}.attn_k.weight", weight(kv_heads * head_dim, hidden))
            writer.add_tensor(f"{blk}.attn_v.weight", weight(kv_heads * head_dim, hidden))
            writer.add_tensor(f"{blk}.attn_output.weight", weight(hidden, hidden))
            writer.add_tensor(f"{blk}.ffn_norm.weight", np.ones(hidden, dtype=np.float32))
            writer.add_tensor(f"{blk}.ffn_gate.weight", weight(ffn, hidden))
            writer.add_tensor(f"{blk}.ffn_up.weight", weight(ffn, hidden))
            writer.add_tensor(f"{blk}.ffn_down.weight", weight(hidden, ffn))
        writer.add_tensor("output_norm.weight", np.ones(hidden, dtype=np.float32))
        output = weight(n_vocab, hidden, 1.0)
        output[token_types != int(TokenType.NORMAL)] = 0
        writer.add_tensor("output.weight", output)

        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    finally:
        writer.close()
    os.replace(tmp, out)
    return out


def ensure_model(directory: Path, vocab: Path | None = None) -> Path:
    """The default tiny model in ``directory``, written first if missing.

    ``vocab`` defaults to the one in this machine's cache folder (``build`` puts it there).
    """
    directory = Path(directory)
    model = directory / MODEL_NAME
    if model.is_file():
        return model
    for candidate in (vocab, directory / VOCAB_NAME, cache_dir() / VOCAB_NAME):
        if candidate is not None and Path(candidate).is_file():
            return write_model(model, Path(candidate))
    raise TestServerError(f"no {VOCAB_NAME}: run scripts/test_server.py build")


# --------------------------------------------------------------------------------------------
# The server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerHandle:
    """A running llama-server: its base URL (``http://127.0.0.1:PORT``), process and log."""

    url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    command: list[str] = field(default_factory=list)

    def stderr_tail(self, lines: int = 30) -> str:
        return _log_tail(self.log_path, lines)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL); idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def kill(self) -> None:
        """SIGKILL, for tests of a server that dies mid-stream; the log is kept for stop()."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def server_command(
    binary: Path, model: Path, port: int, slots: int = 8, ctx: int = 8192
) -> list[str]:
    return [
        str(binary),
        "-m",
        str(model),
        "-a",
        MODEL_ALIAS,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "-c",
        str(ctx),  # split across the slots
        "-np",
        str(slots),
        "-cb",
        "-t",
        str(SERVER_THREADS),
        "--metrics",
    ]


def start_server(
    binary: Path,
    model: Path,
    port: int | None = None,
    slots: int = 8,
    ctx: int = 8192,
    timeout: float = HEALTH_TIMEOUT_S,
) -> ServerHandle:
    """Start llama-server and wait until ``/health`` answers 200.

    With no ``port``, a free one is chosen (and another tried if that one was taken meanwhile).
    """
    attempts = 3 if port is None else 1
    for attempt in range(attempts):
        chosen = port if port is not None else free_port()
        try:
            return _start_once(binary, model, chosen, slots, ctx, timeout)
        except TestServerError as exc:
            if attempt + 1 == attempts or "bind" not in str(exc).lower():
                raise
    raise AssertionError("unreachable")


def _start_once(
    binary: Path, model: Path, port: int, slots: int, ctx: int, timeout: float
) -> ServerHandle:
    command = server_command(binary, model, port, slots, ctx)
    fd, log_name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    handle = ServerHandle(f"http://127.0.0.1:{port}", port, process, Path(log_name), command)
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = handle.stderr_tail()
            handle.stop()
            raise TestServerError(
                f"llama-server exited with {process.returncode} before /health was 200; "
                f"its log ends:\n{tail}"
            )
        try:
            with urllib.request.urlopen(handle.url + "/health", timeout=2) as response:
                if response.status == 200:
                    return handle
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as exc:  # 503 while the model loads
            last = f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.05)
    tail = handle.stderr_tail()
    handle.stop()
    raise TestServerError(
        f"llama-server /health not 200 within {timeout:.0f} s ({last}); its log ends:\n{tail}"
    )


# --------------------------------------------------------------------------------------------
# CLI


def _cmd_build(args: argparse.Namespace) -> int:
    binary = cached_binary()
    if binary is not None:
        print(f"cached: {binary}")
        return 0
    _say(f"building llama-server into {cache_dir()}")

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)  # unwinds: the temporary build folder is removed

    signal.signal(signal.SIGTERM, terminated)
    binary = build(args.jobs)
    print(f"built: {binary}")
    return 0


def _cmd_path(args: argparse.Namespace) -> int:
    binary = cached_binary()
    if binary is None:
        print("not built: run scripts/test_server.py build", file=sys.stderr)
        return 1
    print(binary)
    return 0


def _cmd_model(args: argparse.Namespace) -> int:
    vocab = Path(args.vocab) if args.vocab else cache_dir() / VOCAB_NAME
    if not vocab.is_file():
        raise TestServerError(f"no {vocab}: run scripts/test_server.py build, or pass --vocab")
    started = time.monotonic()
    out = write_model(
        Path(args.out),
        vocab,
        layers=args.layers,
        hidden=args.hidden,
        heads=args.heads,
        kv_heads=args.kv_heads,
        ffn=args.ffn,
        context=args.context,
        seed=args.seed,
    )
    size = out.stat().st_size / 1e6
    print(f"wrote {out} ({size:.1f} MB, {time.monotonic() - started:.1f} s)")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    binary = cached_binary()
    if binary is None:
        print("not built: run scripts/test_server.py build", file=sys.stderr)
        return 1
    model = Path(args.model) if args.model else ensure_model(binary.parent)
    command = server_command(binary, model, args.port, args.slots, args.ctx)
    print(f"serving {model.name} on http://127.0.0.1:{args.port} ({args.slots} slots)", flush=True)
    print(f"try: tokentui bench http://127.0.0.1:{args.port}", flush=True)
    sys.stdout.flush()
    os.execv(command[0], command)  # the server is this process: Ctrl-C and SIGTERM reach it


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="build llama-server into the cache (reused when present)")
    p.add_argument("-j", "--jobs", type=int, default=None, help="parallel compile jobs")
    p.set_defaults(run=_cmd_build)

    p = sub.add_parser("path", help="print the cached binary, or exit 1")
    p.set_defaults(run=_cmd_path)

    p = sub.add_parser("model", help="write the tiny random-weight model")
    p.add_argument("out", help="the .gguf file to write")
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=None, help="default: --heads")
    p.add_argument("--ffn", type=int, default=352)
    p.add_argument("--context", type=int, default=8192, help="the model's context length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vocab", default=None, help=f"default: the cache's {VOCAB_NAME}")
    p.set_defaults(run=_cmd_model)

    p = sub.add_parser("serve", help="run llama-server on the tiny model in the foreground")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--slots", type=int, default=8, help="parallel sequences (-np)")
    p.add_argument("--ctx", type=int, default=8192, help="total context, split across slots")
    p.add_argument("--model", default=None, help="a .gguf (default: the cached tiny model)")
    p.set_defaults(run=_cmd_serve)

    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except TestServerError as exc:
        message = str(exc)
        if "\n" in message:  # details first, the one-line message last
            head, _, details = message.partition("\n")
            print(details, file=sys.stderr)
            message = head.rstrip(":") + " (the end of its log is above)"
        print(f"test_server: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
