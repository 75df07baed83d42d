package dev.rullama.gemma.runtime;

import dev.rullama.gemma.sampling.SamplingConfig;

/**
 * A session that can also pick the next token on its device, so that only the token id comes back instead of the
 * vocabulary's logits. {@link Generator} uses it whenever {@link #samplesOnDevice} accepts the configuration and no
 * token constraint is active; otherwise it samples on the CPU from the logits.
 *
 * <p>Greedy decoding gives the same tokens as the CPU sampler (both take the argmax, ties to the lower id). Stochastic
 * sampling follows the CPU sampler's steps (top-k, temperature, top-p, min-p) but draws from the device's own
 * counter-based RNG: deterministic for a given seed and draw number, not the CPU sampler's sequence.
 */
public interface DeviceSampling {
    /** Whether the device can sample with {@code config} (e.g. no repetition penalties, a bounded top-k). */
    boolean samplesOnDevice(SamplingConfig config);

    /** Appends {@code tokens} and samples the next token; {@code draw} numbers the draws of one generation. */
    int prefillSample(int[] tokens, SamplingConfig config, int draw);

    /** Appends {@code token} and samples the next one. */
    int decodeSample(int token, SamplingConfig config, int draw);
}
