#!/usr/bin/env python3
"""Checks that llama.cpp accepts GGUF files (rullama's synthetic real-shape Gemma 4 models), through llama-cpp-python.

For each FILE, llama.cpp loads the model (weights memory-mapped, CPU only, no GPU layers) and creates a small context,
then everything is freed. Nothing is evaluated: the llama-cpp-python wheel used in CI dies with "Illegal instruction"
on quantized matrix products on some hosts, and loading is what this check is about.

With --structure-only, llama.cpp reads the hyper-parameters and the vocabulary, creates every tensor of its gemma4
graph (a missing tensor, a wrong shape or an unused extra tensor fails here), allocates its buffers without mmap, and
the load is then cancelled through the progress callback before any weight byte is read. That checks a full-size
header-only (sparse) file in seconds without touching its GBs. A file larger than RAM + swap is skipped (the buffer
allocation would fail for that reason alone), with the reason in its JSON line.

Output: one JSON object per file on stdout,
  {"file": ..., "loaded": true|false|null, "mode": "full"|"structure", "hparams": {"n_layer": "35", ...},
   "errors": [...], "skipped": reason (only when skipped)}
where hparams are llama.cpp's own "print_info: key = value" log lines. Exit status 0 when every file loaded (or was
skipped), 1 when one was rejected, 3 (with a line "SKIP: <reason>") when llama_cpp cannot be imported.

Usage: python3 tools/synth/llamacpp_load_check.py [--structure-only] FILE...
Needs: llama-cpp-python (PyPI).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oracles"))
from llamacpp_stderr import captured_stderr  # noqa: E402


def memory_limit() -> int:
    """MemTotal + SwapTotal in bytes (what Linux's heuristic overcommit compares one allocation against)."""
    total = 0
    with open("/proc/meminfo") as m:
        for line in m:
            if line.startswith(("MemTotal:", "SwapTotal:")):
                total += int(line.split()[1]) * 1024
    return total


def load_structure(llama_c, path: str, log: list[str]) -> bool:
    """Loads with mmap off and cancels at the first progress report, which llama.cpp makes after every tensor was
    created and checked and the buffers were allocated, before reading data. True when that point was reached."""
    reached = []

    @ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_float, ctypes.c_void_p)
    def cancel(progress, user_data):
        reached.append(progress)
        return False

    llama_c.llama_backend_init()
    p = llama_c.llama_model_default_params()
    p.n_gpu_layers = 0
    p.load_mode = llama_c.LLAMA_LOAD_MODE_NONE  # mmap would fault the whole (sparse) file in
    p.progress_callback = cancel
    model = llama_c.llama_model_load_from_file(path.encode(), p)
    if model:  # loaded without ever reporting progress: fine too, free it
        llama_c.llama_model_free(model)
        return True
    if not reached:
        log.append("python: llama.cpp failed before creating every tensor")
    return bool(reached)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--structure-only", action="store_true",
                    help="create every tensor, then cancel the load before reading weights (for sparse full-size files)")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    try:
        import llama_cpp.llama_cpp as llama_c
        from llama_cpp import Llama
    except Exception as e:  # noqa: BLE001 - any import failure means "not available here"
        print(f"SKIP: llama-cpp-python is not importable by {sys.executable}: {type(e).__name__}: {e}")
        return 3

    # No AMX / repacked weight buffers (llama-cpp-python has no argument for use_extra_bufts): the repacking path
    # reads every weight at load time and is compiled in for CPUs some VMs do not enable.
    default_params = llama_c.llama_model_default_params

    def params_without_extra_bufts():
        p = default_params()
        p.use_extra_bufts = False
        return p

    llama_c.llama_model_default_params = params_without_extra_bufts

    ok = True
    for f in args.files:
        doc = dict(file=f, mode="structure" if args.structure_only else "full")
        if args.structure_only and os.path.getsize(f) > memory_limit():
            doc.update(loaded=None, skipped=f"{os.path.getsize(f)} bytes exceed RAM + swap ({memory_limit()} bytes)")
            print(json.dumps(doc), flush=True)
            continue
        with captured_stderr() as log:
            if args.structure_only:
                loaded = load_structure(llama_c, f, log)
            else:
                try:
                    llm = Llama(model_path=f, n_gpu_layers=0, n_ctx=64, n_batch=8, n_ubatch=8, n_threads=1, verbose=True)
                    loaded = True
                    llm.close()
                    del llm
                except Exception as e:  # noqa: BLE001 - llama-cpp-python raises ValueError when a model does not load
                    log.append(f"python: {type(e).__name__}: {e}")
                    loaded = False
        hparams = {}
        for line in log:
            m = re.match(r"print_info: (\w+)\s*= (.*)$", line.strip())
            if m:
                hparams.setdefault(m.group(1), m.group(2).strip())
        errors = [ln.strip() for ln in log if re.search(r"error|failed|wrong|missing|exception|python:", ln, re.I)
                  and not re.match(r"\s*(llama_model_loader: - kv|print_info:|Model metadata:)", ln)][-10:]
        doc.update(loaded=loaded, hparams=hparams, errors=errors)
        print(json.dumps(doc), flush=True)
        ok &= loaded
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
