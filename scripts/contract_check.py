"""Check that a change kept the command line's JSON contracts: same keys, same values.

    python scripts/contract_check.py dump OUT.json [--n 700]   # run the commands, save outputs
    python scripts/contract_check.py diff OLD.json NEW.json    # every old key, same value

``dump`` runs, in-process through the ``tokentui`` entry point, a few hundred ``estimate --json``
command lines generated from a fixed seed (models, GPUs, counts, TP, tokens, batches, both
modes, precisions, prices, every realistic-factor flag, engine settings, ``--preset`` with
options beside it), ``compare --json`` on the shared measurements, ``presets show --json`` and
``presets export`` of every built-in preset, and ``models``/``gpus --json``. Each command's
exit code and output are saved.

``diff`` passes when every command that succeeded before succeeds now and every JSON key it
printed is still there with the same value (floats to 1e-9 relative); new keys are allowed. An
old dump's ``--batch N`` (a maximum before a single number became one batch) is looked up as
``--batch 1..N``, the same sizes.
A command refused before must still be refused (exit 2); its message may differ. An exported
preset is compared by what it reads back as (its text changes with the schema).

To compare against an older commit, dump from a worktree of it::

    git worktree add /tmp/old 8129fb8
    (cd /tmp/old && python -m venv .venv && .venv/bin/pip install -e . -q)
    /tmp/old/.venv/bin/python scripts/contract_check.py dump /tmp/old.json
    .venv/bin/python scripts/contract_check.py dump /tmp/new.json
    .venv/bin/python scripts/contract_check.py diff /tmp/old.json /tmp/new.json
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("benchmarks")  # relative to ROOT, where dump runs: outputs name no machine path

MODELS = [
    "llama-3.3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "mistral-7b",
    "qwen2.5-7b",
    "qwen2.5-72b",
]
GPUS = [
    "h100-sxm",
    "h100-pcie",
    "h200",
    "a100-80gb",
    "a100-40gb",
    "b200",
    "l40s",
    "mi300x",
    "rtx-4090",
    "rtx-3090",
    "rtx-4060",
    "apple-m3-ultra",
    "apple-m2-ultra",
]
PRESETS = [
    "article-70b-4xh100",
    "llama-8b-1xh100",
    "long-context-16k",
    "m3-ultra",
    "rtx-4060-local",
]
FACTOR_FLAGS = {
    "--compute-efficiency": (0.2, 1.0),
    "--memory-efficiency": (0.3, 1.0),
    "--attention-efficiency": (0.3, 1.0),
    "--attention-token-ns": (0.0, 2.0),
    "--step-overhead-ms": (0.0, 5.0),
    "--seq-overhead-us": (0.0, 200.0),
    "--collective-latency-us": (0.0, 50.0),
    "--eager-layer-us": (0.0, 80.0),
}


def estimate_lines(n: int, seed: int = 8) -> list[list[str]]:
    rng = random.Random(seed)
    out: list[list[str]] = [["estimate", "--json"], ["estimate", "--json", "--mode", "ideal"]]
    while len(out) < n:
        args = ["estimate", "--json"]
        if rng.random() < 0.15:
            args += ["--preset", rng.choice(PRESETS)]
        if rng.random() < 0.8:
            args += ["--model", rng.choice(MODELS)]
        if rng.random() < 0.8:
            args += ["--gpu", rng.choice(GPUS)]
        if rng.random() < 0.8:
            gpus = rng.choice([1, 1, 2, 4, 8, 16])
            args += ["--gpus", str(gpus)]
            if rng.random() < 0.3:
                args += ["--tp", str(rng.choice([d for d in (1, 2, 4, 8) if gpus % d == 0]))]
        if rng.random() < 0.7:
            args += ["--input-tokens", str(rng.choice([1, 128, 512, 2035, 4000, 16000, 60000]))]
        if rng.random() < 0.7:
            args += ["--output-tokens", str(rng.choice([1, 16, 300, 1000, 4000]))]
        if rng.random() < 0.5:
            args += [
                "--batch",
                rng.choice(["1,8,64", "1..512", "1,3,7,100", "1..2048", "1", "32,256,1024"]),
            ]
        mode = rng.choice(["realistic", "realistic", "ideal"])
        if rng.random() < 0.7:
            args += ["--mode", mode]
        if rng.random() < 0.3:
            args += ["--weight-dtype", rng.choice(["bf16", "fp16", "fp8", "int8", "int4", "fp32"])]
        if rng.random() < 0.2:
            args += ["--kv-dtype", rng.choice(["bf16", "fp8", "fp16"])]
        if rng.random() < 0.2:
            args += ["--flop-count", rng.choice(["article", "flash"])]
        if rng.random() < 0.3:
            args += ["--price-per-gpu-hour", f"{rng.uniform(0, 10):.2f}"]
        if rng.random() < 0.2:
            args += ["--gamma", f"{rng.uniform(0, 1):.2f}"]
        if rng.random() < 0.2:
            args += ["--memory-utilization", f"{rng.uniform(0.5, 0.95):.2f}"]
        if rng.random() < 0.2:
            args += ["--max-num-seqs", str(rng.choice([8, 64, 256, 1024]))]
        if mode == "realistic" and "--mode" in args:
            for flag, (lo, hi) in FACTOR_FLAGS.items():
                if rng.random() < 0.12:
                    args += [flag, f"{rng.uniform(lo, hi):.3f}"]
        out.append(args)
    return out


def compare_lines() -> list[list[str]]:
    seed = ROOT / SHARED / "tokenomics-vllm"
    files = sorted(str(p.relative_to(ROOT)) for p in seed.glob("*.json"))
    sweep = sorted(str(p.relative_to(ROOT)) for p in (seed / "sweep").glob("*.json"))[:12]
    nim = sorted(str(p.relative_to(ROOT)) for p in (ROOT / SHARED / "nim").glob("*.csv"))
    return [
        ["compare", "--json", *files, "--gpus", "4", "--gpus-for", "llama-3.1-8b=1"],
        ["compare", "--json", *files, *nim, "--gpus", "4", "--gpus-for", "llama-3.1-8b=1"],
        [
            "compare",
            "--json",
            *files,
            "--gpus",
            "4",
            "--gpus-for",
            "llama-3.1-8b=1",
            "--mode",
            "ideal",
        ],
        [
            "compare",
            "--json",
            *sweep,
            "--gpus",
            "4",
            "--gpus-for",
            "llama-3.1-8b=1",
            "--worst",
            "3",
        ],
        [
            "compare",
            "--json",
            files[0],
            "--model",
            "llama-3.1-8b",
            "--gpus",
            "1",
            "--max-num-seqs",
            "64",
        ],
    ]


def other_lines() -> list[list[str]]:
    out = [["models", "--json"], ["gpus", "--json"], ["presets", "list", "--json"]]
    for name in PRESETS:
        out += [["presets", "show", name, "--json"], ["presets", "export", name]]
    return out


def run(argv: list[str]) -> dict[str, Any]:
    """One command's exit code and output; an exported preset is also read back (``presets show
    --json`` of the exported file), so that its meaning is compared, not its text."""
    result = _run(argv)
    if argv[:2] == ["presets", "export"] and result["code"] == 0:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "exported.toml"
            path.write_text(result["text"])
            shown = _run(["presets", "show", str(path), "--json"])
        result["json"] = {"read back": shown.get("json", {}).get("scenario")}
    return result


def _run(argv: list[str]) -> dict[str, Any]:
    from tui.main import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    text = out.getvalue().replace(str(ROOT), "<repo>")
    result: dict[str, Any] = {"argv": argv, "code": code, "stderr": err.getvalue()}
    try:
        result["json"] = json.loads(text)
    except json.JSONDecodeError:
        result["text"] = text
    return result


def dump(path: Path, n: int) -> None:
    os.chdir(ROOT)
    lines = estimate_lines(n) + compare_lines() + other_lines()
    results = [run(a) for a in lines]
    path.write_text(json.dumps(results))
    ok = sum(1 for r in results if r["code"] == 0)
    print(f"{len(results)} commands ({ok} succeeded, {len(results) - ok} refused) -> {path}")


def _same(a: Any, b: Any, where: str, problems: list[str]) -> None:
    if isinstance(a, dict):
        if not isinstance(b, dict):
            problems.append(f"{where}: was an object, now {type(b).__name__}")
            return
        for k, v in a.items():
            if k not in b:
                problems.append(f"{where}.{k}: missing")
            else:
                _same(v, b[k], f"{where}.{k}", problems)
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            problems.append(f"{where}: list changed length or type")
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]", problems)
    elif isinstance(a, float) and isinstance(b, int | float) and not isinstance(b, bool):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300):
            problems.append(f"{where}: {a!r} -> {b!r}")
    elif a != b or type(a) is not type(b):
        problems.append(f"{where}: {a!r} -> {b!r}")


def _as_now(argv: list[str]) -> list[str]:
    """An old command line as it is written now: ``--batch 512`` was the powers of two to 512,
    which is ``--batch 1..512`` now."""
    out = list(argv)
    for i, word in enumerate(out[:-1]):
        if word == "--batch" and out[i + 1].isdigit():
            out[i + 1] = f"1..{out[i + 1]}"
    return out


def diff(old_path: Path, new_path: Path) -> int:
    old = json.loads(old_path.read_text())
    new = json.loads(new_path.read_text())
    by_argv = {json.dumps(r["argv"]): r for r in new}
    problems: list[str] = []
    checked = 0
    for r in old:
        n = by_argv.get(json.dumps(r["argv"])) or by_argv.get(json.dumps(_as_now(r["argv"])))
        if n is None:
            problems.append(f"{' '.join(r['argv'][:6])}: not run by the new dump")
            continue
        checked += 1
        name = " ".join(r["argv"])
        if r["code"] != n["code"]:
            problems.append(f"{name}: exit {r['code']} -> {n['code']} ({n['stderr'].strip()})")
            continue
        if r["code"] != 0:
            continue
        if "json" in r:
            _same(r["json"], n.get("json"), name, problems)
        elif r.get("text") != n.get("text") and r["argv"][:2] != ["presets", "export"]:
            problems.append(f"{name}: text output changed")
    for p in problems[:40]:
        print(p)
    print(f"{checked} commands compared, {len(problems)} differences")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "dump":
        n = int(argv[argv.index("--n") + 1]) if "--n" in argv else 700
        dump(Path(argv[1]), n)
        return 0
    if len(argv) == 3 and argv[0] == "diff":
        return diff(Path(argv[1]), Path(argv[2]))
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
