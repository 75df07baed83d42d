#!/usr/bin/env python3
"""Tiny synthetic Gemma 4 / Gemma 3 models in Ollama's GGUF layout, for rullama's end-to-end tests.

For every variant in fixture_model.VARIANTS this writes, under
models-gemma4/src/test/resources/fixtures/<variant>/ (or the directory given with --out):

* model-bf16.gguf     the unquantized model as Ollama's converter writes Gemma: 2-D/3-D weights BF16 (the weights
                      are drawn bf16-representable, so nothing is lost), ffn_gate_inp and every 1-D tensor F32;
* model-q8_0.gguf     Ollama's quantizer rules for file type Q8_0 (7);
* model-q4_0.gguf     Ollama's quantizer rules for file type Q4_0 (2);
* model-q4_k_m.gguf   Ollama's quantizer rules for file type Q4_K_M (15): token_embd Q6_K, attn_v/ffn_down Q6_K on
                      the "more bits" layers, other 2-D weights Q4_K, with Ollama's fallbacks (Q4_K->Q5_0,
                      Q6_K->Q8_0) where ne0 is not a multiple of 256;
* tokens.json         two fixed token sequences (first id BOS=2);
* config.json         the variant's dimensions, per-layer facts (type, head dim, KV heads, donor, FFN width), the
                      tensor types of every file and the sha256 of every file.

All files of a variant hold the same underlying weights (drawn once, seeded, rounded to bf16-representable
values; the quantized files are quantized from those values as Ollama quantizes a BF16 blob). Ollama's layout,
as produced by its converter and quantizer (ollama/ollama convert/convert_gemma4.go, convert/convert_gemma3.go,
fs/ggml/gguf.go WriteGGUF, server/quantization.go):
* keys sorted by name (so general.architecture is not first), arch-prefixed; tokenizer.ggml.model "llama" (also for
  Gemma 4, with tokenizer.ggml.pre "gemma4"); Gemma 4 scores are the token index as a float;
* tensors sorted by (block, name), data aligned to 32, no general.alignment key;
* Gemma 3 norm weights stored with the +1 already added; Gemma 4 norm weights stored as is;
* one global rope_freqs.weight [hd_F/2] (1.0 for the first p*hd_F/2 entries, 1e30 after) for Gemma 4.

Quantization uses ggml's own quantizer (ggml_quantize_chunk from the libggml that llama-cpp-python ships, the same
routine Ollama's quantizer calls), so the blocks are what Ollama would write. Every written file is read back with
the PyPI `gguf` package and checked (key and tensor order, alignment, types, and gguf.quants' independent
dequantization giving exactly the values the oracles use). The MoE token sequences are chosen for robust routing
(see robust_moe_sequences).

Usage: python3 tools/oracles/make_fixtures.py [--out DIR] [--only e2b,gemma3]
Needs: numpy, gguf (PyPI), llama-cpp-python (for libggml's quantizer).
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import math
import re
import sys
import zlib
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as VT
from gguf.quants import dequantize

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fixture_model as fm  # noqa: E402

SEED = 20261127
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "models-gemma4" / "src" / "test" / "resources" / "fixtures"

# Ollama file types (fs/ggml FileType) and the tensor type each one requests by default.
FILE_TYPES = {
    "bf16": (32, T.BF16),
    "q8_0": (7, T.Q8_0),
    "q4_0": (2, T.Q4_0),
    "q4_k_m": (15, T.Q4_K),
}
FTYPE_Q4_K_M = 15

SPECIAL_G4 = {0: "<pad>", 1: "<eos>", 2: "<bos>", 3: "<unk>", 105: "<|turn>", 106: "<turn|>"}
SPECIAL_G3 = {0: "<pad>", 1: "<eos>", 2: "<bos>", 3: "<unk>", 105: "<start_of_turn>", 106: "<end_of_turn>"}
BYTE_BASE = 238            # <0x00> .. <0xFF> occupy ids 238..493, as in Gemma's SentencePiece vocabulary
NEWLINE_ID = 107           # "\n" is a piece of its own in both Gemma vocabularies


# --------------------------------------------------------------------------------------------------------------
# numeric helpers

def bf16_round(x: np.ndarray) -> np.ndarray:
    """Round float32 to the nearest bf16-representable value (ties to even), returned as float32."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.astype(np.uint32).view(np.float32)


