/**
 * The Gemma 4 / Gemma 3 forward pass on the CPU in float32, written to be read beside {@code spec/gemma4.md}: the
 * numeric oracle for the GPU path. {@link dev.rullama.gemma.reference.ReferenceModel} holds the math,
 * {@link dev.rullama.gemma.reference.Session} one conversation's KV cache (sliding-window rings, linear caches for
 * full layers, none for KV-shared layers) shared by batched prefill and single-token decode.
 * {@link dev.rullama.gemma.reference.Arithmetic} chooses exact float32 (the default, the oracle) or ggml-cpu's
 * roundings (for differential tests against llama.cpp).
 */
package dev.rullama.gemma.reference;
