#!/usr/bin/env python3
"""Reference vectors for rullama's GGUF loader, made by an independent implementation.

Writes, under gguf-loader/src/test/resources/quant/ (or the directory given as the first argument):

* <TYPE>.bin  raw ggml blocks of that type, concatenated;
* <TYPE>.f32  the dequantized values, little-endian float32, as produced by the PyPI `gguf`
              package (`gguf.quants.dequantize`, maintained by llama.cpp) or, for the plain
              integer/f64 types and Q8_K that `gguf.quants` does not cover, by numpy's casts;
* manifest.json  what each pair holds, how it was made and the sha256 of both files;
* reference.gguf + reference.json  a small GGUF written by `gguf.GGUFWriter` with every
              metadata value type (nested arrays too) and a few tensors, and what a reader must
              find in it, so the Java parser is checked against a writer it does not share code with.

Blocks come from two sources: random raw bytes whose scale fields are overwritten with sane,
finite values (so every quant bit pattern is exercised), and `gguf.quants.quantize()` of random
floats for the types the package can quantize. Everything is seeded: rerunning gives the same bytes
for the same package versions, and the manifest records them.

Usage: pip install gguf numpy && python3 tools/gguf/gen_quant_vectors.py
"""
from __future__ import annotations

import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import GGML_QUANT_SIZES, dequantize, quantize

SEED = 20261127
REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "gguf-loader" / "src" / "test" / "resources" / "quant"

# Offsets of the binary16 scale fields inside each block (see spec §3), to be overwritten with sane values.
F16_SCALES = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}

# (type, number of random-byte blocks, number of quantize()d blocks)
PLAN = [
    (T.F32, 64, 0), (T.F16, 64, 64), (T.BF16, 64, 64),
    (T.Q4_0, 16, 16), (T.Q4_1, 16, 16), (T.Q5_0, 16, 16), (T.Q5_1, 16, 16), (T.Q8_0, 16, 16),
    (T.Q2_K, 4, 0), (T.Q3_K, 4, 0), (T.Q4_K, 4, 0), (T.Q5_K, 4, 0), (T.Q6_K, 4, 0), (T.Q8_K, 3, 0),
    (T.MXFP4, 16, 16), (T.NVFP4, 8, 0),
    (T.I8, 64, 0), (T.I16, 64, 0), (T.I32, 64, 0), (T.I64, 32, 0), (T.F64, 32, 0),
]

PLAIN_NUMPY = {T.I8: np.int8, T.I16: np.int16, T.I32: np.int32, T.I64: np.int64, T.F64: np.float64}


def sane_f16(rng: np.random.Generator, n: int) -> np.ndarray:
    """Finite binary16 scales across the useful range, including a few subnormals, zeros and negatives."""
    mag = rng.uniform(0.5, 1.0, n) * np.exp2(rng.integers(-16, 5, n).astype(np.float64))
    sign = np.where(rng.random(n) < 0.2, -1.0, 1.0)
    vals = (mag * sign).astype(np.float16)
    vals[rng.random(n) < 0.05] = np.float16(0.0)
    assert np.all(np.isfinite(vals))
    return vals


def random_blocks(rng: np.random.Generator, qtype: T, n_blocks: int) -> np.ndarray:
    _, type_size = GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, (n_blocks, type_size), dtype=np.uint8)
    for off in F16_SCALES.get(qtype, []):
        raw[:, off:off + 2] = sane_f16(rng, n_blocks).reshape(n_blocks, 1).view(np.uint8)
    if qtype == T.Q8_K:  # f32 d first; keep it finite and moderate
        d = (rng.uniform(-1, 1, n_blocks) * np.exp2(rng.integers(-20, 0, n_blocks))).astype(np.float32)
        raw[:, 0:4] = d.reshape(n_blocks, 1).view(np.uint8)
    return raw


def quantized_blocks(rng: np.random.Generator, qtype: T, n_blocks: int) -> np.ndarray:
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    x = rng.standard_normal((n_blocks, block_size)).astype(np.float32)
    x *= np.exp2(rng.integers(-8, 4, (n_blocks, 1))).astype(np.float32)
    q = quantize(x, qtype)
    return np.ascontiguousarray(q).view(np.uint8).reshape(n_blocks, type_size)


def reference_dequantize(qtype: T, raw: np.ndarray) -> tuple[np.ndarray, str]:
    if qtype in PLAIN_NUMPY:
        return raw.reshape(-1).view(PLAIN_NUMPY[qtype]).astype(np.float32), "numpy astype(float32)"
    if qtype == T.Q8_K:
        # gguf.quants has no Q8_K (an activation type); {f32 d; i8 qs[256]; i16 bsums[16]}, y = d * qs in f32.
        d = raw[:, 0:4].copy().view(np.float32)
        qs = raw[:, 4:260].copy().view(np.int8).astype(np.float32)
        return (d * qs).reshape(-1), "numpy (d * qs in float32)"
    return np.asarray(dequantize(raw.reshape(-1), qtype), dtype=np.float32).reshape(-1), "gguf.quants.dequantize"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_quant_vectors(out: Path, rng: np.random.Generator) -> list[dict]:
    entries = []
    for qtype, n_random, n_quant in PLAN:
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        parts = [random_blocks(rng, qtype, n_random)]
        if n_quant:
            parts.append(quantized_blocks(rng, qtype, n_quant))
        raw = np.ascontiguousarray(np.concatenate(parts, axis=0), dtype=np.uint8)
        expected, how = reference_dequantize(qtype, raw)
        assert expected.dtype == np.float32 and expected.size == raw.shape[0] * block_size
        bin_path, f32_path = out / f"{qtype.name}.bin", out / f"{qtype.name}.f32"
        bin_path.write_bytes(raw.tobytes())
        f32_path.write_bytes(expected.astype("<f4").tobytes())
        entries.append({
            "type": qtype.name, "id": int(qtype.value),
            "block_elements": block_size, "block_bytes": type_size,
            "blocks": int(raw.shape[0]), "random_blocks": n_random, "quantized_blocks": n_quant,
            "reference": how,
            "bin": bin_path.name, "bin_sha256": sha256(bin_path),
            "f32": f32_path.name, "f32_sha256": sha256(f32_path),
        })
    return entries


