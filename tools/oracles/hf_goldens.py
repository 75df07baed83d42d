#!/usr/bin/env python3
"""Golden logits from Hugging Face transformers (Gemma4ForCausalLM / Gemma3ForCausalLM) for rullama's fixtures.

Self-contained: needs only torch, transformers and numpy. It reads each fixture's unquantized model-bf16.gguf
(Ollama's unquantized layout: BF16 matrices, F32 vectors; the weights are bf16-representable, so nothing is lost)
with the small GGUF reader below (F32/F16/BF16 tensors only), builds the HF config from the GGUF metadata the way a converter
would, copies the weights in (GGUF [ne0=in, ne1=out] is numpy [out][in] = torch Linear weight; Gemma 3 norms
are stored as 1+w, HF wants w), runs every sequence of tokens.json in float32 on the CPU with eager attention, and
writes <variant>/golden-hf-seq<k>.f32 (little-endian float32 [positions][vocab]) and the "hf" entries of
<variant>/goldens.json.

Before trusting a model it checks what transformers actually built against what the GGUF says: per layer the
q/k/v/o and MLP shapes, which layers own K/V, which have v_proj, the sliding/full type, and the rotary inverse
frequencies of both layer types. The config field names of the spec paraphrase HF and differ between transformers
releases, so anything it cannot express is reported (printed and recorded in goldens.json as "hf": {"status":
"not expressible", ...}) instead of being approximated.

Usage (about a minute, CPU is fine):
  PYTHONUNBUFFERED=1 python3 tools/oracles/hf_goldens.py --fixtures models-gemma4/src/test/resources/fixtures
  ... --check     also print max|hf - llama.cpp| / max|llama.cpp| (and vs the numpy reference) per variant
  ... --check-only  only compare existing goldens
  ... --only e2b,gemma3
"""
from __future__ import annotations

import argparse
import json
import math
import struct
import sys
import time
import traceback
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO / "models-gemma4" / "src" / "test" / "resources" / "fixtures"


# --------------------------------------------------------------------------------------------------------------
# a minimal GGUF reader (v2/v3, little-endian; tensors F32, F16, BF16)

