package dev.rullama.gemma;

import java.util.Optional;

/**
 * The two {@code general.architecture} values this family runs. Everything that differs between them is decided here
 * once, from the architecture key alone, and exposed through {@link GemmaConfig}; the forward pass never asks which
 * architecture it runs, only what the config says.
 */
public enum GemmaArchitecture {
    /** Gemma 4: attention scale 1.0, V-norm, proportional RoPE on full layers, softcap 30, optional PLE/KV sharing/MoE. */
    GEMMA4("gemma4", "Gemma 4"),
    /** Gemma 3: attention scale 1/sqrt(head_dim), no V-norm, linear RoPE scaling on global layers, no softcap. */
    GEMMA3("gemma3", "Gemma 3");

    private final String key;
    private final String displayName;

    GemmaArchitecture(String key, String displayName) {
        this.key = key;
        this.displayName = displayName;
    }

    /** The {@code general.architecture} value, also the prefix of every model key ({@code gemma4.block_count}). */
    public String key() { return key; }

    public String displayName() { return displayName; }

    public static Optional<GemmaArchitecture> of(String architecture) {
        for (GemmaArchitecture a : values()) if (a.key.equals(architecture)) return Optional.of(a);
        return Optional.empty();
    }
}
