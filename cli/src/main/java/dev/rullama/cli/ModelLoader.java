package dev.rullama.cli;

import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.gpu.GpuLanguageModel;
import dev.rullama.api.ModelFamily;
import dev.rullama.api.RullamaException;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.chat.ChatFormat;
import dev.rullama.gemma.chat.GenerationDefaults;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.runtime.LanguageModel;
import dev.rullama.gemma.runtime.ReferenceLanguageModel;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgufFile;
import dev.rullama.ollama.Layer;
import dev.rullama.ollama.LayerKind;
import dev.rullama.ollama.Manifest;
import dev.rullama.ollama.ModelNotFoundException;
import dev.rullama.ollama.OllamaStore;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Opens a model by name for generation: finds it in the stores, maps its GGUF (read-only), picks the model family
 * by {@code general.architecture} (a {@link ModelFamily} found with ServiceLoader), builds tokenizer, chat format and
 * defaults (the manifest's params layer, else Ollama's fallbacks), and puts the weights on the chosen engine.
 */
final class ModelLoader {
    /** The hidden engine that runs the plain-Java reference forward pass. */
    static final String CPU_REFERENCE = "cpu-reference";

    record Loaded(String name, GgufFile file, GemmaConfig config, GemmaTokenizer tokenizer, ChatFormat chat,
                  GenerationDefaults defaults, LanguageModel model) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
            file.close();
        }
    }

    private ModelLoader() {}

    static Loaded load(EngineOptions engine, String name, Backends backends) throws Exception {
        return load(engine, name, backends, GpuLanguageModel.LoadProgress.NONE);
    }

    /** As {@link #load(EngineOptions, String, Backends)}, reporting a GPU engine's weight upload to {@code progress}. */
    static Loaded load(EngineOptions engine, String name, Backends backends, GpuLanguageModel.LoadProgress progress) throws Exception {
        Path models = engine.models;
        String backend = engine.backendOrDefault();
        Path direct = Path.of(name);
        if (name.endsWith(".gguf") && java.nio.file.Files.isRegularFile(direct)) {
            // a GGUF file given by path, as llama.cpp takes one: no manifest, so Ollama's default parameters
            GgufFile file = GgufFile.open(direct);
            try {
                return build(direct.getFileName().toString(), file, GenerationDefaults.ollamaFallbacks(), engine, backend, backends, progress);
            } catch (Exception e) {
                file.close();
                throw e;
            }
        }
        List<OllamaStore> stores = ModelStores.resolve(models);
        Manifest manifest = null;
        OllamaStore store = null;
        ModelNotFoundException notFound = null;
        for (OllamaStore s : stores) {
            try {
                manifest = s.manifest(name);
                store = s;
                break;
            } catch (ModelNotFoundException e) {
                if (notFound == null) notFound = e;
            }
        }
        if (manifest == null) throw new RullamaException(notFound.getMessage() + " (run `rullama list` to see the models)");
        GgufFile file = store.openModel(manifest);
        try {
            Optional<Layer> params = manifest.layer(LayerKind.PARAMS);
            GenerationDefaults defaults = params.isPresent()
                    ? GenerationDefaults.fromParamsJson(store.readText(manifest, params.get()))
                    : GenerationDefaults.ollamaFallbacks();
            return build(manifest.name().displayShortest(), file, defaults, engine, backend, backends, progress);
        } catch (Exception e) {
            file.close();
            throw e;
        }
    }

    private static Loaded build(String name, GgufFile file, GenerationDefaults defaults, EngineOptions engine, String backend,
                                Backends backends, GpuLanguageModel.LoadProgress progress) throws Exception {
        String arch = file.metadata().architecture();
        requireFamily(arch, file.path());
        GemmaConfig config = GemmaConfig.from(file);
        GemmaTokenizer tokenizer = GemmaTokenizer.fromGguf(file);
        ChatFormat chat = ChatFormat.forArchitecture(arch);
        int maxContext = engine.contextLength(config.contextLength() > 0 ? config.contextLength() : Integer.MAX_VALUE);
        LanguageModel model = engine(file, config, backend, backends, maxContext, progress);
        return new Loaded(name, file, config, tokenizer, chat, defaults, model);
    }

    private static void requireFamily(String arch, Path file) throws RullamaException {
        for (ModelFamily f : ServiceLoader.load(ModelFamily.class))
            if (f.architectures().contains(arch)) return;
        throw new RullamaException(file + ": general.architecture '" + arch + "' is not supported (this build runs: "
                + String.join(", ", ServiceLoader.load(ModelFamily.class).stream().flatMap(p -> p.get().architectures().stream()).sorted().toList()) + ")");
    }

    private static LanguageModel engine(GgufFile file, GemmaConfig config, String backend, Backends backends, int maxContext,
                                        GpuLanguageModel.LoadProgress progress) throws RullamaException {
        if (CPU_REFERENCE.equalsIgnoreCase(backend)) return new ReferenceLanguageModel(ReferenceModel.load(file));
        Backend b = backends.select(backend);
        return GpuLanguageModel.open(b, DeviceOptions.defaults(), file, config, maxContext, progress);
    }
}
