package dev.rullama.ollama;

import java.util.Optional;

/**
 * One manifest layer (or the config): media type, {@code sha256:<64 hex>} digest, size in bytes, and the optional
 * {@code from} (source model) and {@code name} (MLX tensor/config path) fields.
 */
public record Layer(String mediaType, String digest, long size, Optional<String> from, Optional<String> name) {

    public LayerKind kind() { return LayerKind.fromMediaType(mediaType); }

    /** The 64 hex digits of the digest. */
    public String hex() { return digest.substring(7); }

    /** The first 12 hex digits, as Ollama shows ids. */
    public String shortDigest() { return hex().substring(0, 12); }
}
