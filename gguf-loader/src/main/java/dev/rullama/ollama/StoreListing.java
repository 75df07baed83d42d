package dev.rullama.ollama;

import dev.rullama.api.RullamaException;

import java.util.List;

/**
 * The models of a store, newest first, plus the manifests that could not be read (each a ModelFormatException
 * naming the file). A broken manifest does not hide the others, as in {@code ollama list}.
 */
public record StoreListing(List<ModelEntry> models, List<RullamaException> problems) {}
