/**
 * Synthetic Gemma 4 models of real shape, for benchmarks: {@link dev.rullama.gemma.synth.RealShapes} holds the text
 * decoder shapes of E2B, E4B, 12B, 26B-A4B and 31B; {@link dev.rullama.gemma.synth.SyntheticModel} plans every tensor
 * with its real name, shape and Ollama's Q4_K_M type, and writes random but numerically sane weights straight into a
 * store in Ollama's layout (one streaming pass that also computes the blob's SHA-256). {@code rullama synth} is the
 * command-line front end.
 */
package dev.rullama.gemma.synth;
