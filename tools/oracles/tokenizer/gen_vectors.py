#!/usr/bin/env python3
"""Gemma 3 oracle: llama.cpp's tokenization of the strings in vectors_corpus.py on the real Gemma 3 270M vocabulary.

Uses llama-cpp-python (`import llama_cpp`) with vocab_only=True, so only the tokenizer is loaded. parse_special maps to
llama.cpp's `special` flag: False for content (control tokens are not matched; user-defined pieces such as runs of
spaces or newlines still are, which is also rullama's policy), True for template text.

Writes models-gemma4/src/test/resources/tokenizer/gemma3-llamacpp-vectors.json: "vectors" (vectors_corpus.VECTORS),
"fuzz" (400 seeded random strings), "with_bos", and "chat" (the hand-written gemma3-*.expected chat renderings,
tokenized whole with BOS and specials).

Run from the repository root:
  python3 tools/oracles/tokenizer/gen_vectors.py [path/to/gemma3-270m.gguf]
The default path is the blob scripts/setup.sh installs under $RULLAMA_CACHE (default ~/.cache/rullama).
"""
import hashlib
import json
import os
import pathlib
import sys

import llama_cpp

from vectors_corpus import VECTORS, dump, fuzz

ROOT = pathlib.Path(__file__).resolve().parents[3]
BLOB = "sha256-a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


def default_model():
    cache = os.environ.get("RULLAMA_CACHE") or os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "rullama")
    return pathlib.Path(cache) / "models" / "blobs" / BLOB


def main():
    model = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default_model()
    if not model.is_file():
        sys.exit(f"{model} not found: run scripts/setup.sh first")
    llm = llama_cpp.Llama(model_path=str(model), vocab_only=True, verbose=False)
    vectors = []
    for text, parse_special in VECTORS:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=parse_special)
        vectors.append({"text": text, "parse_special": parse_special, "ids": ids})
    fuzzed = [{"text": t, "parse_special": s, "ids": llm.tokenize(t.encode("utf-8"), add_bos=False, special=s)}
              for t, s in fuzz()]
    # With add_bos: llama.cpp prepends BOS (add_bos_token=true in this file).
    bos = [{"text": t, "parse_special": True, "ids": llm.tokenize(t.encode("utf-8"), add_bos=True, special=True)}
           for t in ["Hello", "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n"]]
    # The hand-written Gemma 3 chat renderings (models-gemma4/src/test/resources/chat), tokenized as llama.cpp
    # tokenizes a whole prompt: BOS added, specials parsed.
    chat = []
    for f in sorted((ROOT / "models-gemma4/src/test/resources/chat").glob("gemma3-*.expected")):
        text = f.read_text(encoding="utf-8")
        chat.append({"name": f.stem, "text": text, "parse_special": True,
                     "ids": llm.tokenize(text.encode("utf-8"), add_bos=True, special=True)})
    sha = hashlib.sha256()
    with open(model, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    out = {
        "generator": "tools/oracles/tokenizer/gen_vectors.py",
        "oracle": f"llama.cpp via llama-cpp-python {llama_cpp.__version__}, vocab_only",
        "model_sha256": sha.hexdigest(),
        "vectors": vectors,
        "fuzz": fuzzed,
        "with_bos": bos,
        "chat": chat,
    }
    dest = ROOT / "models-gemma4/src/test/resources/tokenizer/gemma3-llamacpp-vectors.json"
    dest.write_text(dump(out), encoding="utf-8")
    print(f"{len(vectors)} vectors -> {dest}", file=sys.stderr)


if __name__ == "__main__":
    main()
