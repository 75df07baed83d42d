package dev.rullama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code rullama synth}: a small real-width model into a temporary store, then {@code show} reads it back. */
class SynthCommandTest {
    @TempDir
    Path store;

    @Test
    void writesAModelThatShowAndVerifyRead() throws Exception {
        CliTest.Result r = CliTest.run("synth", "e2b", "--layers", "2", "--vocab", "512", "--seed", "3", "--models", store.toString());
        assertEquals(0, r.code(), r.err());
        String name = "synth-gemma4:e2b-2l-v512-q4_K_M";
        assertTrue(r.out().startsWith(name), r.out());
        assertTrue(r.out().contains("blob") && r.out().contains(store.resolve("blobs").toString()), r.out());
        assertTrue(r.out().contains("tensors   40 (") && r.out().contains("Q6_K"), r.out()); // 6 global + 2 × 17 per layer
        assertTrue(r.err().contains("writing " + name), r.err());

        CliTest.Result show = CliTest.run("show", name, "--models", store.toString(), "--json", "--verify");
        assertEquals(0, show.code(), show.err());
        JsonNode model = new ObjectMapper().readTree(show.out()).get("model");
        assertEquals("gemma4", model.get("architecture").asText());
        assertEquals(2, model.get("block_count").asInt());
        assertEquals(1536, model.get("embedding_length").asInt());
        assertTrue(show.err().contains("sha256 ok"), show.err());
    }

    @Test
    void planWritesNothing() {
        CliTest.Result r = CliTest.run("synth", "31b", "--plan", "--models", store.resolve("never").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("833 tensors") && r.out().contains("Q6_K"), r.out());
        assertFalse(Files.exists(store.resolve("never")));
    }

    @Test
    void anUnknownKindIsOneLineNamingTheKnownOnes() {
        CliTest.Result r = CliTest.run("synth", "70b", "--models", store.toString());
        assertEquals(2, r.code());
        assertEquals("rullama: error: unknown model kind '70b'; synth knows e2b, e4b, 12b, 26b, 31b", r.err().strip());
        CliTest.Result layers = CliTest.run("synth", "e2b", "--layers", "99", "--models", store.toString());
        assertEquals(2, layers.code());
        assertTrue(layers.err().contains("layer count must be in 1..35, not 99"), layers.err());
    }
}
