#!/usr/bin/env python3
"""Gemma 4 BPE oracle: a synthetic vocabulary trained with Hugging Face `tokenizers`, and HF's encodings of many strings.

No real Gemma 4 vocabulary is available to the test suite, so the Java RankedBpeEncoder is checked against an
independent BPE implementation (HF `tokenizers`, Rust) on a vocabulary shaped like Gemma 4's:

  * normalizer Replace(" ", "▁") and nothing else (no prefix ▁, no NFKC), BPE with byte_fallback=True;
  * no pre-tokenizer at encode time. Training uses Split(newline runs) + single digits so that, like Gemma 4's merges,
    no merge mixes newlines with other text and digits never merge (spec ollama-gguf §5.3: "Digits are single
    tokens"). This script asserts that encoding with and without the Split pre-tokenizer gives the same ids on every
    vector, i.e. that llama.cpp's newline-run split is invisible on this vocabulary, and that every all-newline run
    that is a token comes out whole (llama.cpp's rule);
  * <0x00>..<0xFF> tokens in the vocabulary but not among the added tokens (so HF never matches them in text);
  * chat markers as added special tokens. Content vectors use HF's encode_special_tokens=True, which tokenizes a
    spelled-out marker as ordinary text: the rullama policy for content.

Output (both committed):
  models-gemma4/src/test/resources/tokenizer/gemma4-synthetic.gguf   tokenizer.ggml.* keys the way Ollama writes them
      (model=llama, pre=gemma4, scores = token index, add_bos=false); the <|channel> family typed USER_DEFINED as in
      llama.cpp files, other markers CONTROL, byte tokens NORMAL as Ollama's converter leaves them
  models-gemma4/src/test/resources/tokenizer/gemma4-synthetic-vectors.json   "vectors" (vectors_corpus.VECTORS), "fuzz"
      (400 seeded random strings) and "chat" (the hand-written gemma4-*.expected chat renderings, tokenized whole)

Run from the repository root: python3 tools/oracles/tokenizer/gen_gemma4_bpe.py
"""
import json
import pathlib
import random
import sys

import gguf
import tokenizers
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

ROOT = pathlib.Path(__file__).resolve().parents[3]
HERE = pathlib.Path(__file__).resolve().parent
OUT = ROOT / "models-gemma4/src/test/resources/tokenizer"

CONTROL = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<|tool>", "<tool|>", "<|turn>", "<turn|>", "<|think|>",
           "<|image>", "<image|>"]
USER_DEFINED = ["<|channel>", "<channel|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>",
                '<|"|>']
BYTES = [f"<0x{b:02X}>" for b in range(256)]
VOCAB_SIZE = 8000

from vectors_corpus import VECTORS, dump, fuzz  # noqa: E402  (the strings to encode, shared with gen_vectors.py)


def train():
    text = (HERE / "corpus.txt").read_text(encoding="utf-8")
    tok = Tokenizer(models.BPE(byte_fallback=True, unk_token=None))
    tok.normalizer = normalizers.Replace(" ", "▁")
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(r"\n+"), behavior="isolated"),
        pre_tokenizers.Digits(individual_digits=True),
    ])
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, min_frequency=2, show_progress=False,
                                  special_tokens=CONTROL + USER_DEFINED + BYTES)
    # Several views of the corpus: the whole text, single lines, and (to get more than a toy number of merges from a
    # 5 KB corpus) lines of words resampled from it with a fixed seed, so subwords recur across contexts.
    lines = text.split("\n")
    words = text.split()
    rng = random.Random(20261127)
    resampled = [" ".join(rng.choice(words) for _ in range(rng.randint(4, 16))) for _ in range(4000)]
    tok.train_from_iterator([text] * 3 + lines + resampled, trainer=trainer)
    return tok


def encoder(vocab, merges, split):
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, byte_fallback=True, unk_token=None))
    tok.normalizer = normalizers.Replace(" ", "▁")
    if split:
        tok.pre_tokenizer = pre_tokenizers.Split(Regex(r"\n+"), behavior="isolated")
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.add_special_tokens([tokenizers.AddedToken(t, special=True, normalized=False) for t in CONTROL + USER_DEFINED])
    return tok


def encode(tok, text, parse_special):
    tok.encode_special_tokens = not parse_special
    return tok.encode(text, add_special_tokens=False).ids


def main():
    trained = train()
    model = json.loads(trained.to_str())["model"]
    vocab = model["vocab"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ", 1)) for m in model["merges"]]
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    assert all(t is not None for t in tokens)
    assert all(" " not in a and " " not in b for a, b in merges)
    for a, b in merges:
        assert ("\n" in a + b) == (set(a + b) == {"\n"}), (a, b)
        assert not any(c.isdigit() for c in a + b), (a, b)

    plain, split = encoder(vocab, merges, False), encoder(vocab, merges, True)
    vectors = []
    for text, parse_special in VECTORS + fuzz():
        ids = encode(plain, text, parse_special)
        assert ids == encode(split, text, parse_special), f"newline split changes HF result for {text!r}"
        vectors.append({"text": text, "parse_special": parse_special, "ids": ids})
    # llama.cpp emits an all-newline run whole when it is a token; check HF agrees on this vocabulary.
    for run in range(1, 12):
        nl = "\n" * run
        if nl in vocab:
            assert encode(plain, "x" + nl + "y", False)[1:-1] == [vocab[nl]], f"newline run of {run} not whole in HF"

    # The hand-written Gemma 4 chat renderings, tokenized whole with specials parsed (they start with the literal
    # <bos>). Left out: the case where the user spells markers, which rullama deliberately tokenizes differently.
    chat = []
    for f in sorted((ROOT / "models-gemma4/src/test/resources/chat").glob("gemma4-*.expected")):
        if "spells-markers" in f.stem:
            continue
        text = f.read_text(encoding="utf-8")
        chat.append({"name": f.stem, "text": text, "parse_special": True, "ids": encode(plain, text, True)})

    types = []
    for t in tokens:
        if t in CONTROL:
            types.append(3)
        elif t in USER_DEFINED:
            types.append(4)
        else:
            types.append(1)  # byte tokens included: Ollama's converter types them NORMAL
    w = gguf.GGUFWriter(str(OUT / "gemma4-synthetic.gguf"), "gemma4")
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_string("tokenizer.ggml.pre", "gemma4")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.scores", [float(i) for i in range(len(tokens))])
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_array("tokenizer.ggml.merges", [f"{a} {b}" for a, b in merges])
    w.add_uint32("tokenizer.ggml.bos_token_id", vocab["<bos>"])
    w.add_uint32("tokenizer.ggml.eos_token_id", vocab["<eos>"])
    w.add_uint32("tokenizer.ggml.unknown_token_id", vocab["<unk>"])
    w.add_uint32("tokenizer.ggml.padding_token_id", vocab["<pad>"])
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    meta = {
        "generator": "tools/oracles/tokenizer/gen_gemma4_bpe.py",
        "oracle": f"huggingface tokenizers {tokenizers.__version__} (BPE, byte_fallback, Replace(' ', '▁'))",
        "vocab_size": len(tokens),
        "merges": len(merges),
        "vectors": vectors[:len(VECTORS)],
        "fuzz": vectors[len(VECTORS):],
        "chat": chat,
    }
    (OUT / "gemma4-synthetic-vectors.json").write_text(dump(meta), encoding="utf-8")
    print(f"{len(tokens)} tokens, {len(merges)} merges, {len(vectors)} vectors", file=sys.stderr)


if __name__ == "__main__":
    main()