_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Gguf:
    def __init__(self, path: Path):
        self.buf = memoryview(path.read_bytes())
        self.pos = 0
        if bytes(self.buf[:4]) != b"GGUF":
            raise ValueError(f"{path}: not a GGUF file")
        self.pos = 4
        ver = self._u("<I")
        if ver not in (2, 3):
            raise ValueError(f"{path}: GGUF version {ver}")
        n_t, n_kv = self._u("<Q"), self._u("<Q")
        self.kv = {}
        for _ in range(n_kv):
            k = self._str()
            self.kv[k] = self._val(self._u("<I"))
        infos = []
        for _ in range(n_t):
            name = self._str()
            nd = self._u("<I")
            ne = [self._u("<Q") for _ in range(nd)]
            infos.append((name, ne, self._u("<I"), self._u("<Q")))
        align = int(self.kv.get("general.alignment", 32))
        start = (self.pos + align - 1) // align * align
        self.tensors = {}
        for name, ne, t, off in infos:
            self.tensors[name] = (ne, t, start + off)

    def _u(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def _str(self):
        n = self._u("<Q")
        s = bytes(self.buf[self.pos:self.pos + n]).decode("utf-8")
        self.pos += n
        return s

    def _val(self, t):
        if t == 8:
            return self._str()
        if t == 9:
            et, n = self._u("<I"), self._u("<Q")
            return [self._val(et) for _ in range(n)]
        return self._u(_SCALAR[t])

    def tensor(self, name: str) -> np.ndarray:
        ne, t, off = self.tensors[name]
        n = int(np.prod(ne))
        shape = tuple(reversed(ne))
        if t == 0:
            return np.frombuffer(self.buf, "<f4", n, off).reshape(shape).copy()
        if t == 1:
            return np.frombuffer(self.buf, "<f2", n, off).astype(np.float32).reshape(shape)
        if t == 30:
            u = np.frombuffer(self.buf, "<u2", n, off).astype(np.uint32) << 16
            return u.view(np.float32).reshape(shape)
        raise ValueError(f"{name}: tensor type {t} is quantized; hf_goldens reads the F32 fixture only")


# --------------------------------------------------------------------------------------------------------------
# GGUF metadata -> the facts HF needs

class NotExpressible(Exception):
    pass


def facts(g: Gguf) -> dict:
    kv = g.kv
    arch = kv["general.architecture"]
    a = arch + "."
    L = int(kv[a + "block_count"])

    def per_layer(key, default=None):
        v = kv.get(a + key, default)
        return [int(x) for x in v] if isinstance(v, list) else [int(v)] * L

    f = dict(arch=arch, L=L, d=int(kv[a + "embedding_length"]), H=int(kv[a + "attention.head_count"]),
             vocab=g.tensors["token_embd.weight"][0][1], eps=float(kv.get(a + "attention.layer_norm_rms_epsilon", 1e-6)),
             window=int(kv[a + "attention.sliding_window"]), ctx=int(kv[a + "context_length"]),
             ff=per_layer("feed_forward_length"), kv_heads=per_layer("attention.head_count_kv"))
    if arch == "gemma4":
        f["swa"] = [bool(x) for x in kv[a + "attention.sliding_window_pattern"]]
        f["hd_full"], f["hd_swa"] = int(kv[a + "attention.key_length"]), int(kv[a + "attention.key_length_swa"])
        f["theta_full"], f["theta_swa"] = float(kv[a + "rope.freq_base"]), float(kv[a + "rope.freq_base_swa"])
        if int(kv.get(a + "rope.dimension_count", f["hd_full"])) != f["hd_full"] or \
                int(kv.get(a + "rope.dimension_count_swa", f["hd_swa"])) != f["hd_swa"]:
            raise NotExpressible("rope.dimension_count differs from the head dim")
        rf = g.tensor("rope_freqs.weight")
        n_rot = int(np.sum(rf == 1.0))
        if not (np.all(rf[:n_rot] == 1.0) and np.all(rf[n_rot:] >= 1e29)):
            raise NotExpressible(f"rope_freqs is not 1.0 then 1e30: {rf[:8]}...")
        f["partial_rotary_factor"] = 2.0 * n_rot / f["hd_full"]
        f["n_shared"] = int(kv.get(a + "attention.shared_kv_layers", 0))
        f["softcap"] = float(kv.get(a + "final_logit_softcapping", 0.0)) or None
        f["ple"] = int(kv.get(a + "embedding_length_per_layer_input", 0))
        f["n_expert"] = int(kv.get(a + "expert_count", 0))
        f["top_k"] = int(kv.get(a + "expert_used_count", 0))
        f["ff_exp"] = int(kv.get(a + "expert_feed_forward_length", 0))
        first_shared = L - f["n_shared"]
        f["own_kv"] = [i < first_shared for i in range(L)]
        f["has_v"] = [f"blk.{i}.attn_v.weight" in g.tensors for i in range(L)]
        f["has_scale"] = [f"blk.{i}.layer_output_scale.weight" in g.tensors for i in range(L)]
    else:
        hd = int(kv[a + "attention.key_length"])
        f["hd_full"] = f["hd_swa"] = hd
        pat = kv.get(a + "attention.sliding_window_pattern")
        f["swa"] = [bool(x) for x in pat] if pat is not None else [(i + 1) % 6 != 0 for i in range(L)]
        f["theta_full"] = float(kv.get(a + "rope.freq_base", 1e6))
        # llama.cpp reads rope.freq_base_swa (default 10000); Ollama writes rope.local.freq_base
        f["theta_swa"] = float(kv.get(a + "rope.freq_base_swa", kv.get(a + "rope.local.freq_base", 1e4)))
        f["rope_scaling"] = None
        if a + "rope.scaling.type" in kv and kv.get(a + "rope.scaling.factor"):
            f["rope_scaling"] = (kv[a + "rope.scaling.type"], float(kv[a + "rope.scaling.factor"]))
        f["softcap"] = float(kv.get(a + "final_logit_softcapping", 0.0)) or None
    return f


def layer_types(f):
    return ["sliding_attention" if s else "full_attention" for s in f["swa"]]


def hd_of(f, i):
    return f["hd_swa"] if f["swa"][i] else f["hd_full"]


# --------------------------------------------------------------------------------------------------------------
# config + model construction

def gemma4_config_kwargs(f: dict) -> dict:
    L = f["L"]
    swa_kv = {f["kv_heads"][i] for i in range(L) if f["swa"][i]}
    full_kv = {f["kv_heads"][i] for i in range(L) if not f["swa"][i]}
    if len(swa_kv) != 1 or len(full_kv) != 1:
        raise NotExpressible(f"KV heads vary within a layer type: {f['kv_heads']}")
    kv_s, kv_f = swa_kv.pop(), full_kv.pop()
    k_eq_v = not all(f["has_v"][i] for i in range(L) if not f["swa"][i] and f["own_kv"][i])
    if any(not f["has_v"][i] for i in range(L) if f["swa"][i] and f["own_kv"][i]):
        raise NotExpressible("an S layer without attn_v")
    if kv_f != kv_s and not k_eq_v:
        raise NotExpressible("different KV heads on F layers without K=V (HF ties the override to attention_k_eq_v)")
    base = min(f["ff"])
    double = [2 * base if not f["own_kv"][i] else base for i in range(L)]
    if f["ff"] == [base] * L:
        use_double = False
    elif f["ff"] == double and f["n_shared"] > 0:
        use_double = True
    else:
        raise NotExpressible(f"per-layer FFN widths {f['ff']} are not 'double wide on the KV-shared layers'")
    if not all(f["has_scale"]) and any(f["has_scale"]):
        pass  # HF keeps layer_scalar=1 where the GGUF has none: expressible
    kw = dict(
        vocab_size=f["vocab"], hidden_size=f["d"], intermediate_size=base, num_hidden_layers=L,
        num_attention_heads=f["H"], num_key_value_heads=kv_s, head_dim=f["hd_swa"], global_head_dim=f["hd_full"],
        hidden_activation="gelu_pytorch_tanh", max_position_embeddings=f["ctx"], rms_norm_eps=f["eps"],
        tie_word_embeddings=True, sliding_window=f["window"], layer_types=layer_types(f),
        final_logit_softcapping=f["softcap"], vocab_size_per_layer_input=f["vocab"],
        hidden_size_per_layer_input=f["ple"], attention_k_eq_v=k_eq_v, num_kv_shared_layers=f["n_shared"],
        use_double_wide_mlp=use_double, enable_moe_block=f["n_expert"] > 0, attention_bias=False,
        use_bidirectional_attention=None, pad_token_id=0, eos_token_id=1, bos_token_id=2,
        rope_parameters={
            "sliding_attention": {"rope_type": "default", "rope_theta": f["theta_swa"]},
            "full_attention": {"rope_type": "proportional", "partial_rotary_factor": f["partial_rotary_factor"],
                               "rope_theta": f["theta_full"]},
        },
    )
    if k_eq_v:
        kw["num_global_key_value_heads"] = kv_f
    if f["n_expert"]:
        kw.update(num_experts=f["n_expert"], top_k_experts=f["top_k"], moe_intermediate_size=f["ff_exp"])
    return kw


def gemma3_config_kwargs(f: dict, style: str) -> dict:
    if len(set(f["kv_heads"])) != 1 or len(set(f["ff"])) != 1:
        raise NotExpressible("per-layer KV heads or FFN widths in Gemma 3")
    kw = dict(
        vocab_size=f["vocab"], hidden_size=f["d"], intermediate_size=f["ff"][0], num_hidden_layers=f["L"],
        num_attention_heads=f["H"], num_key_value_heads=f["kv_heads"][0], head_dim=f["hd_full"],
        query_pre_attn_scalar=f["hd_full"], hidden_activation="gelu_pytorch_tanh", max_position_embeddings=f["ctx"],
        rms_norm_eps=f["eps"], tie_word_embeddings=True, sliding_window=f["window"], layer_types=layer_types(f),
        final_logit_softcapping=f["softcap"], attn_logit_softcapping=None, attention_bias=False,
        pad_token_id=0, eos_token_id=1, bos_token_id=2,
    )
    full = {"rope_type": "default", "rope_theta": f["theta_full"]}
    if f["rope_scaling"]:
        typ, factor = f["rope_scaling"]
        if typ != "linear":
            raise NotExpressible(f"rope scaling {typ}")
        full = {"rope_type": "linear", "factor": factor, "rope_theta": f["theta_full"]}
    if style == "rope_parameters":        # transformers >= 5: one dict per layer type
        kw["rope_parameters"] = {"sliding_attention": {"rope_type": "default", "rope_theta": f["theta_swa"]},
                                 "full_attention": full}
    else:                                 # transformers 4.5x: rope_theta + rope_local_base_freq + rope_scaling
        kw["rope_theta"] = f["theta_full"]
        kw["rope_local_base_freq"] = f["theta_swa"]
        if f["rope_scaling"]:
            kw["rope_scaling"] = {"rope_type": "linear", "factor": f["rope_scaling"][1]}
    return kw


def build(arch: str, kw: dict):
    import torch
    import transformers
    if arch == "gemma4":
        cfg_cls, model_cls = transformers.Gemma4TextConfig, transformers.Gemma4ForCausalLM
    else:
        cfg_cls, model_cls = transformers.Gemma3TextConfig, transformers.Gemma3ForCausalLM
    cfg = cfg_cls(**kw, attn_implementation="eager")
    cfg._attn_implementation = "eager"
    torch.manual_seed(0)
    model = model_cls(cfg).to(torch.float32).eval()
    return cfg, model


def expected_inv_freq(f: dict, layer_type: str) -> np.ndarray:
    if layer_type == "sliding_attention":
        hd, theta = f["hd_swa"], f["theta_swa"]
        inv = theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
        return inv
    hd, theta = f["hd_full"], f["theta_full"]
    inv = theta ** (-np.arange(0, hd, 2, dtype=np.float64) / hd)
    if f["arch"] == "gemma4":
        n_rot = int(round(f["partial_rotary_factor"] * hd / 2))
        inv[n_rot:] = 0.0
    elif f["rope_scaling"]:
        inv = inv / f["rope_scaling"][1]
    return inv


def hf_inv_freqs(model) -> dict[str, np.ndarray]:
    """Find the rotary inverse frequencies per layer type, across transformers versions."""
    out = {}
    base = model.model
    rot = getattr(base, "rotary_emb", None)
    for lt in ("sliding_attention", "full_attention"):
        t = getattr(rot, f"{lt}_inv_freq", None) if rot is not None else None
        if t is not None:
            out[lt] = t.detach().double().cpu().numpy()
    if not out:  # transformers 4.5x Gemma 3: rotary_emb (global) and rotary_emb_local
        if rot is not None and hasattr(rot, "inv_freq"):
            out["full_attention"] = rot.inv_freq.detach().double().cpu().numpy()
        loc = getattr(base, "rotary_emb_local", None)
        if loc is not None and hasattr(loc, "inv_freq"):
            out["sliding_attention"] = loc.inv_freq.detach().double().cpu().numpy()
    return out


def verify(f: dict, model) -> list[str]:
    """Compare the built HF model with the GGUF facts; returns a list of mismatches."""
    bad = []
    layers = model.model.layers
    if len(layers) != f["L"]:
        return [f"{len(layers)} layers, GGUF has {f['L']}"]
    for i, lyr in enumerate(layers):
        at = lyr.self_attn
        hd = hd_of(f, i)
        want_sliding = f["swa"][i]
        is_sliding = getattr(at, "is_sliding", None)
        if is_sliding is None:
            is_sliding = getattr(at, "sliding_window", None) is not None
        if bool(is_sliding) != want_sliding:
            bad.append(f"layer {i}: sliding={is_sliding}, GGUF says {want_sliding}")
        if tuple(at.q_proj.weight.shape) != (f["H"] * hd, f["d"]):
            bad.append(f"layer {i}: q_proj {tuple(at.q_proj.weight.shape)} != {(f['H'] * hd, f['d'])}")
        if tuple(at.o_proj.weight.shape) != (f["d"], f["H"] * hd):
            bad.append(f"layer {i}: o_proj {tuple(at.o_proj.weight.shape)}")
        own = f["own_kv"][i] if f["arch"] == "gemma4" else True
        k = getattr(at, "k_proj", None)
        if own:
            if k is None:
                bad.append(f"layer {i}: no k_proj")
            elif tuple(k.weight.shape) != (f["kv_heads"][i] * hd, f["d"]):
                bad.append(f"layer {i}: k_proj {tuple(k.weight.shape)} != {(f['kv_heads'][i] * hd, f['d'])}")
            v = getattr(at, "v_proj", None)
            want_v = f["has_v"][i] if f["arch"] == "gemma4" else True
            if (v is not None) != want_v:
                bad.append(f"layer {i}: v_proj present={v is not None}, GGUF attn_v present={want_v}")
        elif f["arch"] == "gemma4" and not getattr(at, "is_kv_shared_layer", False):
            bad.append(f"layer {i}: GGUF says KV-shared, HF layer is not")
        if tuple(lyr.mlp.gate_proj.weight.shape) != (f["ff"][i], f["d"]):
            bad.append(f"layer {i}: mlp {tuple(lyr.mlp.gate_proj.weight.shape)} != {(f['ff'][i], f['d'])}")
        if f["arch"] == "gemma4" and f["n_expert"]:
            e = lyr.experts
            if tuple(e.gate_up_proj.shape) != (f["n_expert"], 2 * f["ff_exp"], f["d"]):
                bad.append(f"layer {i}: experts.gate_up_proj {tuple(e.gate_up_proj.shape)}")
    inv = hf_inv_freqs(model)
    for lt in set(layer_types(f)):
        if lt not in inv:
            bad.append(f"cannot find HF inv_freq for {lt}")
            continue
        want = expected_inv_freq(f, lt)
        got = inv[lt]
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6, atol=1e-12):
            bad.append(f"{lt} inv_freq mismatch: HF {got[:4]}... {got[-2:]} vs GGUF {want[:4]}... {want[-2:]}")
    cfg = model.config
    if f.get("softcap") != getattr(cfg, "final_logit_softcapping", None):
        bad.append(f"final_logit_softcapping {getattr(cfg, 'final_logit_softcapping', None)} != {f.get('softcap')}")
    if getattr(cfg, "sliding_window", None) != f["window"]:
        bad.append(f"sliding_window {getattr(cfg, 'sliding_window', None)} != {f['window']}")
    return bad


