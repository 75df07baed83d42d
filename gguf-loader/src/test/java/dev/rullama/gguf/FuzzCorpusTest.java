package dev.rullama.gguf;

import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The committed seed corpus is valid and is exactly what {@link FuzzCorpus} writes. */
class FuzzCorpusTest {

    @Test
    void committedCorpusMatchesTheGeneratorAndParses() throws Exception {
        for (Map.Entry<String, byte[]> e : FuzzCorpus.files().entrySet()) {
            try (InputStream in = getClass().getResourceAsStream("/fuzz-corpus/" + e.getKey())) {
                assertNotNull(in, e.getKey() + " is not committed; run FuzzCorpus.main");
                assertArrayEquals(e.getValue(), in.readAllBytes(), e.getKey() + " drifted from FuzzCorpus; regenerate it");
            }
            assertTrue(e.getValue().length < 8192, e.getKey() + " should stay small");
            GgufFile f = TestGguf.parse(e.getValue());
            assertDoesNotThrow(f::checkTensors, e.getKey());
        }
    }
}
