"""A Hugging Face ``config.json`` as a catalog model: the dense families (Llama, Mistral, Qwen2,
Qwen3, Gemma 2) and the mixture-of-experts ones (Mixtral, Qwen2-MoE, Qwen3-MoE, DeepSeek-V3,
gpt-oss).

:func:`import_hf_config` reads the file, checks it and writes ``<config>/models/ID.toml`` in the
format of the built-in catalog (atomically), so the model joins the catalog from then on. Fields
the file does not give are read as Hugging Face reads them (``num_key_value_heads`` defaults to
``num_attention_heads``, ``head_dim`` to hidden size / heads, ``tie_word_embeddings`` to false);
fields with no such default (the expert counts and widths among them) are named in the error,
every wrong field in one message.

A config is read by its ``model_type`` only. One of a dense family that carries expert fields
(``num_experts`` ...) is refused, never read as dense; a mixture of experts is read by the rules
of its family (:func:`_moe_fields`). tokentui assumes every layer past DeepSeek's first dense ones
is a mixture of experts: a config that interleaves dense layers (``decoder_sparse_step``,
``mlp_only_layers``, ``moe_layer_freq``) is refused. The precision is ``torch_dtype``'s, or the
``quantization_config``'s where that is FP8 (DeepSeek-V3) or MXFP4 (gpt-oss); any other quantised
checkpoint is refused: import its unquantised config and run it with ``--weight-dtype``.
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
from engine.storage.files import MAX_CONFIG_BYTES, loads_json, read_text
from engine.storage.names import check_name, safe_name
from engine.storage.paths import atomic_write, config_dir

#: Dense model_type values read, and the family they are in the catalog.
DENSE_FAMILIES: dict[str, str] = {
    "llama": "llama",
    "mistral": "mistral",
    "qwen2": "qwen2",
    "qwen3": "qwen3",  # q/k norms, no biases
    "gemma2": "gemma2",  # four norms a layer, tied embeddings by default
}
#: Mixture-of-experts model_type values read (the catalog names the family the same).
MOE_FAMILIES: dict[str, str] = {
    "mixtral": "mixtral",  # Mistral's layout, every MLP a set of experts
    "qwen2_moe": "qwen2_moe",  # Qwen2's q/k/v biases, a gated shared expert
    "qwen3_moe": "qwen3_moe",  # Qwen3's q/k norms
    "deepseek_v3": "deepseek_v3",  # latent attention, dense first layers, shared experts
    "gpt_oss": "gpt_oss",  # biases everywhere, attention sinks, MXFP4 experts
}
#: Every model_type read, and the family it is in the catalog.
FAMILIES: dict[str, str] = {**DENSE_FAMILIES, **MOE_FAMILIES}
#: Fields that make a config a mixture of experts: one of a dense family is never read as dense.
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
#: quantization_config's quant_method -> the catalog's dtype, for the checkpoints read as shipped.
_QUANT_DTYPES: dict[str, str] = {"fp8": "fp8", "mxfp4": "mxfp4"}


class _Reader:
    """Reads a config's fields, collecting what is wrong with them (``problems``) rather than
    stopping at the first: the error names every bad field at once."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.problems: list[str] = []

    def count(self, key: str, default: int | None = None, *, least: int = 1) -> int:
        """An integer field of at least ``least``; ``default`` when missing or null (``None``:
        the field is required, and null is wrong). 0 stands in for a bad value."""
        if key not in self.data or (default is not None and self.data[key] is None):
            if default is None:
                self.problems.append(f"{key!r} (missing)")
                return 0
            return default
        value = self.data[key]
        if isinstance(value, int) and not isinstance(value, bool) and value >= least:
            return value
        what = {0: "a whole number, 0 or more", 1: "a positive integer"}.get(
            least, f"an integer, {least} or more"
        )
        self.problems.append(f"{key!r} (must be {what}, got {value!r})")
        return 0

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if isinstance(value, bool):
            return value
        self.problems.append(f"{key!r} (must be true or false, got {value!r})")
        return default

    def every_layer_moe(self, key: str, default: int) -> None:
        """``key`` (Qwen's decoder_sparse_step, DeepSeek's moe_layer_freq) must be 1: an expert
        MLP in every layer (past the dense ones)."""
        step = self.count(key, default)
        if step > 1:
            self.problems.append(
                f"{key!r} (is {step}: only 1 is read, tokentui assumes every layer is a "
                "mixture of experts)"
            )

    def dtype(self) -> str:
        quant = self.data.get("quantization_config")
        if quant is not None:
            method = quant.get("quant_method") if isinstance(quant, Mapping) else None
            if isinstance(method, str) and method.lower() in _QUANT_DTYPES:
                return _QUANT_DTYPES[method.lower()]
            self.problems.append(
                f"'quantization_config' (quant_method is {method!r}; accepted: "
                f"{', '.join(_QUANT_DTYPES)}: another quantised checkpoint is imported from its "
                "unquantised config, then run with --weight-dtype)"
            )
            return "bf16"
        key = "torch_dtype" if "torch_dtype" in self.data else "dtype"
        dtype = self.data.get(key) or "bfloat16"
        if dtype in _DTYPES:
            return _DTYPES[dtype]
        self.problems.append(
            f"{key!r} (is {dtype!r}; accepted: {', '.join(_DTYPES)}: a quantised "
            f"checkpoint is imported from its unquantised config, then run with --weight-dtype)"
        )
        return "bf16"


