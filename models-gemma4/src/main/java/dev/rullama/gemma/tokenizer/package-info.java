/**
 * The Gemma 3 / Gemma 4 tokenizer (spec ollama-gguf §5), built from a GGUF file's {@code tokenizer.ggml.*} keys:
 * {@link dev.rullama.gemma.tokenizer.GemmaTokenizer} encodes with SentencePiece-style merging by score (Gemma 3) or
 * ranked BPE (Gemma 4, chosen by {@code tokenizer.ggml.pre=gemma4}), recognises control tokens and chat markers only in
 * template text ({@link dev.rullama.gemma.tokenizer.PromptSegment}), yields exactly one BOS, and decodes byte tokens
 * and ▁, with {@link dev.rullama.gemma.tokenizer.StreamingDecoder} holding partial UTF-8 between tokens.
 *
 * <p>Checked against llama.cpp on the real Gemma 3 vocabulary and against Hugging Face {@code tokenizers} on a
 * synthetic Gemma 4-style vocabulary; the generators are in {@code tools/oracles/tokenizer}.
 */
package dev.rullama.gemma.tokenizer;
