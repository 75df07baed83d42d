/**
 * One class per ggml tensor type: its block layout (field offsets as constants) and a reference dequantizer that is
 * bit-exact with ggml's {@code dequantize_row_*} and the PyPI {@code gguf.quants} module. Shared entry point:
 * {@link dev.rullama.gguf.quant.QuantBlock}; {@link dev.rullama.gguf.GgmlType#quantBlock()} picks the class.
 */
package dev.rullama.gguf.quant;
