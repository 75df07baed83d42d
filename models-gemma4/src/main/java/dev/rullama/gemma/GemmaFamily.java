package dev.rullama.gemma;

import dev.rullama.api.ModelFamily;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The Gemma model family: GGUF files whose {@code general.architecture} is {@code gemma4} or {@code gemma3}. Found by
 * {@link java.util.ServiceLoader} through {@code META-INF/services/dev.rullama.api.ModelFamily}; another family plugs
 * in the same way from its own jar. The config is read with {@link GemmaConfig#from}, never from the model's name.
 */
public final class GemmaFamily implements ModelFamily {
    private static final Set<String> ARCHITECTURES =
            Arrays.stream(GemmaArchitecture.values()).map(GemmaArchitecture::key).collect(Collectors.toUnmodifiableSet());

    /** Public no-argument constructor for ServiceLoader. */
    public GemmaFamily() {}

    @Override
    public Set<String> architectures() { return ARCHITECTURES; }

    @Override
    public String displayName() { return "Gemma 4 / Gemma 3"; }
}
