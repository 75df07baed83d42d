#!/usr/bin/env python3
"""Golden logits from llama.cpp (through llama-cpp-python) for rullama's fixtures, plus greedy and tokenizer goldens
of the real Gemma 3 270M Q4_K_M blob.

Synthetic fixtures (every <fixtures>/<variant>/model-<quant>.gguf that make_fixtures.py wrote):
* each token sequence of <variant>/tokens.json is evaluated in one batch with logits for every position, and
  written as little-endian float32 [positions][vocab] to <variant>/golden-llamacpp-<quant>-seq<k>.f32;
* llama.cpp runs with an F32 KV cache (its default is F16), flash attention off, one thread, on the CPU;
* if llama.cpp rejects an Ollama-layout file, it is rewritten the way Ollama's own runtime rewrites such blobs
  when it loads them (ollama/ollama llama/compat/llama-ollama-compat.cpp, handle_gemma4): the split MoE
  ffn_gate_exps/ffn_up_exps are stitched into ffn_gate_up_exps expert by expert, ffn_gate_inp.per_expert_scale is
  renamed ffn_down_exps.scale, and tokenizer.ggml.model "llama" becomes "gemma4". The same bytes for every
  weight; the twin is model-<quant>.llamacpp.gguf and goldens.json says so;
* <variant>/goldens.json lists every golden file (source, versions, model file actually run, quant, seq, shape).

Real model (--real, default on when the blob exists): ~/.cache/rullama/models/blobs/sha256-a5fd3b62... (Gemma 3
270M Q4_K_M, installed by scripts/setup.sh) gives
* <fixtures>/gemma3-270m/greedy.json: prompts tokenized by llama.cpp with BOS, the greedy continuation (32 tokens,
  temperature 0, no repeat penalty) with the top-5 logits at each step;
* <fixtures>/gemma3-270m/greedy-f32.json: the same, with the blob's weights decoded to F32 by llama.cpp's own
  quantizer, so that its products do not round activations to 8 bits (the greedy tokens of the real weights in
  float arithmetic);
* <fixtures>/gemma3-270m/tokenization.json: llama.cpp's tokenization of multilingual text, with and without BOS,
  per-token pieces, and detokenization round trips.

Usage: python3 tools/oracles/llamacpp_goldens.py [--fixtures DIR] [--only e2b,moe] [--no-real] [--model BLOB]
"""
from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf import GGUFReader, GGUFValueType as VT

import llama_cpp
import llama_cpp.llama_cpp as llama_c
from llama_cpp import Llama

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_fixtures import tensor_sort_key  # noqa: E402
from llamacpp_stderr import captured_stderr  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO / "models-gemma4" / "src" / "test" / "resources" / "fixtures"
REAL_BLOB = Path.home() / ".cache/rullama/models/blobs/" \
    "sha256-a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
# The llama.cpp tree vendored in the llama-cpp-python 0.3.36 sdist (vendor/llama.cpp, git HEAD of the submodule).
VENDORED_LLAMA_CPP = "0c1e57098bba43ac29e6e3b677cdceebdd22334f"
GGML_TYPE_F32 = 0
SEED = 1234

# llama-cpp-python has no argument for llama_model_params.use_extra_bufts, so wrap the defaults it starts from.
# Off: no AMX / repacked weight buffers, so the plain ggml-cpu kernels run on every host. (The AMX path is compiled in
# when the wheel is built on a CPU that reports AMX, and faults with SIGILL in VMs that do not enable AMX state.)
_default_model_params = llama_c.llama_model_default_params


def _model_params_without_extra_bufts():
    p = _default_model_params()
    p.use_extra_bufts = False
    return p


llama_c.llama_model_default_params = _model_params_without_extra_bufts

RUN_SETTINGS = dict(n_ctx=64, n_batch=64, n_ubatch=64, n_threads=1, n_threads_batch=1, type_k=GGML_TYPE_F32,
                    type_v=GGML_TYPE_F32, flash_attn=False, n_gpu_layers=0, seed=SEED)


def versions() -> dict:
    return dict(llama_cpp_python=version("llama_cpp_python"), llama_cpp_commit=VENDORED_LLAMA_CPP,
                gguf=version("gguf"), numpy=np.__version__)


