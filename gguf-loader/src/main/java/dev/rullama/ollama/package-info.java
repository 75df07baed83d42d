/**
 * Ollama's on-disk model store, read-only: {@link dev.rullama.ollama.OllamaStore} finds the root, lists models
 * ({@link dev.rullama.ollama.StoreListing}), resolves names the way Ollama does ({@link dev.rullama.ollama.ModelName}),
 * parses manifests ({@link dev.rullama.ollama.Manifest}, {@link dev.rullama.ollama.Layer}), verifies blobs, opens the
 * model GGUF and gathers what {@code show} prints ({@link dev.rullama.ollama.ModelShow}).
 */
package dev.rullama.ollama;
