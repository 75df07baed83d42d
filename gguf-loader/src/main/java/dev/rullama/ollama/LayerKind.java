package dev.rullama.ollama;

/**
 * What a manifest layer holds, from its media type ({@code application/vnd.ollama.image.<suffix>}, spec §1.3).
 * {@code tensor}/{@code json} layers are Ollama's MLX engine format (packed safetensors), not GGUF: recognised so
 * they can be reported, never loaded.
 */
public enum LayerKind {
    MODEL("model", true),
    PROJECTOR("projector", true),
    ADAPTER("adapter", true),
    DRAFT("draft", true),
    TEMPLATE("template", false),
    /** Legacy alias of template. */
    PROMPT("prompt", false),
    SYSTEM("system", false),
    PARAMS("params", false),
    MESSAGES("messages", false),
    LICENSE("license", false),
    /** Deprecated by Ollama; ignored. */
    EMBED("embed", false),
    MLX_TENSOR("tensor", false),
    MLX_JSON("json", false),
    /** The config blob ({@code application/vnd.docker.container.image.v1+json}). */
    CONFIG("config", false),
    UNKNOWN("unknown", false);

    public static final String OLLAMA_PREFIX = "application/vnd.ollama.image.";
    public static final String CONFIG_MEDIA_TYPE = "application/vnd.docker.container.image.v1+json";

    private final String label;
    private final boolean gguf;

    LayerKind(String label, boolean gguf) {
        this.label = label;
        this.gguf = gguf;
    }

    /** The media type suffix, e.g. "model", "license". */
    public String label() { return label; }

    /** Whether the blob is a GGUF file (model, projector, adapter, draft). */
    public boolean isGguf() { return gguf; }

    /** Whether the layer is Ollama's MLX safetensors format. */
    public boolean isMlx() { return this == MLX_TENSOR || this == MLX_JSON; }

    public static LayerKind fromMediaType(String mediaType) {
        if (mediaType == null) return UNKNOWN;
        if (mediaType.equals(CONFIG_MEDIA_TYPE)) return CONFIG;
        if (!mediaType.startsWith(OLLAMA_PREFIX)) return UNKNOWN;
        String suffix = mediaType.substring(OLLAMA_PREFIX.length());
        for (LayerKind k : values()) if (k != CONFIG && k != UNKNOWN && k.label.equals(suffix)) return k;
        return UNKNOWN;
    }
}
