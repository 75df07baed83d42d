package dev.rullama.cli;

import dev.rullama.api.RullamaException;
import dev.rullama.api.webgpu.RullamaCache;
import dev.rullama.ollama.ModelNotFoundException;
import dev.rullama.ollama.ModelShow;
import dev.rullama.ollama.OllamaStore;
import dev.rullama.ollama.StoreListing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The stores a command reads, in lookup order: {@code --models DIR} alone when given; otherwise the user's Ollama
 * store ({@code $OLLAMA_MODELS}, {@code ~/.ollama/models}, {@code /usr/share/ollama/.ollama/models}) followed by
 * rullama's own store in the setup cache (where {@code scripts/setup.sh} installs Gemma 3 270M). Every store is
 * opened read-only; nothing in them is written, moved or locked.
 */
final class ModelStores {
    private ModelStores() {}

    static List<OllamaStore> resolve(Path explicit) throws RullamaException {
        if (explicit != null) return List.of(OllamaStore.at(explicit));
        List<OllamaStore> stores = new ArrayList<>();
        RullamaException ollamaProblem = null;
        try {
            stores.add(OllamaStore.locate());
        } catch (RullamaException e) {
            ollamaProblem = e;
        }
        Path own = RullamaCache.dir().resolve("models");
        if (Files.isDirectory(own.resolve("manifests"))) stores.add(OllamaStore.at(own));
        if (stores.isEmpty())
            throw new RullamaException(ollamaProblem.getMessage() + "; rullama's own store " + own + " is empty too (scripts/setup.sh installs gemma3:270m there)");
        return stores;
    }

    /** Shows the model from the first store that has it. */
    static ModelShow show(List<OllamaStore> stores, String name) throws RullamaException, IOException {
        ModelNotFoundException first = null;
        for (OllamaStore s : stores) {
            try {
                return s.show(name);
            } catch (ModelNotFoundException e) {
                if (first == null) first = e;
            }
        }
        throw new RullamaException(first.getMessage() + (stores.size() > 1 ? " (looked in " + roots(stores) + ")" : ""));
    }

    static List<StoreListing> list(List<OllamaStore> stores) throws IOException {
        List<StoreListing> out = new ArrayList<>();
        for (OllamaStore s : stores) out.add(s.list());
        return out;
    }

    static String roots(List<OllamaStore> stores) {
        return String.join(", ", stores.stream().map(s -> s.root().toString()).toList());
    }
}
