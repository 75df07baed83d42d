package dev.rullama.api;

import java.util.Set;

/**
 * A family of models, discovered with {@link java.util.ServiceLoader} and keyed by the GGUF key
 * {@code general.architecture} (never by the model's name). A third party adds a model family by shipping a jar with
 * a {@code META-INF/services/dev.rullama.api.ModelFamily} entry.
 */
public interface ModelFamily {
    /** The {@code general.architecture} values this family runs, e.g. {@code gemma4}, {@code gemma3}. */
    Set<String> architectures();

    /** Human name, e.g. "Gemma 4". */
    String displayName();
}
