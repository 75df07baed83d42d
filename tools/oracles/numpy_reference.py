#!/usr/bin/env python3
"""A float64 numpy forward pass of Gemma 4 / Gemma 3 written from spec/gemma4.md, reading the fixture GGUFs.

This is the third, *non-independent* oracle: it is written from the same spec as rullama, so it cannot catch a spec
mistake by itself. What it adds:
* it reads every file through the PyPI `gguf` package (reader + gguf.quants dequantization) and only the GGUF keys,
  so it checks that the fixture files say what make_fixtures.py meant;
* on the F32 files it must agree with HF transformers and llama.cpp (run --check), which validates it; on quantized
  files it then gives the logits of "dequantize every weight, compute in high precision", which is what a
  dequantize-then-float engine should match closely (llama.cpp additionally quantizes activations to Q8 for its
  quantized dot products, so its quantized goldens are looser);
* --gelu-f16 emulates llama.cpp's CPU GELU (input rounded to f16, f16 lookup table), which explains most of the
  remaining llama.cpp-vs-exact difference on F32 files.

Usage:
  python3 tools/oracles/numpy_reference.py [--fixtures DIR] [--write] [--check] [--gelu-f16] [--only e2b]
    --write   write <variant>/golden-numpy-<quant>-seq<k>.f32 and add them to goldens.json
    --check   compare against the llama.cpp (and HF, when present) goldens listed in goldens.json
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO / "models-gemma4" / "src" / "test" / "resources" / "fixtures"


class Model:
    def __init__(self, path: Path):
        r = GGUFReader(str(path))
        self.kv = {}
        for k, f in r.fields.items():
            if k.startswith("GGUF."):
                continue
            self.kv[k] = f.contents()
        self.arch = self.kv["general.architecture"]
        self.W = {}
        self.types = {}
        for t in r.tensors:
            a = dequantize(t.data, t.tensor_type)
            self.W[t.name] = np.asarray(a, dtype=np.float64).reshape(tuple(int(x) for x in reversed(t.shape)))
            self.types[t.name] = t.tensor_type.name

    def key(self, k, default=None):
        return self.kv.get(self.arch + "." + k, default)

    def per_layer(self, k, n, default=None):
        v = self.key(k, default)
        return list(v) if isinstance(v, list) else [v] * n


def rmsnorm(x, w=None, eps=1e-6):
    y = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return y * w if w is not None else y


def gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def gelu_ggml_f16(x):
    """ggml-cpu's GELU (GGML_GELU_FP16): f16 input, f16 table value; identity above 10, zero below -10."""
    xh = x.astype(np.float16).astype(np.float32)
    y = gelu_tanh(xh.astype(np.float64)).astype(np.float16).astype(np.float64)
    return np.where(x <= -10.0, 0.0, np.where(x >= 10.0, x, y))


def rope_neox(x, pos, base, n_dims, freq_factors=None, freq_scale=1.0):
    """x: [T, heads, hd]; rotates pairs (i, i + n_dims/2) for i < n_dims/2 (NeoX / HF rotate_half)."""
    half = n_dims // 2
    i = np.arange(half, dtype=np.float64)
    inv = base ** (-2.0 * i / n_dims)
    if freq_factors is not None:
        inv = inv / freq_factors[:half]
    ang = (pos[:, None].astype(np.float64) * freq_scale) * inv[None, :]           # [T, half]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    x1, x2 = x[..., :half], x[..., half:n_dims]
    out = x.copy()
    out[..., :half] = x1 * c - x2 * s
    out[..., half:n_dims] = x2 * c + x1 * s
    return out


def attention(q, K, V, window, scale, gqa_mod=False):
    """q [T, H, hd], K/V [T, KVH, hd]; causal, and a sliding window of `window` keys (incl. self) if window."""
    T, H, _ = q.shape
    KVH = K.shape[1]
    g = H // KVH
    out = np.zeros_like(q[..., : V.shape[-1]])
    pos = np.arange(T)
    mask = pos[None, :] <= pos[:, None]
    if window:
        mask &= (pos[:, None] - pos[None, :]) < window
    for h in range(H):
        kh = h % KVH if gqa_mod else h // g
        s = (q[:, h, :] @ K[:, kh, :].T) * scale
        s = np.where(mask, s, -np.inf)
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        out[:, h, :] = p @ V[:, kh, :]
    return out


