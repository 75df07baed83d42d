package dev.rullama.gemma.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gguf.GgufWriter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * llama.cpp (llama-cpp-python, through tools/synth/llamacpp_load_check.py) accepts the synthetic models, since the same
 * files are benchmarked with llama-bench: the reduced model with real data loads fully (weights mapped, a context
 * created; nothing is evaluated), and the full-size header-only file of every real shape passes llama.cpp's structure
 * check (hyper-parameters, vocabulary, every tensor of its gemma4 graph by name and shape, no extra tensor) with
 * llama.cpp's own reading of the hyper-parameters compared to {@link RealShapes}. A file with a contradicting key is
 * rejected, so the check can fail. Without python3 or llama_cpp the tests are skipped, printing why.
 */
class LlamaCppAcceptsSyntheticModelsTest {
    static final Path SCRIPT = repo().resolve("tools/synth/llamacpp_load_check.py");
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path repo() {
        String p = System.getProperty("rullama.repo");
        return (p != null ? Path.of(p) : Path.of("").toAbsolutePath().getParent()).normalize();
    }

    /** Runs the script; one JSON node per file. Skips (with the reason printed) when python3 or llama_cpp is missing. */
    static List<JsonNode> check(boolean structureOnly, Path... files) throws Exception {
        assertTrue(Files.isRegularFile(SCRIPT), "missing " + SCRIPT);
        List<String> cmd = new ArrayList<>(List.of("python3", SCRIPT.toString()));
        if (structureOnly) cmd.add("--structure-only");
        for (Path f : files) cmd.add(f.toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            String why = "python3 cannot be started: " + e.getMessage();
            System.out.println("SKIPPED: " + why);
            assumeTrue(false, why);
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail("llamacpp_load_check.py did not finish in 10 minutes");
        }
        if (p.exitValue() == 3) {
            String why = out.lines().filter(l -> l.startsWith("SKIP:")).findFirst().orElse("SKIP: llama_cpp unavailable").substring(5).strip();
            System.out.println("SKIPPED: " + why);
            assumeTrue(false, why);
        }
        List<JsonNode> docs = new ArrayList<>();
        for (String line : out.lines().filter(l -> l.startsWith("{")).toList()) docs.add(JSON.readTree(line));
        assertEquals(files.length, docs.size(), "one result per file; output was:\n" + out + "\nexit " + p.exitValue());
        return docs;
    }

    @Test
    void reducedModelWithRealDataLoads() throws Exception {
        SyntheticModel.Installed in = SynthTestFiles.reduced();
        JsonNode r = check(false, in.blob()).getFirst();
        assertTrue(r.get("loaded").asBoolean(), "llama.cpp rejected the reduced model: " + r.get("errors"));
        JsonNode h = r.get("hparams");
        RealShapes s = SynthTestFiles.REDUCED;
        assertEquals(String.valueOf(s.layers()), h.path("n_layer").asText());
        assertEquals(String.valueOf(s.embedding()), h.path("n_embd").asText());
        assertEquals(String.valueOf(s.vocab()), h.path("n_vocab").asText());
        assertEquals(list(s.ffnWidths()), h.path("n_ff").asText(), "llama.cpp's per-layer FFN widths");
        System.out.println("llama.cpp loaded " + s.kind() + ": " + h);
    }

    @Test
    void everyFullSizeShapePassesLlamaCppsStructureCheck() throws Exception {
        List<RealShapes> all = RealShapes.ALL;
        Path[] files = new Path[all.size()];
        for (int i = 0; i < files.length; i++) files[i] = SynthTestFiles.sparse(all.get(i));
        List<JsonNode> results = check(true, files);
        for (int i = 0; i < files.length; i++) {
            RealShapes s = all.get(i);
            JsonNode r = results.get(i);
            if (r.has("skipped")) {
                System.out.println("SKIPPED " + s.kind() + ": " + r.get("skipped").asText());
                continue;
            }
            assertTrue(r.get("loaded").asBoolean(), s.kind() + " rejected by llama.cpp: " + r.get("errors"));
            JsonNode h = r.get("hparams");
            assertEquals(String.valueOf(s.layers()), h.path("n_layer").asText(), s.kind());
            assertEquals(String.valueOf(s.embedding()), h.path("n_embd").asText(), s.kind());
            assertEquals("262144", h.path("n_vocab").asText(), s.kind());
            assertEquals(String.valueOf(s.experts()), h.path("n_expert").asText(), s.kind());
            int[] kv = s.kvHeadCounts();
            String wantKv = Arrays.stream(kv).distinct().count() == 1 ? String.valueOf(kv[0]) : list(kv);
            assertEquals(wantKv, h.path("n_head_kv").asText(), s.kind() + " KV heads per layer");
            assertEquals(String.valueOf(s.slidingWindow()), h.path("n_swa").asText(), s.kind());
            System.out.println("llama.cpp structure check passed: " + s.kind() + " (" + h.path("n_layer").asText() + " layers, n_ff "
                    + h.path("n_ff").asText() + ")");
        }
    }

    /** The same E2B header with embedding_length 1792: every d-shaped tensor contradicts it, and llama.cpp must say no. */
    @Test
    void aContradictingFileIsRejected() throws Exception {
        Path bad = SynthTestFiles.dir().resolve("e2b-bad-d.gguf");
        GgufWriter.Layout layout = SyntheticModel.plan(RealShapes.E2B.reduced(2, 512), 1).writeSparse(bad);
        String key = "gemma4.embedding_length";
        long valueAt = layout.keyOffsets().get(key) + 8 + key.length() + 4; // u64 length, the key, u32 type, then the value
        try (FileChannel ch = FileChannel.open(bad, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1792), valueAt);
        }
        JsonNode r = check(true, bad).getFirst();
        assertFalse(r.get("loaded").asBoolean(), "llama.cpp accepted a file whose tensors contradict its embedding_length");
        System.out.println("rejected as expected: " + r.get("errors"));
    }

    private static String list(int[] v) {
        return Arrays.stream(v).mapToObj(Integer::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
