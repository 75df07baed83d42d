"""Shared description of rullama's tiny synthetic Gemma fixtures (used by make_fixtures.py and numpy_reference.py).

A variant is a plain dict; the helpers below derive per-layer facts (layer type, head dim, KV heads, FFN width,
KV donor) from it exactly the way spec/gemma4.md describes them, so every script agrees on one definition.
"""
from __future__ import annotations

import copy

G4_COMMON = dict(
    family="gemma4", d=256, vocab=512, hd_swa=64, hd=128, window=4, eps=1e-6,
    rope_base=1.0e6, rope_base_swa=1.0e4, p_rot=0.25, softcap=30.0,
    n_shared=0, ple=0, k_eq_v=False, layer_scale=True, shared_kv_tensors=False,
    double_wide=False, moe=None, legacy_moe=False,
)
G3_COMMON = dict(
    family="gemma3", d=256, vocab=512, window=4, eps=1e-6, rope_base=1.0e6, rope_base_swa=1.0e4,
    rope_scaling=None, write_pattern=False,
)

# Each Gemma 4 pattern string lists the layer types in order: S = sliding window, F = full attention.
VARIANTS: dict[str, dict] = {
    # E2B-like: head dims 64/128, PLE, the last 3 layers share KV (S layers read layer 1, the F layer reads layer 2),
    # double-wide FFN on the shared layers (128 -> 256, per-layer feed_forward_length array; the 256-wide ffn_down
    # get Q4_K/Q6_K), 1 KV head (GQA 2:1), and the shared layers still carry their own (unused)
    # attn_k/attn_v/attn_k_norm, as the checkpoints and Ollama's E2B blobs do.
    "e2b": dict(G4_COMMON, like="gemma4 E2B", pattern="SSFSSF", n_head=2, kv_swa=1, kv_full=1, ff=128,
                double_wide=True, n_shared=3, ple=32, shared_kv_tensors=True, ctx=131072),
    # E4B-like: PLE, scalar FFN width, 2 KV heads with 4 query heads (GQA 2:1), head dims 32/64, an irregular
    # pattern; the shared layers carry no K/V tensors.
    "e4b": dict(G4_COMMON, like="gemma4 E4B", pattern="SSSFSF", n_head=4, kv_swa=2, kv_full=2, hd_swa=32, hd=64,
                ff=64, n_shared=2, ple=32, ctx=131072),
    # 12B-like: K=V on F layers (no attn_v there), head_count_kv array (S 2, F 1), no PLE, no layer_output_scale.
    "g12b": dict(G4_COMMON, like="gemma4 12B", pattern="SSSSSF", n_head=2, kv_swa=2, kv_full=1, hd_swa=32, hd=64, ff=64,
                 k_eq_v=True, layer_scale=False, ctx=262144),
    # 26B-A4B-like: dense MLP (64) + 4 experts (32 wide) top-2 on every layer, K=V on F layers, head_count_kv array.
    "moe": dict(G4_COMMON, like="gemma4 26B-A4B", pattern="SSSSSF", n_head=2, kv_swa=2, kv_full=1, hd_swa=32, hd=64,
                ff=64,
                k_eq_v=True, moe=dict(n_expert=4, top_k=2, ff_exp=32, router_gain=1.5, router_seed=57), ctx=262144),
    # The same weights as "moe" in Ollama's legacy MoE layout: split ffn_gate_exps/ffn_up_exps and the per-expert
    # scale named ffn_gate_inp.per_expert_scale. Only Q4_K_M: quantization runs along rows, so this file holds
    # exactly the values of moe/model-q4_k_m.gguf and shares its goldens (llamacpp_goldens.py checks that).
    "moe-legacy": dict(G4_COMMON, like="gemma4 26B-A4B (legacy Ollama MoE layout)", pattern="SSSSSF", n_head=2,
                       kv_swa=2, kv_full=1, hd_swa=32, hd=64, ff=64, k_eq_v=True, moe=dict(n_expert=4, top_k=2, ff_exp=32, router_gain=1.5, router_seed=57),
                       legacy_moe=True, weights_from="moe", ctx=262144, quants=("q4_k_m",)),
    # 31B-like: K=V on F layers, head_count_kv array (S 2, F 1) under 4 query heads (GQA 2:1 and 4:1), head dims
    # 32/64, two F layers.
    "g31b": dict(G4_COMMON, like="gemma4 31B", pattern="SSFSSF", n_head=4, kv_swa=2, kv_full=1, hd_swa=32, hd=64,
                 ff=64, k_eq_v=True, ctx=262144),
    # Gemma 3: 7 layers so the hardcoded 5:1 rule (layer 5 global) leaves an S layer after the global one; 4 query
    # heads on 1 KV head as in the 270M.
    "gemma3": dict(G3_COMMON, like="gemma3 270M/1B", n_layer=7, n_head=4, kv=1, hd=32, ff=64, ctx=32768),
    # Gemma 3 with the 4B-style linear RoPE scaling (x8) on global layers; same weights as "gemma3". This one also
    # carries the sliding_window_pattern bool array (newer converters write it). Unquantized only.
    "gemma3-rope8": dict(G3_COMMON, like="gemma3 4B (linear rope x8 on globals)", n_layer=7, n_head=4, kv=1, hd=32,
                         ff=64, ctx=131072, rope_scaling=("linear", 8.0), write_pattern=True, weights_from="gemma3",
                         quants=("bf16",)),
}


def variant(name: str) -> dict:
    v = copy.deepcopy(VARIANTS[name])
    v["name"] = name
    if v["family"] == "gemma4":
        v["n_layer"] = len(v["pattern"])
    return v


def n_layer(v: dict) -> int:
    return v["n_layer"]


def is_swa(v: dict, il: int) -> bool:
    if v["family"] == "gemma3":
        return (il + 1) % 6 != 0          # llama.cpp/HF hardcoded 5:1 pattern
    return v["pattern"][il] == "S"


def head_dim(v: dict, il: int) -> int:
    if v["family"] == "gemma3":
        return v["hd"]
    return v["hd_swa"] if is_swa(v, il) else v["hd"]


def n_kv(v: dict, il: int) -> int:
    if v["family"] == "gemma3":
        return v["kv"]
    return v["kv_swa"] if is_swa(v, il) else v["kv_full"]


def first_shared(v: dict) -> int:
    return n_layer(v) - v.get("n_shared", 0)


def has_kv(v: dict, il: int) -> bool:
    return il < first_shared(v)


def kv_donor(v: dict, il: int) -> int:
    """The layer whose K/V layer il attends to: itself, or the last non-shared layer of the same type (spec §3.2)."""
    if has_kv(v, il):
        return il
    for j in range(first_shared(v) - 1, -1, -1):
        if is_swa(v, j) == is_swa(v, il):
            return j
    raise ValueError(f"{v['name']}: no donor for layer {il}")


def has_v(v: dict, il: int) -> bool:
    """Whether layer il has its own attn_v tensor (K=V layers use the raw K projection as V)."""
    if v["family"] == "gemma3":
        return True
    return not (v["k_eq_v"] and not is_swa(v, il))


def ffn_width(v: dict, il: int) -> int:
    if v.get("double_wide") and not has_kv(v, il):
        return 2 * v["ff"]
    return v["ff"]


def layer_types(v: dict) -> list[str]:
    return ["sliding_attention" if is_swa(v, i) else "full_attention" for i in range(n_layer(v))]
