package dev.rullama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rullama eval} and {@code run} end to end on the CPU reference, with the synthetic Gemma 3 fixture installed
 * in a store the test builds. The numbers are checked against the HF transformers golden of the same file; the tight
 * numeric bound lives in models-gemma4's golden tests, this one proves the command's plumbing and JSON.
 */
class GenerationCommandsTest {
    @TempDir
    static Path store;
    static final Path FIXTURES = Path.of(System.getProperty("rullama.repo", "..")).resolve("models-gemma4/src/test/resources/fixtures/gemma3");
    static final int[] SEQ1 = {2, 128, 19, 24, 504, 209, 8, 217, 6, 143, 430, 139, 41, 242, 110, 358};

    @BeforeAll
    static void install() throws Exception {
        byte[] gguf = Files.readAllBytes(FIXTURES.resolve("model-bf16.gguf"));
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(gguf));
        Files.createDirectories(store.resolve("blobs"));
        Files.write(store.resolve("blobs/sha256-" + hex), gguf);
        byte[] config = "{\"model_format\":\"gguf\"}".getBytes();
        String chex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(config));
        Files.write(store.resolve("blobs/sha256-" + chex), config);
        Path m = store.resolve("manifests/registry.ollama.ai/library/tiny-gemma3/latest");
        Files.createDirectories(m.getParent());
        Files.writeString(m, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:" + chex + "\",\"size\":" + config.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + hex + "\",\"size\":" + gguf.length + "}]}");
    }

    @Test
    void evalJsonMatchesTheHfGolden() throws Exception {
        StringBuilder ids = new StringBuilder();
        for (int t : SEQ1) ids.append(ids.isEmpty() ? "" : ",").append(t);
        CliTest.Result r = CliTest.run("eval", "tiny-gemma3", "--models", store.toString(), "--backend=cpu-reference",
                "--tokens", ids.toString(), "--top-k", "3", "--generate", "4", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("cpu-reference", j.get("engine").asText());
        assertEquals(SEQ1.length, j.get("positions").size());
        assertEquals(4, j.get("generated").size());
        ByteBuffer golden = ByteBuffer.wrap(Files.readAllBytes(FIXTURES.resolve("golden-hf-seq1.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        int vocab = golden.capacity() / 4 / SEQ1.length;
        for (int p = 0; p < SEQ1.length; p++) {
            float[] row = new float[vocab];
            int best = 0;
            float max = 0;
            for (int v = 0; v < vocab; v++) {
                row[v] = golden.getFloat((p * vocab + v) * 4);
                if (row[v] > row[best]) best = v;
                max = Math.max(max, Math.abs(row[v]));
            }
            JsonNode top = j.get("positions").get(p).get("top").get(0);
            assertEquals(best, top.get("id").asInt(), "argmax at position " + p);
            // plumbing check; GoldenLogitsTest holds the tight (relative L2 1e-4) bound
            assertEquals(row[best], top.get("logit").floatValue(), 1e-3 * max, "logit at position " + p);
        }
    }

    @Test
    void runGeneratesAndReportsStats() {
        CliTest.Result r = CliTest.run("--verbose", "run", "tiny-gemma3", "--models", store.toString(), "--backend=cpu-reference",
                "--raw", "-n", "5", "--temperature", "0", "hello");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("prompt eval count:") && r.err().contains("eval rate:"), r.err());
        assertTrue(r.err().matches("(?s).*eval count:\\s+[1-5] token\\(s\\).*"), r.err());
    }

    @Test
    void badEvalInputIsOneLine() {
        CliTest.Result r = CliTest.run("eval", "tiny-gemma3", "--models", store.toString(), "--backend=cpu-reference", "--tokens", "2,99999");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("token id 99999 is outside the vocabulary"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
