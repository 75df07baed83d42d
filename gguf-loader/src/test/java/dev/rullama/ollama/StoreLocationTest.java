package dev.rullama.ollama;

import dev.rullama.api.RullamaException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StoreLocationTest {

    @Test
    void ollamaModelsWinsWhenSet(@TempDir Path dir) throws Exception {
        Path models = Files.createDirectories(dir.resolve("custom"));
        Files.createDirectories(dir.resolve("home/.ollama/models"));
        OllamaStore s = OllamaStore.locate(Map.of("OLLAMA_MODELS", models.toString()), dir.resolve("home"));
        assertEquals(models, s.root());
    }

    @Test
    void aMissingOllamaModelsIsAnErrorNotASilentFallback(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("home/.ollama/models"));
        RullamaException e = assertThrows(RullamaException.class,
                () -> OllamaStore.locate(Map.of("OLLAMA_MODELS", dir.resolve("nope").toString()), dir.resolve("home")));
        assertTrue(e.getMessage().contains("OLLAMA_MODELS="), e.getMessage());
    }

    @Test
    void homeStoreByDefault(@TempDir Path dir) throws Exception {
        Path models = Files.createDirectories(dir.resolve("home/.ollama/models"));
        assertEquals(models, OllamaStore.locate(Map.of(), dir.resolve("home")).root());
        assertEquals(models, OllamaStore.locate(Map.of("OLLAMA_MODELS", ""), dir.resolve("home")).root());
    }

    @Test
    void serviceStoreIsTheSecondCandidate(@TempDir Path dir) {
        assertEquals(Path.of("/usr/share/ollama/.ollama/models"), OllamaStore.defaultRoots(dir).get(1));
        boolean serviceStore = Files.isDirectory(Path.of("/usr/share/ollama/.ollama/models"));
        if (serviceStore) System.out.println("SKIPPED StoreLocationTest.serviceStoreIsTheSecondCandidate: this machine has an Ollama service store");
        assumeTrue(!serviceStore, "this machine has an Ollama service store");
        RullamaException e = assertThrows(RullamaException.class, () -> OllamaStore.locate(Map.of(), dir.resolve("nohome")));
        assertTrue(e.getMessage().contains("no Ollama model store found; looked in"), e.getMessage());
        assertTrue(e.getMessage().contains("/usr/share/ollama/.ollama/models"), e.getMessage());
    }

    @Test
    void explicitRootMustExist(@TempDir Path dir) {
        assertThrows(RullamaException.class, () -> OllamaStore.at(dir.resolve("missing")));
    }

    @Test
    void emptyStoreListsNothing(@TempDir Path dir) throws Exception {
        StoreListing l = OllamaStore.at(dir).list();
        assertEquals(0, l.models().size());
        assertEquals(0, l.problems().size());
    }
}
