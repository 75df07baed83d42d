package dev.rullama.gemma.runtime;

import dev.rullama.gemma.GemmaConfig;

/** A loaded model on one engine; sessions share its weights. */
public interface LanguageModel extends AutoCloseable {
    GemmaConfig config();

    /** The engine, e.g. {@code cpu-reference} or {@code dawn (NVIDIA H200)}. */
    String engine();

    InferenceSession newSession(int contextLength);

    @Override
    default void close() {}
}
