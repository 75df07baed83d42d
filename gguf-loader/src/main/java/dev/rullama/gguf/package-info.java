/**
 * GGUF container: {@link dev.rullama.gguf.GgufFile} maps a file read-only through FFM and parses its header in place
 * (versions 2 and 3, all 13 metadata value types, 64-bit offsets), {@link dev.rullama.gguf.GgufTensor} gives
 * zero-copy tensor views, {@link dev.rullama.gguf.GgmlType} the ggml types and block sizes, and
 * {@link dev.rullama.gguf.GgufWriter} writes valid files for tests and synthetic models. Block layouts and reference
 * dequantizers live in {@link dev.rullama.gguf.quant}.
 */
package dev.rullama.gguf;
