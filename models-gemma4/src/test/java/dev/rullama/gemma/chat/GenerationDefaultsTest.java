package dev.rullama.gemma.chat;

import dev.rullama.api.webgpu.RullamaCache;
import dev.rullama.gemma.sampling.SamplingConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Defaults from an Ollama params layer, with Ollama's fallbacks for what it leaves out. */
class GenerationDefaultsTest {

    @Test
    void fallbacksWhenNothingIsSet() {
        GenerationDefaults d = GenerationDefaults.fromParamsJson("{}");
        assertEquals(GenerationDefaults.ollamaFallbacks(), d);
        SamplingConfig s = d.sampling();
        assertEquals(0.8f, s.temperature());
        assertEquals(40, s.topK());
        assertEquals(0.9f, s.topP());
        assertEquals(1.0f, s.repeatPenalty());
        assertEquals(List.of(), d.stop());
        assertEquals(-1, d.numPredict());
    }

    @Test
    void gemma4LibraryParams() {
        GenerationDefaults d = GenerationDefaults.fromParamsJson("{\"temperature\":1,\"top_k\":64,\"top_p\":0.95}");
        assertEquals(1f, d.sampling().temperature());
        assertEquals(64, d.sampling().topK());
        assertEquals(0.95f, d.sampling().topP());
        assertEquals(0.9f, SamplingConfig.ollamaDefaults().topP());
        assertEquals(1.0f, d.sampling().repeatPenalty(), "unset: Ollama's fallback");
        assertEquals(List.of(), d.stop(), "stopping relies on the end-of-generation tokens");
    }

    @Test
    void everyKey() {
        GenerationDefaults d = GenerationDefaults.fromParamsJson("""
                {"temperature":0.2,"top_k":5,"top_p":0.5,"min_p":0.05,"repeat_penalty":1.1,"repeat_last_n":32,
                 "presence_penalty":0.3,"frequency_penalty":0.4,"seed":7,"stop":"<turn|>","num_predict":128,
                 "num_keep":8,"num_ctx":8192,"mirostat":0}""");
        assertEquals(new SamplingConfig(0.2f, 5, 0.5f, 0.05f, 1.1f, 0.3f, 0.4f, 32, 7), d.sampling());
        assertEquals(List.of("<turn|>"), d.stop());
        assertEquals(128, d.numPredict());
        assertEquals(8, d.numKeep());
        assertEquals(8192, d.numCtx());
    }

    @Test
    void wrongTypesAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.fromParamsJson("[]"));
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.fromParamsJson("{\"temperature\":\"hot\"}"));
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.fromParamsJson("{\"top_k\":1.5}"));
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.fromParamsJson("{\"stop\":[1]}"));
        assertThrows(IllegalArgumentException.class, () -> GenerationDefaults.fromParamsJson("not json"));
    }

    /** The params layer scripts/setup.sh installed with gemma3:270m. */
    @Test
    void gemma3InstalledParamsLayer() throws Exception {
        Path params = RullamaCache.dir().resolve("models/blobs/sha256-2e98d062a41d5678bec5f3fe8ca7e0c87e1c7f625d344453ffcf57c22190bd37");
        assertTrue(Files.isRegularFile(params), params + " is missing: run scripts/setup.sh");
        GenerationDefaults d = GenerationDefaults.fromParamsJson(Files.readString(params));
        assertEquals(new SamplingConfig(1f, 64, 0.95f, 0f, 1f, 0f, 0f, 64, SamplingConfig.RANDOM_SEED), d.sampling());
        assertEquals(List.of("<end_of_turn>"), d.stop());
    }
}
