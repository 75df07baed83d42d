package dev.rullama.gemma.runtime;

/**
 * One conversation's state on some engine (the CPU reference or a GPU backend): its KV cache and position.
 * Every engine gives the same logits for the same tokens, within the tolerances its tests state.
 */
public interface InferenceSession extends AutoCloseable {
    /** Tokens already in the cache. */
    int position();

    /** The most tokens this session can hold. */
    int contextLength();

    /** Appends {@code tokens} (one batch) and returns the logits after the last one. */
    float[] prefill(int[] tokens);

    /** Appends one token and returns the logits after it. */
    float[] decode(int token);

    /** Appends {@code tokens} and returns the logits at every one of their positions. */
    float[][] forwardAll(int[] tokens);

    @Override
    default void close() {}
}