def forward(m: Model, tokens: list[int], gelu=gelu_tanh, bugs: frozenset = frozenset(), stats: dict | None = None
            ) -> np.ndarray:
    """Logits [T, vocab] in float64. `bugs` switches on deliberate mistakes (see ABLATIONS) for --ablate."""
    W, arch = m.W, m.arch
    stats = {} if stats is None else stats
    g4 = arch == "gemma4"
    L = int(m.key("block_count"))
    d = int(m.key("embedding_length"))
    H = int(m.key("head_count", None) or m.key("attention.head_count"))
    eps = float(m.key("attention.layer_norm_rms_epsilon", 1e-6))
    window = int(m.key("attention.sliding_window")) + (1 if "swa+1" in bugs else 0)
    kvh = m.per_layer("attention.head_count_kv", L)
    tok = np.asarray(tokens)
    T = len(tokens)
    pos = np.arange(T)
    x = W["token_embd.weight"][tok] * math.sqrt(d)
    if g4:
        pattern = list(m.key("attention.sliding_window_pattern"))
        hd_f, hd_s = int(m.key("attention.key_length")), int(m.key("attention.key_length_swa"))
        base_f, base_s = float(m.key("rope.freq_base")), float(m.key("rope.freq_base_swa"))
        rot_f, rot_s = int(m.key("rope.dimension_count")), int(m.key("rope.dimension_count_swa"))
        n_shared = int(m.key("attention.shared_kv_layers", 0))
        first_shared = L - n_shared
        softcap = float(m.key("final_logit_softcapping", 0.0))
        P = int(m.key("embedding_length_per_layer_input", 0))
        rope_freqs = W.get("rope_freqs.weight")
        if P:
            tokp = W["per_layer_token_embd.weight"][tok].reshape(T, L, P) * math.sqrt(P)
            proj = (x @ W["per_layer_model_proj.weight"].T / math.sqrt(d)).reshape(T, L, P)
            proj = rmsnorm(proj, W["per_layer_proj_norm.weight"], eps)
            if "ple_no_tok_scale" in bugs:
                tokp = tokp / math.sqrt(P)
            ple = (proj + tokp) / math.sqrt(2.0)
    else:
        pattern = [(i + 1) % 6 != 0 for i in range(L)]
        arr = m.key("attention.sliding_window_pattern")
        if arr is not None:
            pattern = list(arr)
        if "last_layer_full" in bugs:
            pattern[-1] = False
        hd_f = hd_s = int(m.key("attention.key_length"))
        base_f = float(m.key("rope.freq_base", 1e6))
        base_s = float(m.key("rope.freq_base_swa", 1e4))
        rot_f = rot_s = hd_f
        scale_type = m.key("rope.scaling.type")
        factor = float(m.key("rope.scaling.factor", 0.0) or 0.0)
        freq_scale_f = 1.0 / factor if (scale_type in (None, "linear") and factor) else 1.0
        softcap = float(m.key("final_logit_softcapping", 0.0) or 0.0)
        first_shared = L
        P = 0

    def g4_rope(t, swa):
        if swa:
            return rope_neox(t, pos, base_s, rot_s)
        if "rope_partial_naive" in bugs:          # "partial rotary over the first p*hd dims": wrong twice (spec 2.3)
            n = int(np.sum(rope_freqs < 1e29)) * 2
            out = t.copy()
            out[..., :n] = rope_neox(t[..., :n], pos, base_f, n)
            return out
        return rope_neox(t, pos, base_f, rot_f, rope_freqs)

    def g3_scale(swa):
        if swa:
            return freq_scale_f if "rope_scale_local_too" in bugs else 1.0
        return freq_scale_f

    kv_cache = {}
    for il in range(L):
        p = f"blk.{il}."
        swa = bool(pattern[il])
        hd = hd_s if swa else hd_f
        h = rmsnorm(x, W[p + "attn_norm.weight"], eps)
        q = (h @ W[p + "attn_q.weight"].T).reshape(T, H, hd)
        q = rmsnorm(q, W[p + "attn_q_norm.weight"], eps)
        if g4:
            ff = None if swa else rope_freqs
            q = g4_rope(q, swa)
            scale = 1.0 / math.sqrt(hd) if "scale_rsqrt" in bugs else 1.0
        else:
            q = rope_neox(q, pos, base_s if swa else base_f, hd, None, g3_scale(swa))
            scale = 1.0 / math.sqrt(hd)
        if il < first_shared:
            kraw = (h @ W[p + "attn_k.weight"].T).reshape(T, kvh[il], hd)
            vraw = (h @ W[p + "attn_v.weight"].T).reshape(T, kvh[il], hd) if p + "attn_v.weight" in W else kraw
            k = rmsnorm(kraw, W[p + "attn_k_norm.weight"], eps)
            if "v_from_normed_k" in bugs and p + "attn_v.weight" not in W:
                vraw = k
            if g4:
                k = g4_rope(k, swa)
                v = vraw if "no_vnorm" in bugs else rmsnorm(vraw, None, eps)
            else:
                k = rope_neox(k, pos, base_s if swa else base_f, hd, None, g3_scale(swa))
                v = vraw
            kv_cache[il] = (k, v)
            K, V = k, v
        else:
            same = [j for j in range(first_shared) if bool(pattern[j]) == swa]
            donor = same[0] if "donor_first" in bugs else same[-1]
            K, V = kv_cache[donor]
        a = attention(q, K, V, window if swa else 0, scale, "gqa_mod" in bugs).reshape(T, H * hd)
        a = a @ W[p + "attn_output.weight"].T
        x = x + rmsnorm(a, W[p + "post_attention_norm.weight"], eps)

        r = x
        u = rmsnorm(r, W[p + "ffn_norm.weight"], eps)
        f = (gelu(u @ W[p + "ffn_gate.weight"].T) * (u @ W[p + "ffn_up.weight"].T)) @ W[p + "ffn_down.weight"].T
        if p + "ffn_gate_inp.weight" in W:
            f = rmsnorm(f, W[p + "post_ffw_norm_1.weight"], eps)
            E = W[p + "ffn_gate_inp.weight"].shape[0]
            k_used = int(m.key("expert_used_count"))
            z = rmsnorm(r, None, eps) / math.sqrt(d) * W[p + "ffn_gate_inp.scale"]
            logits = z @ W[p + "ffn_gate_inp.weight"].T
            pr = np.exp(logits - logits.max(axis=1, keepdims=True))
            pr /= pr.sum(axis=1, keepdims=True)
            srt = np.sort(logits, axis=1)[:, ::-1]        # gap between the k-th and (k+1)-th router logit
            gap = (srt[:, k_used - 1] - srt[:, k_used]) / logits.std(axis=1)
            stats["router_margin"] = min(stats.get("router_margin", np.inf), float(np.min(gap)))
            stats["router_gap_per_position"] = np.minimum(stats.get("router_gap_per_position", np.inf), gap)
            if p + "ffn_gate_up_exps.weight" in W:
                gu = W[p + "ffn_gate_up_exps.weight"]
                Fe = gu.shape[1] // 2
                gate_w, up_w = gu[:, :Fe, :], gu[:, Fe:, :]
            else:
                gate_w, up_w = W[p + "ffn_gate_exps.weight"], W[p + "ffn_up_exps.weight"]
            down_w = W[p + "ffn_down_exps.weight"]
            s_e = W.get(p + "ffn_down_exps.scale", W.get(p + "ffn_gate_inp.per_expert_scale"))
            ue = rmsnorm(r, W[p + "pre_ffw_norm_2.weight"], eps)
            e = np.zeros_like(r)
            for t in range(T):
                top = np.argsort(-pr[t], kind="stable")[:k_used]
                w = pr[t, top] / pr[t, top].sum()
                for wk, ei in zip(w, top):
                    y = (gelu(gate_w[ei] @ ue[t]) * (up_w[ei] @ ue[t])) @ down_w[ei].T
                    e[t] += wk * (1.0 if "moe_no_expert_scale" in bugs else s_e[ei]) * y
            f = f + rmsnorm(e, W[p + "post_ffw_norm_2.weight"], eps)
        x = r + rmsnorm(f, W[p + "post_ffw_norm.weight"], eps)
        if P:
            gt = gelu(x @ W[p + "inp_gate.weight"].T) * ple[:, il, :]
            x = x + rmsnorm(gt @ W[p + "proj.weight"].T, W[p + "post_norm.weight"], eps)
        if p + "layer_output_scale.weight" in W and "no_layer_scale" not in bugs:
            x = x * W[p + "layer_output_scale.weight"][0]
    y = rmsnorm(x, W["output_norm.weight"], eps)
    z = y @ W["token_embd.weight"].T
    if softcap and "no_softcap" not in bugs:
        z = softcap * np.tanh(z / softcap)
    return z