# --------------------------------------------------------------------------------------------------------------
# weights

G4_LAYER = {
    "attn_norm.weight": "input_layernorm.weight",
    "attn_q.weight": "self_attn.q_proj.weight", "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight", "attn_output.weight": "self_attn.o_proj.weight",
    "attn_q_norm.weight": "self_attn.q_norm.weight", "attn_k_norm.weight": "self_attn.k_norm.weight",
    "post_attention_norm.weight": "post_attention_layernorm.weight",
    "ffn_norm.weight": "pre_feedforward_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight", "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight", "post_ffw_norm.weight": "post_feedforward_layernorm.weight",
    "layer_output_scale.weight": "layer_scalar",
    "inp_gate.weight": "per_layer_input_gate.weight", "proj.weight": "per_layer_projection.weight",
    "post_norm.weight": "post_per_layer_input_norm.weight",
    "ffn_gate_inp.weight": "router.proj.weight", "ffn_gate_inp.scale": "router.scale",
    "ffn_down_exps.scale": "router.per_expert_scale", "ffn_gate_inp.per_expert_scale": "router.per_expert_scale",
    "ffn_gate_up_exps.weight": "experts.gate_up_proj", "ffn_down_exps.weight": "experts.down_proj",
    "pre_ffw_norm_2.weight": "pre_feedforward_layernorm_2.weight",
    "post_ffw_norm_1.weight": "post_feedforward_layernorm_1.weight",
    "post_ffw_norm_2.weight": "post_feedforward_layernorm_2.weight",
}
G4_GLOBAL = {
    "token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
    "per_layer_token_embd.weight": "model.embed_tokens_per_layer.weight",
    "per_layer_model_proj.weight": "model.per_layer_model_projection.weight",
    "per_layer_proj_norm.weight": "model.per_layer_projection_norm.weight",
}
G3_NORMS = ("attn_norm.weight", "post_attention_norm.weight", "ffn_norm.weight", "post_ffw_norm.weight",
            "attn_q_norm.weight", "attn_k_norm.weight")


