package dev.rullama.ollama;

import java.nio.file.Path;
import java.time.Instant;

/**
 * One row of {@code rullama list}: the name, the id (first 12 hex digits of the sha256 of the manifest file, as in
 * {@code ollama list}), the total size of the config and layers, and the manifest's modification time.
 */
public record ModelEntry(ModelName name, String digest, long size, Instant modified, Path manifestPath) {

    /** {@code gemma4:latest}, {@code user/model:tag}, or the full name for another host. */
    public String displayName() { return name.displayShortest(); }

    /** First 12 hex digits of the manifest digest. */
    public String id() { return digest.substring(7, 19); }
}