# Deliberate mistakes for --ablate: each must change the logits of the variants it applies to, which shows that the
# fixtures exercise that mechanism. name -> (applies to model?, description)
ABLATIONS = {
    "swa+1": (lambda m: True, "sliding window of W+1 keys (legacy Ollama Go engine)"),
    "gqa_mod": (lambda m: any(1 < k < int(m.key("attention.head_count"))
                              for k in m.per_layer("attention.head_count_kv", int(m.key("block_count")))),
                "query head h reads KV head h % KVH instead of h // (H/KVH)"),
    "no_vnorm": (lambda m: m.arch == "gemma4", "no weightless RMSNorm on V"),
    "v_from_normed_k": (lambda m: m.arch == "gemma4" and any(n.endswith("attn_k.weight") and
                        n.replace("attn_k", "attn_v") not in m.W for n in m.W),
                        "K=V layers take V after k_norm instead of the raw K projection"),
    "rope_partial_naive": (lambda m: m.arch == "gemma4", "F-layer RoPE as ordinary partial rotary over p*hd dims"),
    "scale_rsqrt": (lambda m: m.arch == "gemma4", "attention scale 1/sqrt(hd) instead of 1.0"),
    "donor_first": (lambda m: m.arch == "gemma4" and int(m.key("attention.shared_kv_layers", 0)) > 0,
                    "KV-shared layers read the first (not last) non-shared layer of their type"),
    "ple_no_tok_scale": (lambda m: m.arch == "gemma4" and int(m.key("embedding_length_per_layer_input", 0)) > 0,
                         "per_layer_token_embd rows not multiplied by sqrt(P)"),
    "moe_no_expert_scale": (lambda m: m.arch == "gemma4" and m.key("expert_count") is not None,
                            "per-expert scale ignored"),
    "no_layer_scale": (lambda m: any(n.endswith("layer_output_scale.weight") for n in m.W), "layer_output_scale ignored"),
    "no_softcap": (lambda m: m.arch == "gemma4", "no final logit softcap"),
    "last_layer_full": (lambda m: m.arch == "gemma3" and (int(m.key("block_count")) % 6) != 0,
                        "Gemma 3 last layer forced to full attention (Gemma 4's rule)"),
    "rope_scale_local_too": (lambda m: m.arch == "gemma3" and m.key("rope.scaling.factor") is not None,
                             "linear RoPE scaling applied to local layers too"),
}


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--only", default="")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--gelu-f16", action="store_true")
    ap.add_argument("--stats", action="store_true", help="print logit statistics of the unquantized files")
    ap.add_argument("--ablate", action="store_true", help="show how much each deliberate mistake moves the logits")
    args = ap.parse_args()
    gelu = gelu_ggml_f16 if args.gelu_f16 else gelu_tanh
    for vdir in sorted(p for p in args.fixtures.iterdir() if (p / "tokens.json").exists()):
        if args.only and vdir.name not in args.only.split(","):
            continue
        seqs = json.loads((vdir / "tokens.json").read_text())["sequences"]
        idx_path = vdir / "goldens.json"
        idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"variant": vdir.name, "goldens": []}
        for f in sorted(vdir.glob("model-*.gguf")):
            if f.name.endswith(".llamacpp.gguf"):
                continue
            quant = f.name[len("model-"):-len(".gguf")]
            m = Model(f)
            for k, s in enumerate(seqs, 1):
                st: dict = {}
                z64 = forward(m, s, gelu, stats=st)
                z = z64.astype(np.float32)
                assert np.all(np.isfinite(z))
                if args.stats and quant in ("f32", "bf16"):
                    am = z.argmax(axis=1)
                    extra = f" min router gap {st['router_margin']:.3f} std" if "router_margin" in st else ""
                    print(f"{vdir.name} seq{k}: logits min {z.min():.2f} max {z.max():.2f} std {z.std():.2f} "
                          f"|z|>25: {np.mean(np.abs(z) > 25):.3%} argmax distinct {len(set(am.tolist()))}/{len(am)}"
                          + extra)
                if args.ablate and quant in ("f32", "bf16") and k == 1:
                    for bug, (applies, what) in ABLATIONS.items():
                        if applies(m):
                            zb = forward(m, s, gelu, frozenset([bug]))
                            print(f"  {vdir.name:13s} {bug:22s} max|d|/max|z| = {rel_err(zb, z64):.3f}  ({what})")
                if args.write:
                    name = f"golden-numpy-{quant}-seq{k}.f32"
                    z.astype("<f4").tofile(vdir / name)
                    idx["goldens"] = [g for g in idx["goldens"] if g.get("file") != name]
                    idx["goldens"].append(dict(file=name, source="numpy-spec-f64", model=f.name, quant=quant,
                                               seq=k, shape=list(z.shape), gelu="ggml-f16" if args.gelu_f16 else "exact",
                                               numpy=np.__version__))
                if args.check:
                    for g in idx["goldens"]:
                        if g.get("model", "").replace(".llamacpp", "") != f.name or g["seq"] != k:
                            continue
                        if g["source"] == "numpy-spec-f64":
                            continue
                        ref = np.fromfile(vdir / g["file"], dtype="<f4").reshape(g["shape"])
                        med = float(np.median(np.abs(z - ref)) / np.std(ref))
                        print(f"{vdir.name:13s} {quant:7s} seq{k} numpy vs {g['file'][7:-9]:20s} "
                              f"max|d|/max|ref| {rel_err(z, ref):.1e}  median|d|/std(ref) {med:.1e}  "
                              f"argmax agree {np.mean(z.argmax(1) == ref.argmax(1)):.0%}")
        if args.write:
            idx["goldens"].sort(key=lambda g: g["file"])
            idx_path.write_text(json.dumps(idx, indent=1) + "\n")


if __name__ == "__main__":
    main()