def state_dict_from_gguf(g: Gguf, f: dict) -> tuple[dict, list[str]]:
    sd, skipped = {}, []
    g3 = f["arch"] == "gemma3"
    split = {}
    for name in g.tensors:
        if name == "rope_freqs.weight":
            continue                                   # HF derives it from partial_rotary_factor (verified)
        a = g.tensor(name)
        if not name.startswith("blk."):
            if name not in G4_GLOBAL:
                raise NotExpressible(f"unmapped tensor {name}")
            if g3 and name == "output_norm.weight":
                a = a - 1.0
            sd[G4_GLOBAL[name]] = a
            continue
        _, il, rest = name.split(".", 2)
        il = int(il)
        if rest in ("ffn_gate_exps.weight", "ffn_up_exps.weight"):
            split.setdefault(il, {})[rest] = a
            continue
        if rest not in G4_LAYER:
            raise NotExpressible(f"unmapped tensor {name}")
        if f["arch"] == "gemma4" and not f["own_kv"][il] and rest in ("attn_k.weight", "attn_v.weight",
                                                                        "attn_k_norm.weight"):
            skipped.append(name)                       # KV-shared layers: present in the blob, unused by design
            continue
        if g3 and rest in G3_NORMS:
            a = a - 1.0
        if rest == "layer_output_scale.weight":
            a = a.reshape(1)
        sd[f"model.layers.{il}.{G4_LAYER[rest]}"] = a
    for il, parts in split.items():                    # Ollama's legacy split experts: gate rows, then up rows
        sd[f"model.layers.{il}.experts.gate_up_proj"] = np.concatenate(
            [parts["ffn_gate_exps.weight"], parts["ffn_up_exps.weight"]], axis=1)
    return sd, skipped