def read_config(path: Path) -> dict[str, Any]:
    text = read_text(path, MAX_CONFIG_BYTES)
    try:
        data = loads_json(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: a config.json must be a JSON object, got {type(data).__name__}")
    return data


def _gpt_oss_per_token(r: _Reader) -> int:
    """gpt-oss's config gives the experts per token twice (``num_experts_per_tok`` as
    GptOssConfig names it, ``experts_per_token`` as OpenAI's own code does): either, or both if
    they agree."""
    given = [k for k in ("num_experts_per_tok", "experts_per_token") if k in r.data]
    values = [r.count(k) for k in given] or [r.count("num_experts_per_tok")]
    if len(set(values)) > 1 and all(values):
        r.problems.append(
            f"'experts_per_token' (is {values[1]!r}, but 'num_experts_per_tok' is {values[0]!r})"
        )
    return values[0]


def _moe_fields(model_type: str, r: _Reader) -> dict[str, Any]:
    """The catalog's mixture-of-experts fields (and DeepSeek's latent attention) of a config of
    the MoE family ``model_type``, read from that family's Hugging Face names."""
    d = r.data
    if model_type in ("mixtral", "gpt_oss"):
        # every expert is a SwiGLU MLP of intermediate_size: there is no dense MLP to differ
        out: dict[str, Any] = {
            "num_experts": r.count("num_local_experts", least=2),
            "moe_intermediate_size": d.get("intermediate_size"),  # checked with the others
        }
        if model_type == "mixtral":
            out["experts_per_token"] = r.count("num_experts_per_tok")
        else:
            out["experts_per_token"] = _gpt_oss_per_token(r)
            # a bias per expert on the router, and on every expert's projections (GptOssTopKRouter,
            # GptOssExperts); there is no config field for either
            out |= {"router_bias": True, "mlp_bias": True}
        return out
    if model_type in ("qwen2_moe", "qwen3_moe"):
        # layer i has experts when (i + 1) % decoder_sparse_step == 0 and i not in mlp_only_layers
        r.every_layer_moe("decoder_sparse_step", 1)
        dense = d.get("mlp_only_layers")
        if dense is not None and not isinstance(dense, list):
            r.problems.append(f"'mlp_only_layers' (must be a list of layers, got {dense!r})")
        elif dense:
            r.problems.append(
                f"'mlp_only_layers' (is {dense!r}: tokentui assumes every layer is a mixture of "
                "experts, so a config with dense layers is not read)"
            )
        out = {
            "num_experts": r.count("num_experts", least=2),
            "experts_per_token": r.count("num_experts_per_tok"),
            "moe_intermediate_size": r.count("moe_intermediate_size"),
        }
        if model_type == "qwen2_moe":
            out["shared_expert_size"] = r.count("shared_expert_intermediate_size", least=0)
        return out
    # deepseek_v3: layer i has experts when i >= first_k_dense_replace and i % moe_layer_freq == 0.
    # num_nextn_predict_layers (the multi-token-prediction layer) is not counted: a draft model.
    r.every_layer_moe("moe_layer_freq", 1)
    width = r.count("moe_intermediate_size")
    rope = r.count("qk_rope_head_dim")
    method = d.get("topk_method", "noaux_tc")
    if not isinstance(method, str):
        r.problems.append(f"'topk_method' (must be a string, got {method!r})")
    return {
        "num_experts": r.count("n_routed_experts", least=2),
        "experts_per_token": r.count("num_experts_per_tok"),
        "moe_intermediate_size": width,
        "shared_expert_size": r.count("n_shared_experts", least=0) * width,
        "dense_layers": r.count("first_k_dense_replace", least=0),
        # the gate's e_score_correction_bias, one per expert, added to the scores it picks the
        # top k by: it exists when topk_method is "noaux_tc" (V3's), not for the greedy methods
        "router_bias": method == "noaux_tc",
        "kv_lora_rank": r.count("kv_lora_rank"),
        # null: the queries are projected at full rank, with no bottleneck (DeepSeek-V2-Lite)
        "q_lora_rank": 0 if d.get("q_lora_rank", 0) is None else r.count("q_lora_rank"),
        "head_dim": r.count("qk_nope_head_dim") + rope,  # the query/key head: nope + rope
        "qk_rope_head_dim": rope,
        "v_head_dim": r.count("v_head_dim"),
    }


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
    if model_type in DENSE_FAMILIES and moe:
        fields = ", ".join(f"{k} {v!r}" for k, v in moe.items())
        raise InputError(
            f"{where}: a mixture-of-experts config ({fields}) of model_type {model_type!r}, a "
            f"dense family; tokentui reads a mixture of experts only by its own model_type "
            f"({', '.join(MOE_FAMILIES)}), and never reads one as a dense model"
        )
    r = _Reader(data)
    out: dict[str, Any] = {"id": model_id, "name": name, "family": FAMILIES[model_type]}
    out.update({ours: r.count(theirs) for theirs, ours in _REQUIRED.items()})
    heads = out["num_attention_heads"]
    out["num_key_value_heads"] = r.count("num_key_value_heads", 0) or heads
    # gpt-oss's heads are 64 wide whatever the hidden size (GptOssConfig's default)
    head_dim = r.count("head_dim", 0) or (64 if model_type == "gpt_oss" else 0)
    if head_dim:
        out["head_dim"] = head_dim
    # Gemma 2 ties its embeddings unless it says otherwise (Gemma2Config's default)
    out["tie_word_embeddings"] = r.flag("tie_word_embeddings", model_type == "gemma2")
    # Qwen2 (and Qwen2-MoE) always has q/k/v biases (its config has no field for them); Llama
    # says so if it has; gpt-oss has them unless it says otherwise (GptOssConfig's default).
    bias = r.flag("attention_bias", model_type == "gpt_oss")
    out["attention_bias"] = model_type in ("qwen2", "qwen2_moe") or bias
    if model_type in MOE_FAMILIES:
        out.update(_moe_fields(model_type, r))
    if model_type == "deepseek_v3":
        out["num_key_value_heads"] = heads  # latent attention: every head its own keys, values
    out["dtype"] = r.dtype()
    out["source"] = source
    if r.problems:
        s = "s" if len(r.problems) > 1 else ""
        kind = ""
        if model_type in MOE_FAMILIES:
            kind = f" ('model_type' is {model_type!r}, a mixture of experts)"
        raise InputError(f"{where}: cannot read field{s} {', '.join(r.problems)}{kind}")
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