class Ggml:
    """ggml_quantize_chunk from the libggml shipped inside the llama_cpp package."""

    def __init__(self) -> None:
        import llama_cpp  # noqa: F401  (loads libggml into the process)
        libdir = Path(llama_cpp.__file__).resolve().parent / "lib"
        cands = sorted(libdir.glob("libggml-base.so*")) + sorted(libdir.glob("libggml.so*"))
        if not cands:
            raise RuntimeError(f"no libggml in {libdir}")
        self.lib = ctypes.CDLL(str(cands[0]))
        f = self.lib.ggml_quantize_chunk
        f.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_float), ctypes.c_void_p, ctypes.c_int64,
                      ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_float)]
        f.restype = ctypes.c_size_t
        self.lib.ggml_quantize_init.argtypes = [ctypes.c_int]
        self.lib.ggml_quantize_init.restype = None
        self.path = cands[0].name

    def quantize(self, rows: np.ndarray, qtype: T) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.float32)
        nrows, n_per_row = rows.shape
        blk, tsz = gguf.GGML_QUANT_SIZES[qtype]
        assert n_per_row % blk == 0
        out = np.zeros((nrows, n_per_row // blk * tsz), dtype=np.uint8)
        self.lib.ggml_quantize_init(int(qtype))
        n = self.lib.ggml_quantize_chunk(int(qtype), rows.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                         out.ctypes.data, 0, nrows, n_per_row, None)
        assert n == out.nbytes, (n, out.nbytes)
        return out


# --------------------------------------------------------------------------------------------------------------
# weights (numpy order: a GGUF tensor with ne = [ne0, ne1, ne2] is an array of shape [ne2, ne1, ne0])

def make_weights(v: dict) -> dict[str, np.ndarray]:
    src = v.get("weights_from", v["name"])
    rng = np.random.default_rng([SEED, zlib.crc32(src.encode())])
    d, V = v["d"], v["vocab"]
    L = fm.n_layer(v)
    W: dict[str, np.ndarray] = {}

    def lin(out_f: int, in_f: int, gain: float = 1.0) -> np.ndarray:
        return rng.standard_normal((out_f, in_f)) * (gain / math.sqrt(in_f))

    def norm(n: int, center: float = 1.0, spread: float = 0.1) -> np.ndarray:
        return center + spread * rng.standard_normal(n)

    g3 = v["family"] == "gemma3"
    # Gemma 3 stores 1+w (HF's (1+w) norms); the draws below are the stored values either way.
    W["token_embd.weight"] = rng.standard_normal((V, d)) / math.sqrt(d)
    W["output_norm.weight"] = norm(d, 6.0, 1.0)
    if not g3:
        hd = v["hd"]
        n_rot = int(v["p_rot"] * hd / 2)
        W["rope_freqs.weight"] = np.array([1.0] * n_rot + [1e30] * (hd // 2 - n_rot))
        P = v["ple"]
        if P:
            W["per_layer_token_embd.weight"] = rng.standard_normal((V, L * P))
            W["per_layer_model_proj.weight"] = lin(L * P, d)
            W["per_layer_proj_norm.weight"] = norm(P)
    for il in range(L):
        p = f"blk.{il}."
        hd, kv, H = fm.head_dim(v, il), fm.n_kv(v, il), v["n_head"]
        ff = fm.ffn_width(v, il)
        W[p + "attn_norm.weight"] = norm(d)
        W[p + "attn_q.weight"] = lin(H * hd, d)
        # Gemma 4 attention has scale 1.0, so small Q/K norm weights keep q.k in a useful range.
        qk_center = 1.0 if g3 else 0.5
        W[p + "attn_q_norm.weight"] = norm(hd, qk_center, 0.1)
        own_kv = fm.has_kv(v, il) or v.get("shared_kv_tensors")
        if own_kv:
            W[p + "attn_k.weight"] = lin(kv * hd, d)
            W[p + "attn_k_norm.weight"] = norm(hd, qk_center, 0.1)
            if fm.has_v(v, il):
                W[p + "attn_v.weight"] = lin(kv * hd, d)
        W[p + "attn_output.weight"] = lin(d, H * hd)
        W[p + "post_attention_norm.weight"] = norm(d)
        W[p + "ffn_norm.weight"] = norm(d)
        W[p + "ffn_gate.weight"] = lin(ff, d)
        W[p + "ffn_up.weight"] = lin(ff, d)
        W[p + "ffn_down.weight"] = lin(d, ff)
        W[p + "post_ffw_norm.weight"] = norm(d)
        if g3:
            continue
        if v["moe"]:
            E, Fe = v["moe"]["n_expert"], v["moe"]["ff_exp"]
            # The router has its own stream, picked (router_seed) so that the 2nd and 3rd router probabilities are
            # well apart at every position/layer: small numeric differences between engines never flip an expert.
            rr = np.random.default_rng([SEED, zlib.crc32(src.encode()), 99, il, v["moe"]["router_seed"]])
            W[p + "ffn_gate_inp.weight"] = rr.standard_normal((E, d)) * v["moe"]["router_gain"]
            W[p + "ffn_gate_inp.scale"] = norm(d, 1.0, 0.2)
            gate = np.stack([lin(Fe, d) for _ in range(E)])
            up = np.stack([lin(Fe, d) for _ in range(E)])
            W[p + "ffn_gate_up_exps.weight"] = np.concatenate([gate, up], axis=1)   # [E, 2*Fe, d]
            W[p + "ffn_down_exps.weight"] = np.stack([lin(d, Fe) for _ in range(E)])  # [E, d, Fe]
            W[p + "ffn_down_exps.scale"] = rng.uniform(0.5, 1.5, E)
            W[p + "pre_ffw_norm_2.weight"] = norm(d)
            W[p + "post_ffw_norm_1.weight"] = norm(d)
            W[p + "post_ffw_norm_2.weight"] = norm(d)
        if v["ple"]:
            P = v["ple"]
            W[p + "inp_gate.weight"] = lin(P, d)
            W[p + "proj.weight"] = lin(d, P)
            W[p + "post_norm.weight"] = norm(d)
        if v["layer_scale"]:
            W[p + "layer_output_scale.weight"] = rng.uniform(0.5, 1.0, 1)
    out = {}
    for k, a in W.items():
        a = np.asarray(a, dtype=np.float32)
        out[k] = a if k == "rope_freqs.weight" else bf16_round(a)
    return out


def legacy_moe_layout(W: dict[str, np.ndarray], v: dict) -> dict[str, np.ndarray]:
    """Ollama's older MoE layout: split gate/up experts, per-expert scale under ffn_gate_inp."""
    out = {}
    Fe = v["moe"]["ff_exp"]
    for k, a in W.items():
        if k.endswith("ffn_gate_up_exps.weight"):
            p = k[: -len("ffn_gate_up_exps.weight")]
            out[p + "ffn_gate_exps.weight"] = np.ascontiguousarray(a[:, :Fe, :])
            out[p + "ffn_up_exps.weight"] = np.ascontiguousarray(a[:, Fe:, :])
        elif k.endswith("ffn_down_exps.scale"):
            out[k[: -len("ffn_down_exps.scale")] + "ffn_gate_inp.per_expert_scale"] = a
        else:
            out[k] = a
    return out


# --------------------------------------------------------------------------------------------------------------
# tokenizer and metadata

def vocab(v: dict) -> tuple[list[str], list[float], list[int], list[str]]:
    V = v["vocab"]
    g4 = v["family"] == "gemma4"
    special = SPECIAL_G4 if g4 else SPECIAL_G3
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    pieces = ["\u2581"] + letters + ["\u2581" + c for c in letters] + ["he", "\u2581the", "in", "er", "an"]
    toks: list[str] = []
    types: list[int] = []
    it = iter(pieces)
    for i in range(V):
        if i in special:
            toks.append(special[i]); types.append(3)
        elif i == NEWLINE_ID:
            toks.append("\n"); types.append(1)
        elif BYTE_BASE <= i < BYTE_BASE + 256:
            toks.append(f"<0x{i - BYTE_BASE:02X}>"); types.append(1 if g4 else 6)
        else:
            p = next(it, None)
            toks.append(p if p is not None else f"<tok_{i}>"); types.append(1)
    if g4:
        scores = [float(i) for i in range(V)]               # Ollama writes the token index as the score
        merges = ["\u2581 t", "h e", "\u2581t he", "i n", "e r", "a n"] + [f"\u2581 {c}" for c in letters if c != "t"]
    else:
        scores = [0.0 if types[i] == 3 else -float(i) for i in range(V)]
        merges = []
    return toks, scores, types, merges


def metadata(v: dict, ftype: int) -> dict[str, tuple[VT, object, VT | None]]:
    """The key/value set Ollama's converter (+ quantizer) writes for this variant, as key -> (type, value, subtype)."""
    kv: dict[str, tuple[VT, object, VT | None]] = {}

    def u32(k, x): kv[k] = (VT.UINT32, int(x), None)
    def f32(k, x): kv[k] = (VT.FLOAT32, float(x), None)
    def st(k, x): kv[k] = (VT.STRING, x, None)
    def bl(k, x): kv[k] = (VT.BOOL, bool(x), None)
    def arr(k, x, sub): kv[k] = (VT.ARRAY, list(x), sub)

    fam = v["family"]
    L = fm.n_layer(v)
    st("general.architecture", fam)
    u32("general.file_type", ftype)
    u32("general.quantization_version", 2)
    toks, scores, types, merges = vocab(v)
    st("tokenizer.ggml.model", "llama")
    st("tokenizer.ggml.pre", "gemma4" if fam == "gemma4" else "default")
    arr("tokenizer.ggml.tokens", toks, VT.STRING)
    arr("tokenizer.ggml.scores", scores, VT.FLOAT32)
    arr("tokenizer.ggml.token_type", types, VT.INT32)
    if merges:
        arr("tokenizer.ggml.merges", merges, VT.STRING)
    u32("tokenizer.ggml.bos_token_id", 2)
    u32("tokenizer.ggml.eos_token_id", 1)
    u32("tokenizer.ggml.unknown_token_id", 3)
    u32("tokenizer.ggml.padding_token_id", 0)
    bl("tokenizer.ggml.add_bos_token", fam == "gemma3")
    bl("tokenizer.ggml.add_eos_token", False)
    a = fam + "."
    u32(a + "block_count", L)
    u32(a + "embedding_length", v["d"])
    u32(a + "context_length", v["ctx"])
    u32(a + "attention.head_count", v["n_head"])
    f32(a + "attention.layer_norm_rms_epsilon", v["eps"])
    u32(a + "attention.sliding_window", v["window"])
    if fam == "gemma3":
        u32(a + "feed_forward_length", v["ff"])
        u32(a + "attention.head_count_kv", v["kv"])
        u32(a + "attention.key_length", v["hd"])
        u32(a + "attention.value_length", v["hd"])
        f32(a + "rope.freq_base", v["rope_base"])
        f32(a + "rope.local.freq_base", v["rope_base_swa"])   # Ollama's spelling; llama.cpp defaults to 10000
        if v["write_pattern"]:
            arr(a + "attention.sliding_window_pattern", [fm.is_swa(v, i) for i in range(L)], VT.BOOL)
        if v["rope_scaling"]:
            st(a + "rope.scaling.type", v["rope_scaling"][0])
            f32(a + "rope.scaling.factor", v["rope_scaling"][1])
        return kv
    widths = [fm.ffn_width(v, i) for i in range(L)]
    if len(set(widths)) > 1:
        arr(a + "feed_forward_length", widths, VT.INT32)
    else:
        u32(a + "feed_forward_length", widths[0])
    if v["kv_swa"] != v["kv_full"]:
        arr(a + "attention.head_count_kv", [fm.n_kv(v, i) for i in range(L)], VT.INT32)
    else:
        u32(a + "attention.head_count_kv", v["kv_swa"])
    u32(a + "attention.key_length", v["hd"])
    u32(a + "attention.value_length", v["hd"])
    u32(a + "attention.key_length_swa", v["hd_swa"])
    u32(a + "attention.value_length_swa", v["hd_swa"])
    arr(a + "attention.sliding_window_pattern", [fm.is_swa(v, i) for i in range(L)], VT.BOOL)
    u32(a + "attention.shared_kv_layers", v["n_shared"])
    f32(a + "rope.freq_base", v["rope_base"])
    u32(a + "rope.dimension_count", v["hd"])
    f32(a + "rope.freq_base_swa", v["rope_base_swa"])
    u32(a + "rope.dimension_count_swa", v["hd_swa"])
    f32(a + "final_logit_softcapping", v["softcap"])
    u32(a + "embedding_length_per_layer_input", v["ple"])
    if v["moe"]:
        u32(a + "expert_count", v["moe"]["n_expert"])
        u32(a + "expert_used_count", v["moe"]["top_k"])
        u32(a + "expert_feed_forward_length", v["moe"]["ff_exp"])
    return kv


# --------------------------------------------------------------------------------------------------------------
# Ollama's tensor order and quantizer rules

def tensor_sort_key(name: str):
    m = re.match(r"blk\.(\d+)\.(.*)$", name)
    return ("blk", int(m.group(1)), m.group(2)) if m else (name, -1, "")


def use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


def ollama_tensor_types(shapes: dict[str, tuple[int, ...]], ftype: int, default: T, n_expert: int) -> dict[str, T]:
    """server/quantization.go newType/getTensorNewType, ported; shapes are GGUF ne order. The source is the BF16
    blob of convert/reader.go: 2-D/3-D weights BF16, ffn_gate_inp and 1-D tensors F32."""
    names = sorted(shapes, key=tensor_sort_key)
    src = {n: (T.F32 if len(shapes[n]) < 2 or "ffn_gate_inp" in n else T.BF16) for n in names}
    if ftype == 32:
        return src
    n_attn_v = sum(1 for n in names if "attn_v.weight" in n or "attn_qkv.weight" in n or "attn_kv_b.weight" in n)
    has_output = "output.weight" in names
    n_ffn_down = len({n.split(".")[1] for n in names if n.startswith("blk.")})
    i_attn_v = i_ffn_down = 0
    out = {}
    for name in names:
        shape = shapes[name]
        q = name.endswith("weight") and len(shape) >= 2 and "_norm.weight" not in name
        q = q and "ffn_gate_inp.weight" not in name and "per_layer_token_embd.weight" not in name
        if not q:
            out[name] = src[name]
            continue
        t = default
        if name in ("output.weight", "output_norm.weight") or (not has_output and name == "token_embd.weight"):
            if shape[0] % gguf.GGML_QUANT_SIZES[t][0] != 0:
                t = T.Q8_0
            elif t != T.Q8_0:
                t = T.Q6_K
        elif "attn_v.weight" in name:
            if ftype == FTYPE_Q4_K_M and use_more_bits(i_attn_v, n_attn_v):
                t = T.Q6_K
            if n_expert == 8:
                t = T.Q8_0
            i_attn_v += 1
        elif "attn_k.weight" in name:
            if n_expert == 8:
                t = T.Q8_0
        elif "ffn_down" in name:
            if ftype == FTYPE_Q4_K_M and use_more_bits(i_ffn_down, n_ffn_down):
                t = T.Q6_K
            i_ffn_down += 1
        elif "attn_output.weight" in name:
            if n_expert == 8 and ftype == FTYPE_Q4_K_M:
                t = T.Q5_K
        if shape[0] % gguf.GGML_QUANT_SIZES[t][0] != 0:
            t = {T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0}.get(t, t)
            if shape[0] % gguf.GGML_QUANT_SIZES[t][0] != 0:
                t = T.F16
        out[name] = t
    return out


# --------------------------------------------------------------------------------------------------------------
# writing

def ne_shape(a: np.ndarray) -> tuple[int, ...]:
    return tuple(reversed(a.shape))


def encode(ggml: Ggml, a: np.ndarray, t: T) -> tuple[np.ndarray, np.ndarray]:
    """Returns (array for the writer, dequantized float32 values) for tensor a stored as type t."""
    if t == T.F32:
        return a, a
    rows = a.reshape(-1, a.shape[-1])
    if t in (T.F16, T.BF16):
        q = gguf.quants.quantize(rows, t)
    else:
        q = ggml.quantize(rows, t)
    back = dequantize(q, t).reshape(a.shape).astype(np.float32)   # gguf.quants: independent of ggml
    return q.reshape(*a.shape[:-1], -1), back


def encode_all(ggml: Ggml, W: dict[str, np.ndarray], types: dict[str, T]) -> dict[str, tuple]:
    return {name: (*encode(ggml, W[name], types[name]), types[name]) for name in W}


def write_gguf(path: Path, kv: dict, enc: dict[str, tuple], arch: str) -> None:
    w = gguf.GGUFWriter(str(path), arch)
    w.kv_data = [{}]                                  # drop the writer's leading general.architecture; sort instead
    for k in sorted(kv):
        vt, val, sub = kv[k]
        w.add_key_value(k, val, vt, sub_type=sub)
    for name in sorted(enc, key=tensor_sort_key):
        data, _, t = enc[name]
        if t == T.F32:
            w.add_tensor(name, data)
        else:
            w.add_tensor(name, data, raw_dtype=t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def verify_file(path: Path, kv: dict, enc: dict[str, tuple]) -> None:
    """Re-read a written file with the gguf package's reader and check the Ollama-layout promises."""
    r = gguf.GGUFReader(str(path))
    keys = [k for k in r.fields if not k.startswith("GGUF.")]
    assert keys == sorted(kv), f"{path}: keys not sorted / not as written"
    names = [t.name for t in r.tensors]
    assert names == sorted(enc, key=tensor_sort_key), f"{path}: tensor order"
    assert r.alignment == 32 and "general.alignment" not in r.fields
    for t in r.tensors:
        assert (t.data_offset - r.data_offset) % 32 == 0, f"{path}: {t.name} not aligned"
        data, back, typ = enc[t.name]
        assert t.tensor_type == typ, f"{path}: {t.name} is {t.tensor_type.name}, planned {typ.name}"
        got = dequantize(t.data, t.tensor_type).reshape(back.shape)
        assert np.array_equal(got.astype(np.float32), back), f"{path}: {t.name} values differ"


def sha256(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


_SEQUENCES: dict[str, list[list[int]]] = {}


def token_sequences(v: dict, ggml: Ggml) -> list[list[int]]:
    """Two fixed sequences per weight set (variants that share weights share sequences)."""
    src = v.get("weights_from", v["name"])
    if src in _SEQUENCES:
        return _SEQUENCES[src]
    sv = fm.variant(src)
    rng = np.random.default_rng([SEED, 7, zlib.crc32(src.encode())])
    ordinary = [i for i in range(4, sv["vocab"]) if i not in (105, 106)]
    if sv.get("moe"):
        W = make_weights(sv)
        shapes = {k: ne_shape(a) for k, a in W.items()}
        models = []
        for q in sv.get("quants", tuple(FILE_TYPES)):
            ftype, default = FILE_TYPES[q]
            types = ollama_tensor_types(shapes, ftype, default, sv["moe"]["n_expert"])
            models.append(in_memory_model(sv, {k: e[1] for k, e in encode_all(ggml, W, types).items()}))
        seqs = robust_moe_sequences(models, rng, ordinary)
    else:
        s1 = [2] + [int(x) for x in rng.choice(ordinary, 15)]
        s2 = [2, 105] + [int(x) for x in rng.choice(ordinary, 9)] + [106, NEWLINE_ID, 105]
        seqs = [s1, s2]
    _SEQUENCES[src] = seqs
    return seqs


def in_memory_model(v: dict, W: dict[str, np.ndarray]):
    import numpy_reference as nr
    m = nr.Model.__new__(nr.Model)
    m.kv = {k: val for k, (vt, val, sub) in metadata(v, 0).items()}
    m.arch = v["family"]
    m.W = {k: np.asarray(a, dtype=np.float64) for k, a in W.items()}
    m.types = {}
    return m


def robust_moe_sequences(models: list, rng, ordinary: list[int], n_cand: int = 32) -> list[list[int]]:
    """MoE routing is a discrete choice: where the k-th and (k+1)-th router logits nearly tie, a tiny numeric
    difference (llama.cpp quantizing activations, another engine's rounding) picks another expert and the logits
    jump. Causal attention makes position t depend only on tokens <= t, so the sequences are grown greedily: each
    next token is the best of n_cand random candidates by the smallest router gap at that position, over all
    layers and over the bf16 model and every quantized copy (each quantized file routes by its own weights)."""
    import numpy_reference as nr
    seqs = []
    for prefix, length in (([2], 16), ([2, 105], 14)):
        s = list(prefix)
        while len(s) < length:
            best = None
            for c in rng.choice(ordinary, n_cand, replace=False):
                g = np.inf
                for m in models:
                    st: dict = {}
                    nr.forward(m, s + [int(c)], stats=st)
                    g = min(g, float(st["router_gap_per_position"][-1]))
                if best is None or g > best[0]:
                    best = (g, int(c))
            s.append(best[1])
        seqs.append(s)
    return seqs


def layer_table(v: dict) -> list[dict]:
    rows = []
    for il in range(fm.n_layer(v)):
        r = dict(layer=il, type="S" if fm.is_swa(v, il) else "F", head_dim=fm.head_dim(v, il),
                 n_head_kv=fm.n_kv(v, il), ffn=fm.ffn_width(v, il))
        if v["family"] == "gemma4":
            r.update(own_kv=fm.has_kv(v, il), kv_from=fm.kv_donor(v, il), has_attn_v=fm.has_v(v, il))
        rows.append(r)
    return rows


def build_variant(name: str, out_root: Path, ggml: Ggml) -> dict:
    v = fm.variant(name)
    out = out_root / name
    out.mkdir(parents=True, exist_ok=True)
    W = make_weights(v)
    if v.get("legacy_moe"):
        W = legacy_moe_layout(W, v)
    shapes = {k: ne_shape(a) for k, a in W.items()}
    n_expert = v["moe"]["n_expert"] if v.get("moe") else 0
    files = {}
    for qname in v.get("quants", tuple(FILE_TYPES)):
        ftype, default = FILE_TYPES[qname]
        types = ollama_tensor_types(shapes, ftype, default, n_expert)
        enc = encode_all(ggml, W, types)
        path = out / f"model-{qname}.gguf"
        kv = metadata(v, ftype)
        write_gguf(path, kv, enc, v["family"])
        verify_file(path, kv, enc)
        order = sorted(W, key=tensor_sort_key)
        files[path.name] = dict(
            quant=qname, file_type=ftype, bytes=path.stat().st_size, sha256=sha256(path),
            tensor_types={k: types[k].name for k in order},
            max_abs_dequant_error={k: float(np.max(np.abs(enc[k][1] - W[k]))) for k in order
                                   if types[k] != T.F32},
        )
        print(f"  {name}/{path.name}: {path.stat().st_size / 1e6:.2f} MB", flush=True)
    seqs = token_sequences(v, ggml)
    (out / "tokens.json").write_text(json.dumps({"bos": 2, "sequences": seqs}, indent=1) + "\n")
    cfg = {k: val for k, val in v.items() if k not in ("weights_from",)}
    cfg["weights_drawn_as"] = v.get("weights_from", name)
    if v.get("legacy_moe"):
        cfg["same_values_as"] = {f"model-{q}.gguf": f"../{v['weights_from']}/model-{q}.gguf"
                                 for q in v.get("quants", ())}
    doc = dict(
        variant=name, generator="tools/oracles/make_fixtures.py", seed=SEED,
        versions=dict(numpy=np.__version__, gguf=version("gguf"), llama_cpp_python=version("llama_cpp_python"),
                      ggml_library=ggml.path),
        config=cfg, layers=layer_table(v), files=files,
        tensor_shapes_ne={k: list(shapes[k]) for k in sorted(W, key=tensor_sort_key)},
    )
    (out / "config.json").write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--only", default="", help="comma-separated variant names (default: all)")
    args = ap.parse_args()
    names = [n for n in fm.VARIANTS if not args.only or n in args.only.split(",")]
    ggml = Ggml()
    for n in names:
        build_variant(n, args.out, ggml)


if __name__ == "__main__":
    main()