def load_weights(model, sd: dict) -> list[str]:
    import torch
    own = model.state_dict()
    problems = []
    for k, a in sd.items():
        if k not in own:
            problems.append(f"HF has no parameter/buffer {k}")
            continue
        if tuple(own[k].shape) != tuple(a.shape):
            problems.append(f"{k}: HF {tuple(own[k].shape)} vs GGUF {tuple(a.shape)}")
    if problems:
        return problems
    with torch.no_grad():
        for k, a in sd.items():
            own[k].copy_(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
        model.lm_head.weight = model.model.embed_tokens.weight   # tied, as in the GGUF (no output.weight)
    not_loaded = [k for k in own if k not in sd and not k.startswith("lm_head.")
                  and not k.endswith("layer_scalar")]           # layer_scalar stays 1 where the GGUF has none
    return [f"not loaded from the GGUF: {k}" for k in not_loaded]


# --------------------------------------------------------------------------------------------------------------

def base_model(vdir: Path) -> Path | None:
    for n in ("model-bf16.gguf", "model-f32.gguf"):
        if (vdir / n).exists():
            return vdir / n
    return None


def note_no_base(vdir: Path) -> None:
    """Quantized-only fixtures (moe-legacy): HF has nothing to run; point at the variant with the same weights."""
    cfg = json.loads((vdir / "config.json").read_text()).get("config", {})
    idx_path = vdir / "goldens.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"variant": vdir.name, "goldens": []}
    idx["hf"] = dict(status="no unquantized file in this fixture",
                     reason=f"same weights as ../{cfg.get('weights_drawn_as', '?')} (its golden-hf-seq*.f32 apply)")
    idx_path.write_text(json.dumps(idx, indent=1) + "\n")
    print(f"  {vdir.name}: no unquantized file; HF goldens of ../{cfg.get('weights_drawn_as', '?')} apply")


def run_variant(vdir: Path, versions: dict) -> dict:
    import torch
    f32 = base_model(vdir)
    seqs = json.loads((vdir / "tokens.json").read_text())["sequences"]
    g = Gguf(f32)
    f = facts(g)
    status = dict(model=f32.name, **versions)
    t0 = time.time()
    try:
        if f["arch"] == "gemma4":
            attempts = [("rope_parameters", gemma4_config_kwargs(f))]
        else:
            attempts = [(s, gemma3_config_kwargs(f, s)) for s in ("rope_parameters", "legacy_rope_keys")]
        model = None
        tried = []
        for style, kw in attempts:
            cfg, m = build(f["arch"], kw)
            bad = verify(f, m)
            tried.append(dict(style=style, mismatches=bad))
            if not bad:
                model, status["config_kwargs"] = m, kw
                break
            print(f"  {vdir.name}: config style {style}: HF built something else:\n    " + "\n    ".join(bad))
        if model is None:
            fields = sorted(getattr(type(cfg), "__dataclass_fields__", {}) or vars(cfg))
            print(f"  {vdir.name}: installed config class fields: {fields}")
            raise NotExpressible(f"HF model does not match the GGUF: {tried}")
        sd, skipped = state_dict_from_gguf(g, f)
        problems = load_weights(model, sd)
        if problems:
            raise NotExpressible("; ".join(problems))
        status["unused_gguf_tensors"] = skipped
        status["attn_implementation"] = getattr(model.config, "_attn_implementation", None)
        goldens = []
        with torch.no_grad():
            for k, seq in enumerate(seqs, 1):
                out = model(input_ids=torch.tensor([seq], dtype=torch.long), use_cache=False)
                z = out.logits[0].detach().to(torch.float32).cpu().numpy()
                if not np.all(np.isfinite(z)):
                    raise RuntimeError(f"non-finite HF logits for seq{k}")
                name = f"golden-hf-seq{k}.f32"
                z.astype("<f4").tofile(vdir / name)
                goldens.append(dict(file=name, source="hf-transformers", model=f32.name,
                                    quant=f32.name[len("model-"):-len(".gguf")], compute="float32, CPU, eager", seq=k,
                                    shape=list(z.shape), dtype="float32 little-endian", layout="[position][vocab]",
                                    **versions))
        status["status"] = "ok"
    except NotExpressible as e:
        status.update(status="not expressible", reason=str(e))
        goldens = []
        print(f"  {vdir.name}: NOT EXPRESSIBLE in this transformers: {e}")
    except Exception as e:  # keep going with the other variants, but record what broke
        status.update(status="error", reason=f"{type(e).__name__}: {e}", traceback=traceback.format_exc())
        goldens = []
        print(f"  {vdir.name}: ERROR {type(e).__name__}: {e}")
    status["seconds"] = round(time.time() - t0, 2)
    idx_path = vdir / "goldens.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"variant": vdir.name, "goldens": []}
    idx["goldens"] = [x for x in idx["goldens"] if x.get("source") != "hf-transformers"] + goldens
    idx["goldens"].sort(key=lambda x: x["file"])
    idx["hf"] = status
    idx_path.write_text(json.dumps(idx, indent=1) + "\n")
    if status["status"] == "ok":
        print(f"  {vdir.name}: ok ({status['seconds']} s)")
    return idx


def check(vdir: Path) -> None:
    idx_path = vdir / "goldens.json"
    if not idx_path.exists():
        return
    idx = json.loads(idx_path.read_text())
    by = {(g["source"], g.get("quant"), g["seq"]): g for g in idx["goldens"]}

    def arr(g):
        return np.fromfile(vdir / g["file"], dtype="<f4").reshape(g["shape"])

    for (src, quant, seq), g in sorted(by.items()):
        if src != "hf-transformers":
            continue
        hf = arr(g)
        for other, oq in (("llama.cpp", "f32"), ("llama.cpp", "bf16"), ("numpy-spec-f64", quant)):
            o = by.get((other, oq, seq))
            if o is None:
                continue
            other = f"{other}-{oq}"
            ref = arr(o)
            rel = float(np.max(np.abs(hf - ref)) / np.max(np.abs(ref)))
            agree = float(np.mean(hf.argmax(1) == ref.argmax(1)))
            print(f"  {vdir.name:13s} seq{seq}  max|hf - {other}| / max|{other}| = {rel:.2e}   argmax agree {agree:.0%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--only", default="")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--check-only", action="store_true")
    args = ap.parse_args()
    vdirs = [p for p in sorted(args.fixtures.iterdir()) if base_model(p) is not None
             and (not args.only or p.name in args.only.split(","))]
    if not args.check_only:
        import torch
        import transformers
        torch.set_num_threads(max(1, min(8, torch.get_num_threads())))
        versions = dict(transformers=transformers.__version__, torch=torch.__version__, numpy=np.__version__)
        print(f"transformers {versions['transformers']}, torch {versions['torch']}")
        for name in ("Gemma4TextConfig", "Gemma4ForCausalLM", "Gemma3TextConfig", "Gemma3ForCausalLM"):
            if not hasattr(transformers, name):
                print(f"  this transformers has no {name}")
        for vdir in vdirs:
            run_variant(vdir, versions)
        for vdir in sorted(args.fixtures.iterdir()):
            if (vdir / "tokens.json").exists() and base_model(vdir) is None and \
                    (not args.only or vdir.name in args.only.split(",")):
                note_no_base(vdir)
    if args.check or args.check_only:
        print("HF vs the other oracles on the unquantized fixture (max abs difference / max abs reference).\n"
              "llama.cpp-f32 ran an F32 upcast of model-bf16.gguf (same values); llama.cpp-bf16 rounds activations to bf16:")
        for vdir in vdirs:
            check(vdir)


if __name__ == "__main__":
    main()
