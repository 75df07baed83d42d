package dev.rullama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufWriter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rullama list} and {@code show} on a store the test builds in Ollama's exact layout: a model with two tags
 * sharing one blob, an adapter, template/params/license layers, a > 4 GiB sparse model, and a corrupt blob.
 */
class StoreCommandsTest {
    @TempDir
    static Path root;

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static String blob(String kind, byte[] content) throws Exception {
        String hex = sha256(content);
        Files.write(root.resolve("blobs/sha256-" + hex), content);
        return "{\"mediaType\":\"application/vnd.ollama.image." + kind + "\",\"digest\":\"sha256:" + hex + "\",\"size\":" + content.length + "}";
    }

    static void manifest(String model, String tag, String config, String... layers) throws IOException {
        Path p = root.resolve("manifests/registry.ollama.ai/library/" + model + "/" + tag);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
                + config + ",\"layers\":[" + String.join(",", layers) + "]}");
    }

    static GgufWriter tinyGemma() {
        return new GgufWriter().putString("general.architecture", "gemma3").putU32("gemma3.context_length", 32768)
                .putU32("gemma3.embedding_length", 64).putU32("gemma3.block_count", 1).putU32("general.file_type", 15)
                .addF32Tensor("token_embd.weight", new long[]{64, 8}, new float[64 * 8])
                .addZeroTensor("blk.0.attn_q.weight", GgmlType.Q8_0, new long[]{64, 64})
                .addF32Tensor("v.patch_embd.weight", new long[]{4}, new float[4]);
    }

    @BeforeAll
    static void buildStore() throws Exception {
        Files.createDirectories(root.resolve("blobs"));
        byte[] gguf = tinyGemma().toByteArray();
        String config = blob("config", "{\"model_format\":\"gguf\",\"model_family\":\"gemma3\",\"file_type\":\"Q4_K_M\"}".getBytes());
        config = config.replace("application/vnd.ollama.image.config", "application/vnd.docker.container.image.v1+json");
        String model = blob("model", gguf);
        String template = blob("template", "{{ .Prompt }}".getBytes());
        String params = blob("params", "{\"temperature\":1,\"top_k\":64,\"stop\":[\"<end_of_turn>\"]}".getBytes());
        String license = blob("license", "Gemma Terms of Use\nmore".getBytes());
        String adapter = blob("adapter", new GgufWriter().putString("general.architecture", "gemma3").putString("general.type", "adapter").toByteArray());
        manifest("tiny", "latest", config, model, template, params, license);
        manifest("tiny", "lora", config, model, adapter, params);
        // > 4 GiB, sparse: its last tensor lies past 4 GiB; its blob is named by a digest nobody computed
        Path big = root.resolve("blobs/sha256-" + "ab".repeat(32));
        new GgufWriter().putString("general.architecture", "gemma4").putU32("gemma4.context_length", 131072)
                .addZeroTensor("per_layer_token_embd.weight", GgmlType.BF16, new long[]{8960, 262144})
                .addF32Tensor("output_norm.weight", new long[]{4}, new float[]{1, 2, 3, 4}).write(big);
        manifest("big", "e2b", config, "{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + "ab".repeat(32)
                + "\",\"size\":" + Files.size(big) + "}");
        Files.writeString(root.resolve("blobs/sha256-" + "cd".repeat(32) + "-partial"), "half a download");
        // a model whose GGUF is cut short in its tensor infos
        byte[] whole = tinyGemma().toByteArray();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length / 3);
        manifest("truncated", "latest", config, blob("model", cut));
        // a small model whose blob does not hash to its name
        byte[] corrupt = tinyGemma().toByteArray();
        Files.write(root.resolve("blobs/sha256-" + "ef".repeat(32)), corrupt);
        manifest("corrupt", "latest", config, "{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + "ef".repeat(32)
                + "\",\"size\":" + corrupt.length + "}");
    }

    static Map<String, String> snapshot() throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                m.put(root.relativize(p).toString(), a.size() + "@" + a.lastModifiedTime().toMillis());
            }
        }
        return m;
    }

    @Test
    void listShowsEveryModelLikeOllama() {
        CliTest.Result r = CliTest.run("list", "--models", root.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[0].matches("NAME\\s+ID\\s+SIZE\\s+MODIFIED"), lines[0]);
        assertTrue(r.out().contains("tiny:latest") && r.out().contains("tiny:lora") && r.out().contains("big:e2b"), r.out());
        assertEquals(6, lines.length, "five models and the header; the partial blob is ignored: " + r.out());
    }

    @Test
    void showReportsArchitectureContextQuantizationAndLayers() {
        CliTest.Result r = CliTest.run("show", "tiny", "--models", root.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("architecture         gemma3"), r.out());
        assertTrue(r.out().contains("context length       32768"), r.out());
        assertTrue(r.out().contains("embedding length     64"), r.out());
        assertTrue(r.out().matches("(?s).*Q8_0\\s+1 tensors.*"), r.out());
        for (String kind : new String[]{"model", "template", "params", "license"}) assertTrue(r.out().contains("    " + kind + " "), kind + ": " + r.out());
        assertTrue(r.out().contains("only text tensors are run"), "vision tensors are reported apart: " + r.out());
        CliTest.Result lora = CliTest.run("show", "tiny:lora", "--models", root.toString());
        assertTrue(lora.out().contains("    adapter "), lora.out());
    }

    @Test
    void showJsonWithTensorsAndMetadata() throws Exception {
        CliTest.Result r = CliTest.run("show", "tiny", "--json", "--tensors", "--metadata", "--models", root.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertEquals("gemma3", j.get("model").get("architecture").asText());
        assertEquals(3, j.get("model").get("tensors").size());
        assertTrue(j.get("model").get("metadata").toString().contains("gemma3.context_length"));
        assertEquals(64, j.get("params").get("top_k").asInt());
    }

    @Test
    void aLargeSparseModelShowsFast() {
        long t0 = System.nanoTime();
        CliTest.Result r = CliTest.run("show", "big:e2b", "--tensors", "--models", root.toString());
        System.out.printf("show of a %s sparse GGUF took %.1f ms (benchmark figure, not asserted)%n", "4.7 GB", (System.nanoTime() - t0) / 1e6);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("per_layer_token_embd.weight") && r.out().contains("BF16"), r.out());
    }

    @Test
    void verifyCatchesADigestMismatchInOneLine() {
        CliTest.Result r = CliTest.run("show", "corrupt", "--verify", "--models", root.toString());
        assertEquals(1, r.code());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.startsWith("rullama: error: ") && last.contains("sha256"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        CliTest.Result ok = CliTest.run("show", "tiny", "--verify", "--models", root.toString());
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void aTruncatedGgufIsOneLineNamingFileAndOffset() {
        CliTest.Result r = CliTest.run("show", "truncated", "--models", root.toString());
        assertEquals(1, r.code());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), err);
        assertTrue(err.contains("/blobs/sha256-") && err.contains("at byte "), err);
    }

    @Test
    void badNamesAreRefusedWithoutEscapingTheStore() {
        for (String bad : new String[]{"../../etc/passwd", "/etc/passwd", "a/../../b"}) {
            CliTest.Result r = CliTest.run("show", bad, "--models", root.toString());
            assertEquals(1, r.code(), bad);
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
        CliTest.Result missing = CliTest.run("show", "nosuch", "--models", root.toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nosuch") && missing.err().contains("not found"), missing.err());
    }

    @Test
    void theStoreIsUntouchedByEveryCommand() throws Exception {
        Map<String, String> before = snapshot();
        CliTest.run("list", "--models", root.toString());
        CliTest.run("show", "tiny", "--json", "--tensors", "--metadata", "--models", root.toString());
        CliTest.run("show", "tiny", "--verify", "--models", root.toString());
        CliTest.run("show", "big:e2b", "--models", root.toString());
        assertEquals(before, snapshot());
    }
}
