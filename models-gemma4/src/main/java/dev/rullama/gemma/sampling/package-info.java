/**
 * The CPU reference sampler over a {@code float[]} of logits: penalties, greedy, top-k, temperature, top-p, min-p and a
 * seeded draw ({@link dev.rullama.gemma.sampling.Sampler}, {@link dev.rullama.gemma.sampling.SamplingConfig}). A GPU
 * argmax or top-k must agree with it.
 */
package dev.rullama.gemma.sampling;