def write_reference_gguf(out: Path, rng: np.random.Generator) -> dict:
    path = out / "reference.gguf"
    w = gguf.GGUFWriter(str(path), arch="testarch")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4_000_000_000)
    w.add_int32("test.i32", -2_000_000_000)
    w.add_float32("test.f32", 0.1)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ▁world")
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float64("test.f64", 2.718281828459045)
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.strings", ["a", "", "ccc"])
    w.add_array("test.bools", [True, False, True])
    w.add_array("test.floats", [0.5, -1.25])
    w.add_array("test.nested", [[1, 2], [3], [4, 5, 6]])
    w.add_uint32("testarch.context_length", 8192)
    w.add_array("testarch.feed_forward_length", [16, 32])

    tensors = {
        "token_embd.weight": (T.F32, rng.standard_normal((4, 8)).astype(np.float32)),
        "blk.0.attn_q.weight": (T.F16, rng.standard_normal((2, 32)).astype(np.float16)),
        "blk.0.ffn_down.weight": (T.Q8_0, quantize(rng.standard_normal((2, 64)).astype(np.float32), T.Q8_0)),
        "blk.0.ffn_up.weight": (T.Q4_K, random_blocks(rng, T.Q4_K, 2)),
        "v.patch_embd.weight": (T.F16, rng.standard_normal((3, 4)).astype(np.float16)),
    }
    expect_tensors = []
    for name, (qtype, data) in tensors.items():
        data = np.ascontiguousarray(data)
        if qtype in (T.F32, T.F16):
            w.add_tensor(name, data)
            shape = list(reversed(data.shape))
        else:
            w.add_tensor(name, data.view(np.uint8), raw_dtype=qtype)
            shape = list(reversed(gguf.quant_shape_from_byte_shape(data.shape, qtype)))
        expect_tensors.append({"name": name, "type": qtype.name, "shape": [int(s) for s in shape],
                               "nbytes": int(data.nbytes),
                               "sha256": hashlib.sha256(data.tobytes()).hexdigest()})
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    expect = {
        "file_sha256": sha256(path),
        "version": 3,
        "alignment": 32,
        "kv": {
            "general.architecture": {"type": "STRING", "value": "testarch"},
            "test.u8": {"type": "UINT8", "value": 200},
            "test.i8": {"type": "INT8", "value": -100},
            "test.u16": {"type": "UINT16", "value": 60000},
            "test.i16": {"type": "INT16", "value": -30000},
            "test.u32": {"type": "UINT32", "value": 4_000_000_000},
            "test.i32": {"type": "INT32", "value": -2_000_000_000},
            "test.f32": {"type": "FLOAT32", "bits": int(np.float32(0.1).view(np.uint32))},
            "test.bool": {"type": "BOOL", "value": True},
            "test.string": {"type": "STRING", "value": "héllo ▁world"},
            "test.u64": {"type": "UINT64", "value": str(2**63 + 5)},
            "test.i64": {"type": "INT64", "value": -(2**62)},
            "test.f64": {"type": "FLOAT64", "value": 2.718281828459045},
            "test.ints": {"type": "ARRAY", "element_type": "INT32", "value": [1, -2, 3]},
            "test.strings": {"type": "ARRAY", "element_type": "STRING", "value": ["a", "", "ccc"]},
            "test.bools": {"type": "ARRAY", "element_type": "BOOL", "value": [True, False, True]},
            "test.floats": {"type": "ARRAY", "element_type": "FLOAT32", "value": [0.5, -1.25]},
            "test.nested": {"type": "ARRAY", "element_type": "ARRAY", "value": [[1, 2], [3], [4, 5, 6]]},
            "testarch.context_length": {"type": "UINT32", "value": 8192},
            "testarch.feed_forward_length": {"type": "ARRAY", "element_type": "INT32", "value": [16, 32]},
        },
        "tensors": expect_tensors,
    }
    (out / "reference.json").write_text(json.dumps(expect, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return expect


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    entries = write_quant_vectors(out, rng)
    write_reference_gguf(out, np.random.default_rng(SEED + 1))
    manifest = {
        "generator": "tools/gguf/gen_quant_vectors.py",
        "gguf_version": version("gguf"),
        "numpy_version": np.__version__,
        "seed": SEED,
        "comparison": "float bits equal; two NaNs count as equal whatever their payload",
        "types": entries,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(entries)} types + reference.gguf to {out} ({total} bytes)")


if __name__ == "__main__":
    main()
