"""A Hugging Face ``config.json`` (Llama, Mistral and Qwen2 families) as a catalog model.

:func:`import_hf_config` reads the file, checks it and writes ``<config>/models/ID.toml`` in the
format of the built-in catalog (atomically), so the model joins the catalog from then on. Fields
the file does not give are read as Hugging Face reads them (``num_key_value_heads`` defaults to
``num_attention_heads``, ``head_dim`` to hidden size / heads, ``tie_word_embeddings`` to false);
fields with no such default are named in the error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from engine.errors import InputError
from engine.physics.specs import ModelSpec
from engine.storage.catalog import builtin_catalog, model_from_dict, model_to_dict
from engine.storage.names import check_name, safe_name
from engine.storage.paths import atomic_write, config_dir

#: model_type values read, and the family they are in the catalog.
FAMILIES: dict[str, str] = {
    "llama": "llama",
    "mistral": "mistral",
    "qwen2": "qwen2",
    "qwen3": "qwen3",  # q/k norms, no biases
    "gemma2": "gemma2",  # four norms a layer, tied embeddings by default
}
#: Fields that make a config a mixture of experts: it is never read as a dense model.
MOE_FIELDS = ("num_experts", "num_local_experts", "n_routed_experts", "moe_intermediate_size")
#: Hugging Face field -> catalog field, for the fields that have no default.
_REQUIRED: dict[str, str] = {
    "hidden_size": "hidden_size",
    "num_hidden_layers": "num_layers",
    "num_attention_heads": "num_attention_heads",
    "intermediate_size": "intermediate_size",
    "vocab_size": "vocab_size",
    "max_position_embeddings": "max_context",
}
_DTYPES: dict[str, str] = {"bfloat16": "bf16", "float16": "fp16", "float32": "fp32"}


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a config.json must be a JSON object, got {type(data).__name__}")
    return data


def model_from_hf_config(
    data: Mapping[str, Any], where: str, model_id: str, name: str, source: str = ""
) -> ModelSpec:
    """The catalog model for a config.json's fields; ``where`` starts every error message."""
    model_type = data.get("model_type")
    if model_type is None:
        raise InputError(
            f"{where}: cannot read field 'model_type' (missing; accepted: {', '.join(FAMILIES)})"
        )
    if model_type not in FAMILIES:
        raise InputError(
            f"{where}: field 'model_type' is {model_type!r}, not a family tokentui reads "
            f"(accepted: {', '.join(FAMILIES)})"
        )
    moe = {k: data[k] for k in MOE_FIELDS if data.get(k) not in (None, 0, 1)}
    if moe:
        fields = ", ".join(f"{k} {v!r}" for k, v in moe.items())
        raise InputError(
            f"{where}: a mixture-of-experts config ({fields}); tokentui does not import "
            "mixture-of-experts models yet, and never reads one as a dense model"
        )
    problems = []
    for key in _REQUIRED:
        if key not in data:
            problems.append(f"{key!r} (missing)")
        elif not _positive_int(data[key]):
            problems.append(f"{key!r} (must be a positive integer, got {data[key]!r})")
    for key in ("num_key_value_heads", "head_dim"):
        value = data.get(key)
        if value is not None and not _positive_int(value):
            problems.append(f"{key!r} (must be a positive integer, got {value!r})")
    for key in ("tie_word_embeddings", "attention_bias"):
        if key in data and not isinstance(data[key], bool):
            problems.append(f"{key!r} (must be true or false, got {data[key]!r})")
    dtype_key = "torch_dtype" if "torch_dtype" in data else "dtype"
    dtype = data.get(dtype_key) or "bfloat16"
    if dtype not in _DTYPES:
        problems.append(
            f"{dtype_key!r} (is {dtype!r}; accepted: {', '.join(_DTYPES)}: a quantised "
            f"checkpoint is imported from its unquantised config, then run with --weight-dtype)"
        )
    if problems:
        s = "s" if len(problems) > 1 else ""
        raise InputError(f"{where}: cannot read field{s} {', '.join(problems)}")
    out: dict[str, Any] = {"id": model_id, "name": name, "family": FAMILIES[model_type]}
    out.update({ours: data[theirs] for theirs, ours in _REQUIRED.items()})
    out["num_key_value_heads"] = data.get("num_key_value_heads") or data["num_attention_heads"]
    if data.get("head_dim"):
        out["head_dim"] = data["head_dim"]
    # Gemma 2 ties its embeddings unless it says otherwise (Gemma2Config's default)
    out["tie_word_embeddings"] = data.get("tie_word_embeddings", model_type == "gemma2")
    # Qwen2 always has q/k/v biases (its config has no field for them); Llama says so if it has.
    out["attention_bias"] = model_type == "qwen2" or data.get("attention_bias", False)
    out["dtype"] = _DTYPES[dtype]
    out["source"] = source
    return model_from_dict(out, where)


def _names_from(path: Path, data: Mapping[str, Any]) -> str:
    """The model's own name: ``_name_or_path``, a Hugging Face cache folder, or the folder."""
    given = data.get("_name_or_path")
    if isinstance(given, str) and given.strip("/ "):
        return given.rstrip("/").split("/")[-1]
    for part in reversed(path.resolve().parent.parts):
        if part.startswith("models--"):
            return part.split("--")[-1]
    return path.resolve().parent.name


def import_hf_config(
    path: Path, model_id: str | None = None, *, overwrite: bool = False
) -> tuple[ModelSpec, Path]:
    """Read ``path`` (a config.json) and save it as ``<config>/models/ID.toml``; returns the model
    and the file written. The id defaults to a safe form of the model's name."""
    data = read_config(path)
    name = _names_from(path, data)
    if model_id is None:
        try:
            model_id = safe_name(name, "model id")
        except InputError:
            raise InputError(
                f"{path}: cannot make a model id from {name!r}; give one with --id"
            ) from None
    else:
        model_id = check_name(model_id, "model id")
    builtin = builtin_catalog()
    if model_id in builtin.models or any(model_id in m.aliases for m in builtin.models.values()):
        raise InputError(f"model id {model_id!r} is a built-in model; choose another with --id")
    model = model_from_hf_config(
        data, str(path), model_id, name or model_id, source=f"imported from {path.resolve()}"
    )
    target = config_dir() / "models" / f"{model_id}.toml"
    if target.exists() and not overwrite:
        raise InputError(
            f"{target}: a model {model_id!r} already exists; choose another id or replace it"
        )
    origin = re.sub(r"[\x00-\x1f\x7f]", "?", str(path.resolve()))  # a comment is one line
    text = (
        f"# Imported by tokentui from {origin}; the same format as the built-in catalog.\n"
        + tomli_w.dumps(model_to_dict(model))
    )
    atomic_write(target, text.encode("utf-8"), overwrite=overwrite)
    return model, target
