package dev.rullama.cli;

import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Which model store and engine to use, and how much context: shared by {@code run} and {@code eval}. */
final class EngineOptions {
    @Option(names = "--backend", paramLabel = "NAME", description = "dawn, wgpu, auto, or cpu-reference (the plain-Java forward pass; "
            + "default: $RULLAMA_BACKEND, else auto).")
    String backend;

    @Option(names = "--models", paramLabel = "DIR", description = "Read this store only (default: the Ollama store, then rullama's own).")
    Path models;

    @Option(names = "--ctx", paramLabel = "N", description = "Context length in tokens (default: 4096, at most the model's).")
    Integer ctx;

    int contextLength(long modelContext) {
        int want = ctx != null ? ctx : 4096;
        if (want <= 0) throw new IllegalArgumentException("--ctx must be positive, not " + want);
        return (int) Math.min(want, modelContext);
    }

    String backendOrDefault() {
        if (backend != null && !backend.isBlank()) return backend;
        String env = System.getenv("RULLAMA_BACKEND");
        return env == null || env.isBlank() ? "auto" : env;
    }
}
