package dev.rullama.cli.serve;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.chat.ChatFormat;
import dev.rullama.gemma.chat.GenerationDefaults;
import dev.rullama.gemma.runtime.LanguageModel;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgufFile;
import dev.rullama.ollama.ModelConfig;
import dev.rullama.ollama.ModelEntry;
import dev.rullama.ollama.ModelShow;

import java.util.List;
import java.util.Optional;

/**
 * Where the server finds models: the CLI's stores (read-only) and its model loader, so the server uses exactly what
 * {@code rullama run} uses ({@code --models}, {@code --backend}, {@code --ctx}).
 */
public interface ModelSource {
    /** The model a request names, or empty when no store has it (the server answers 404). */
    Optional<ModelEntry> find(String name) throws Exception;

    /** Every model in the stores, first store first. */
    List<ModelEntry> list() throws Exception;

    /** What {@code rullama show} knows about the model. */
    ModelShow show(String name) throws Exception;

    /** The manifest's config blob (family, parameter size, quantization), as {@code /api/tags} reports it. */
    ModelConfig config(String name) throws Exception;

    /** Opens the model's GGUF (read-only) for its metadata; the caller closes it. */
    GgufFile openGguf(String name) throws Exception;

    /** Loads the model on the engine; called on the thread that will run it. */
    LoadedModel load(String name) throws Exception;

    /**
     * A model ready to generate.
     *
     * @param maxContext the most context a session may have (the engine was sized for it)
     * @param resources  closed when the model is unloaded (weights, mapped file)
     */
    record LoadedModel(String name, GemmaConfig config, GemmaTokenizer tokenizer, ChatFormat chat, GenerationDefaults defaults,
                       LanguageModel model, int maxContext, AutoCloseable resources) {}
}