def settings_doc(s: dict) -> dict:
    return dict(s, use_extra_bufts=False, device="CPU", kv_cache="F32" if s.get("type_k") == GGML_TYPE_F32 else "F16",
                system_info=llama_cpp.llama_print_system_info().decode().strip())




def load(path: Path, logits_all: bool = True, **over) -> tuple[Llama | None, list[str]]:
    kw = dict(RUN_SETTINGS, **over)
    with captured_stderr() as log:
        try:
            llm = Llama(model_path=str(path), logits_all=logits_all, verbose=True, **kw)
        except Exception as e:  # llama-cpp-python raises ValueError when the model does not load
            log.append(f"python: {type(e).__name__}: {e}")
            llm = None
    return llm, log


def load_errors(log: list[str]) -> list[str]:
    keys = ("error", "failed", "wrong", "unknown", "missing", "exception", "python:")
    return [ln.strip() for ln in log if any(k in ln.lower() for k in keys)][-8:]


# --------------------------------------------------------------------------------------------------------------
# Ollama-compat twin (what Ollama's runtime does to its own blobs at load)

def field_value(f):
    t = f.types
    if t[0] == VT.ARRAY:
        return f.contents(), VT.ARRAY, t[1]
    return f.contents(), t[0], None


def write_twin(src: Path, dst: Path) -> list[str]:
    r = GGUFReader(str(src))
    arch = r.fields["general.architecture"].contents()
    kv = {}
    for k, f in r.fields.items():
        if k.startswith("GGUF."):
            continue
        kv[k] = field_value(f)
    changes = []
    if arch == "gemma4" and kv.get("tokenizer.ggml.model", ("",))[0] == "llama":
        kv["tokenizer.ggml.model"] = ("gemma4", VT.STRING, None)
        changes.append("tokenizer.ggml.model llama -> gemma4")
    tensors = {t.name: t for t in r.tensors}
    out = {}
    for name, t in tensors.items():
        if name.endswith(".ffn_up_exps.weight"):
            continue
        if name.endswith(".ffn_gate_exps.weight"):
            up = tensors[name.replace("ffn_gate_exps", "ffn_up_exps")]
            assert up.tensor_type == t.tensor_type
            fused = np.concatenate([np.asarray(t.data), np.asarray(up.data)], axis=1)  # per expert: gate rows, up rows
            out[name.replace("ffn_gate_exps", "ffn_gate_up_exps")] = (fused, t.tensor_type)
            changes.append(f"{name} + ffn_up_exps -> ffn_gate_up_exps")
            continue
        if name.endswith(".ffn_gate_inp.per_expert_scale"):
            out[name.replace("ffn_gate_inp.per_expert_scale", "ffn_down_exps.scale")] = (np.asarray(t.data),
                                                                                         t.tensor_type)
            changes.append(f"{name} -> ffn_down_exps.scale")
            continue
        out[name] = (np.asarray(t.data), t.tensor_type)
    w = gguf.GGUFWriter(str(dst), arch)
    w.kv_data = [{}]
    for k in sorted(kv):
        val, vt, sub = kv[k]
        w.add_key_value(k, val, vt, sub_type=sub)
    for name in sorted(out, key=tensor_sort_key):
        data, tt = out[name]
        if tt == gguf.GGMLQuantizationType.F32:
            w.add_tensor(name, data.astype(np.float32))
        else:
            w.add_tensor(name, data.view(np.uint8), raw_dtype=tt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return changes


def write_upcast(src: Path, dst: Path) -> None:
    """The same model with every BF16/F16 tensor widened to F32 (exact), for a golden without llama.cpp's
    BF16 activation rounding. Not committed; written to a temporary directory."""
    r = GGUFReader(str(src))
    arch = r.fields["general.architecture"].contents()
    w = gguf.GGUFWriter(str(dst), arch)
    w.kv_data = [{}]
    kv = {k: field_value(f) for k, f in r.fields.items() if not k.startswith("GGUF.")}
    kv["general.file_type"] = (0, VT.UINT32, None)
    for k in sorted(kv):
        val, vt, sub = kv[k]
        w.add_key_value(k, val, vt, sub_type=sub)
    for t in r.tensors:
        a = gguf.quants.dequantize(t.data, t.tensor_type).astype(np.float32)
        w.add_tensor(t.name, a.reshape(tuple(int(x) for x in reversed(t.shape))))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# --------------------------------------------------------------------------------------------------------------

def eval_logits(llm: Llama, seq: list[int]) -> np.ndarray:
    llm.reset()
    llm.eval(seq)
    return np.array(llm.scores[: len(seq)], dtype=np.float32)


def run_fixture_variant(vdir: Path) -> dict:
    seqs = json.loads((vdir / "tokens.json").read_text())["sequences"]
    idx_path = vdir / "goldens.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"variant": vdir.name, "goldens": []}
    idx["goldens"] = [g for g in idx["goldens"] if g.get("source") != "llama.cpp"]
    idx["llama.cpp"] = dict(versions(), settings=settings_doc(RUN_SETTINGS), files={})
    for f in sorted(vdir.glob("model-*.gguf")):
        if f.name.endswith(".llamacpp.gguf"):
            continue
        quant = f.name[len("model-"):-len(".gguf")]
        twin = f.with_name(f.name[: -len(".gguf")] + ".llamacpp.gguf")
        twin.unlink(missing_ok=True)
        llm, log = load(f)
        status = dict(ran=f.name, ollama_layout_accepted=llm is not None)
        if llm is None:
            status["ollama_layout_rejected_with"] = load_errors(log)
            status["twin_changes"] = write_twin(f, twin)
            llm, log = load(twin)
            status["ran"] = twin.name
            if llm is None:
                status["twin_rejected_with"] = load_errors(log)
                status["error"] = "llama.cpp cannot run this variant"
                idx["llama.cpp"]["files"][f.name] = status
                print(f"  {vdir.name}/{f.name}: REJECTED {status}", flush=True)
                continue
            status["twin_sha256"] = hashlib.sha256(twin.read_bytes()).hexdigest()
        for k, seq in enumerate(seqs, 1):
            z = eval_logits(llm, seq)
            assert np.all(np.isfinite(z)), f"non-finite logits for {f.name} seq{k}"
            name = f"golden-llamacpp-{quant}-seq{k}.f32"
            z.astype("<f4").tofile(vdir / name)
            idx["goldens"].append(dict(file=name, source="llama.cpp", model=f.name, ran=status["ran"],
                                       quant=quant, seq=k, shape=list(z.shape), dtype="float32 little-endian",
                                       layout="[position][vocab]", **versions()))
        del llm
        idx["llama.cpp"]["files"][f.name] = status
        print(f"  {vdir.name}/{f.name}: ok via {status['ran']}", flush=True)
        if quant == "bf16":
            # llama.cpp rounds activations to bf16 in BF16 matmuls; the F32 upcast (same values) avoids that.
            with tempfile.TemporaryDirectory() as td:
                up = Path(td) / "model-f32.upcast.gguf"
                write_upcast(vdir / status["ran"], up)
                llm, log = load(up)
                if llm is None:
                    print(f"  {vdir.name}: F32 upcast rejected: {load_errors(log)}")
                    continue
                for k, seq in enumerate(seqs, 1):
                    z = eval_logits(llm, seq)
                    name = f"golden-llamacpp-f32-seq{k}.f32"
                    z.astype("<f4").tofile(vdir / name)
                    idx["goldens"].append(dict(file=name, source="llama.cpp", model=f.name,
                                               ran=status["ran"] + ", upcast to F32 in a temporary copy",
                                               quant="f32", compute="F32 weights (exact upcast of the BF16 file)", seq=k, shape=list(z.shape), dtype="float32 little-endian",
                                               layout="[position][vocab]", **versions()))
                del llm
            print(f"  {vdir.name}/{f.name}: ok, F32 upcast", flush=True)
    idx["goldens"].sort(key=lambda g: g["file"])
    idx_path.write_text(json.dumps(idx, indent=1) + "\n")
    return idx


# --------------------------------------------------------------------------------------------------------------
# Real Gemma 3 270M

PROMPTS = [
    "The capital of France is",
    "Here is a short poem about the sea:\n",
    "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n",
    "<start_of_turn>user\nWhat is 17 times 3?<end_of_turn>\n<start_of_turn>model\n",
    "Der schnelle braune Fuchs springt über den faulen Hund. Auf Englisch heißt das:",
]

MULTILINGUAL = (
    "Hello, world! The quick brown fox jumps over the lazy dog.\n"
    "Grüße aus München: Äpfel, Öl und Übermut — schön, dass ihr da seid.\n"
    "你好，世界！今天的天气很好。\n"
    "こんにちは、世界。カタカナとひらがなと漢字。\n"
    "مرحبا بالعالم، كيف حالك اليوم؟\n"
    "Emoji: 🙂🚀👩‍💻🇩🇪 ✔︎\n"
    "def f(x):\n\treturn x  *  2\t# tab\n\n\n"
    "    four spaces,   three,  two and a trailing space \n"
    "\n\n\n\nmany newlines above; numbers 1234567890 3.14159 -42\n"
)
TOKENIZE_CASES = {
    "multilingual": MULTILINGUAL,
    "empty": "",
    "single_space": " ",
    "spaces_only": "     ",
    "newlines_only": "\n\n\n",
    "leading_space": " Hello",
    "chat_markup_literal": "<start_of_turn>user\nhi<end_of_turn>\n",
    "unicode_nfc_nfd": "e\u0301 é",
}


def piece(llm: Llama, t: int) -> dict:
    b = llm.detokenize([t], special=True)
    return dict(id=t, hex=b.hex(), text=b.decode("utf-8", "replace"))


def greedy(llm: Llama, prompt_ids: list[int], n: int = 32, topk: int = 5) -> list[dict]:
    llm.reset()
    llm.eval(prompt_ids)
    steps = []
    for _ in range(n):
        z = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        order = np.argsort(-z, kind="stable")[:topk]
        tok = int(order[0])
        steps.append(dict(token=tok, piece=piece(llm, tok)["text"], margin=float(z[order[0]] - z[order[1]]),
                          top=[dict(id=int(i), logit=float(z[i])) for i in order]))
        llm.eval([tok])
    return steps


def greedy_runs(llm: Llama) -> list[dict]:
    runs = []
    for p in PROMPTS:
        special = "<start_of_turn>" in p
        ids = llm.tokenize(p.encode("utf-8"), add_bos=True, special=special)
        steps = greedy(llm, ids)
        text = llm.detokenize([s["token"] for s in steps]).decode("utf-8", "replace")
        runs.append(dict(prompt=p, parse_special=special, prompt_ids=ids, greedy_ids=[s["token"] for s in steps],
                         greedy_text=text, steps=steps))
    return runs


GREEDY_NOTE = ("top lists the 5 largest logits of the step (raw logits, no softmax); margin = top1 - top2 logit (small "
               "margins are where another engine may legitimately pick the other token); greedy = argmax, ties broken "
               "by lowest id")


def dequantize_with_llamacpp(blob: Path, dst: Path) -> None:
    """llama.cpp's own quantizer writing every tensor as F32 (LLAMA_FTYPE_ALL_F32 with allow_requantize): each
    quantized block decoded by ggml's dequantizer, exactly; the F32 norm vectors copied."""
    p = llama_c.llama_model_quantize_default_params()
    p.ftype = 0  # LLAMA_FTYPE_ALL_F32
    p.allow_requantize = True
    p.nthread = 1
    with captured_stderr() as log:
        rc = llama_c.llama_model_quantize(str(blob).encode(), str(dst).encode(), ctypes.byref(p))
    if rc != 0:
        raise SystemExit(f"llama.cpp could not dequantize {blob}: {load_errors(log)}")


def run_real(blob: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sha = hashlib.sha256(blob.read_bytes()).hexdigest()
    meta = dict(model_blob=blob.name, model_sha256=sha, model="gemma3:270m Q4_K_M (llama.cpp-converted GGUF)",
                **versions())
    settings = dict(RUN_SETTINGS, n_ctx=256, n_batch=256, n_ubatch=256)
    llm, log = load(blob, logits_all=True, n_ctx=256, n_batch=256, n_ubatch=256)
    if llm is None:
        raise SystemExit(f"llama.cpp cannot load {blob}: {load_errors(log)}")
    runs = greedy_runs(llm)
    # Same prompts with llama.cpp's default F16 KV cache: say whether the greedy tokens change.
    llm16, _ = load(blob, logits_all=True, n_ctx=256, n_batch=256, n_ubatch=256, type_k=1, type_v=1)
    for r in runs:
        g16 = [s["token"] for s in greedy(llm16, r["prompt_ids"])]
        r["same_greedy_with_f16_kv_cache"] = g16 == r["greedy_ids"]
        if g16 != r["greedy_ids"]:
            r["f16_kv_cache_first_different_step"] = next(i for i, (a, b) in enumerate(zip(g16, r["greedy_ids"]))
                                                          if a != b)
    del llm16
    greedy_doc = dict(meta, settings=settings_doc(settings), temperature=0, repeat_penalty=1.0, add_bos=True, n_predict=32,
                      note=GREEDY_NOTE, runs=runs)
    (out / "greedy.json").write_text(json.dumps(greedy_doc, indent=1, ensure_ascii=False) + "\n")

    # The same weights without llama.cpp's activation rounding: its quantized products round every activation vector
    # to 8 bits (Q8_0/Q8_K), which decides near-ties. Decoded to F32 by llama.cpp itself, the products run in float.
    with tempfile.TemporaryDirectory() as tmp:
        f32 = Path(tmp) / "model-f32.gguf"
        dequantize_with_llamacpp(blob, f32)
        llm32, log32 = load(f32, logits_all=True, n_ctx=256, n_batch=256, n_ubatch=256)
        if llm32 is None:
            raise SystemExit(f"llama.cpp cannot load its F32 copy of {blob}: {load_errors(log32)}")
        runs32 = greedy_runs(llm32)
        del llm32
    for r32, r in zip(runs32, runs):
        diff = [i for i, (a, b) in enumerate(zip(r32["greedy_ids"], r["greedy_ids"])) if a != b]
        r32["first_step_different_from_greedy_json"] = diff[0] if diff else None
    f32_doc = dict(meta, weights="every tensor of the blob decoded to F32 by llama.cpp's quantizer (LLAMA_FTYPE_ALL_F32, "
                                 "allow_requantize): the same weight values, products in float32",
                   settings=settings_doc(settings), temperature=0, repeat_penalty=1.0, add_bos=True, n_predict=32,
                   note=GREEDY_NOTE, runs=runs32)
    (out / "greedy-f32.json").write_text(json.dumps(f32_doc, indent=1, ensure_ascii=False) + "\n")

    cases = []
    for name, text in TOKENIZE_CASES.items():
        for special in (False, True):
            if special and "<start_of_turn>" not in text:
                continue
            no_bos = llm.tokenize(text.encode("utf-8"), add_bos=False, special=special)
            with_bos = llm.tokenize(text.encode("utf-8"), add_bos=True, special=special)
            back = llm.detokenize(no_bos, special=special)
            cases.append(dict(name=name, parse_special=special, text=text, ids_no_bos=no_bos, ids_with_bos=with_bos,
                              pieces=[piece(llm, t) for t in no_bos],
                              detokenized=back.decode("utf-8", "replace"), detokenized_hex=back.hex(),
                              round_trip_exact=back == text.encode("utf-8")))
    tok_doc = dict(meta, tokenizer_model="llama (SentencePiece, Gemma 3)", bos_id=llm.token_bos(),
                   eos_id=llm.token_eos(), add_space_prefix_note="Gemma 3 GGUFs set add_space_prefix=false",
                   cases=cases)
    (out / "tokenization.json").write_text(json.dumps(tok_doc, indent=1, ensure_ascii=False) + "\n")
    print(f"  gemma3-270m: greedy.json and greedy-f32.json ({len(runs)} prompts), tokenization.json ({len(cases)} cases)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--only", default="")
    ap.add_argument("--no-real", action="store_true")
    ap.add_argument("--model", type=Path, default=REAL_BLOB)
    args = ap.parse_args()
    llama_cpp.llama_backend_init()
    for vdir in sorted(p for p in args.fixtures.iterdir() if (p / "tokens.json").exists()):
        if args.only and vdir.name not in args.only.split(","):
            continue
        run_fixture_variant(vdir)
    if not args.no_real and (not args.only or "gemma3-270m" in args.only.split(",")):
        if args.model.exists():
            run_real(args.model, args.fixtures / "gemma3-270m")
        else:
            print(f"  {args.model} not found (scripts/setup.sh installs it); skipping the real-model goldens")


if __name__ == "__main__":
    main()
