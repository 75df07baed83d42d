package dev.rullama.gemma;

/**
 * How a layer's RoPE frequencies are shaped beyond {@code theta_i = base^(-2i/dims)} (NeoX pairing: dim i with
 * dim i + dims/2, for i < dims/2).
 */
public enum RopeFrequencies {
    /** Every pair rotates at {@code base^(-2i/dims)}. Gemma 4 sliding layers, every Gemma 3 layer. */
    STANDARD,
    /**
     * Gemma 4 full layers in a file that carries {@code rope_freqs.weight} [dims/2]: theta_i is divided by that
     * tensor's entry i, as ggml does (1.0 for the first pairs, 1e30, i.e. no rotation, for the rest).
     */
    FREQ_FACTORS_TENSOR,
    /**
     * Gemma 4 full layers in a file without {@code rope_freqs.weight}: HF's "proportional" RoPE, the first
     * {@code floor(partial_rotary_factor * dims / 2)} pairs rotate at {@code base^(-2i/dims)} (the denominator is the
     * full dims) and the rest stay unrotated. The factor is {@code rope.partial_rotary_factor} when the file has that
     * key, otherwise Gemma 4's 0.25.
     */
    PROPORTIONAL
}
