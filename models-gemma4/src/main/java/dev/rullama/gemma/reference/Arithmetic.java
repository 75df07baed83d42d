package dev.rullama.gemma.reference;

/**
 * How the reference rounds. {@link #EXACT} is the oracle: weights decoded to float32, activations kept in float32.
 * {@link #GGML_CPU} reproduces the two places where llama.cpp's CPU backend deliberately computes less exactly, so
 * that the reference can be compared with llama.cpp's logits tightly and reproduce its greedy tokens:
 * <ul>
 * <li>before a matrix product with a quantized or half-precision weight, ggml converts the activation vector to the
 *     weight type's {@code vec_dot_type}: Q8_0 (32-element blocks, f16 scale) for Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/MXFP4,
 *     Q8_K (256-element blocks, f32 scale) for the K-quants, f16 for F16, bf16 for BF16
 *     ({@link GgmlCpuRounding#activations});</li>
 * <li>GELU is read from a table indexed by the input rounded to f16, holding f16 values (GGML_GELU_FP16).</li>
 * </ul>
 * Those are not mistakes but they are not Gemma either: on the synthetic fixtures they move quantized logits 3–12% away
 * from exact arithmetic (HF transformers and the float64 numpy pass agree with {@link #EXACT} to 6e-6).
 */
public enum Arithmetic {
    EXACT,
    GGML_CPU
}
