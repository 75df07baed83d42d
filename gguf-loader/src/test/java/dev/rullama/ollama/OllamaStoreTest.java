package dev.rullama.ollama;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufSummary;
import dev.rullama.gguf.GgufWriter;
import dev.rullama.gguf.Modality;
import dev.rullama.gguf.TestGguf;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny store in Ollama's exact layout: gemma4 under two tags sharing blobs, a LoRA model with an adapter layer, a
 * model on a host with a port stored under a legacy blob name, an MLX model, and download leftovers to ignore.
 */
class OllamaStoreTest {
    static final String CONFIG = "{\"model_format\":\"gguf\",\"model_family\":\"gemma4\",\"model_families\":[\"gemma4\"],"
            + "\"model_type\":\"8.0B\",\"file_type\":\"Q4_K_M\",\"renderer\":\"gemma4\",\"parser\":\"gemma4\",\"architecture\":\"amd64\",\"os\":\"linux\"}";
    static final String TEMPLATE = "{{ .System }}<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n";
    static final String PARAMS = "{\"temperature\":1,\"top_k\":64,\"top_p\":0.95,\"stop\":[\"<turn|>\"]}";
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    @TempDir Path root;
    TestStore ts;
    OllamaStore store;
    byte[] modelGguf;
    TestStore.LayerSpec model, template, params, license, config;

    @BeforeEach
    void build() throws Exception {
        ts = new TestStore(root);
        modelGguf = TestGguf.sample().toByteArray();
        model = ts.blob("application/vnd.ollama.image.model", modelGguf);
        template = ts.text("template", TEMPLATE);
        params = ts.text("params", PARAMS);
        license = ts.text("license", "Gemma Terms of Use\n");
        config = ts.config(CONFIG);
        String gemma = TestStore.manifestJson(config, model, template, license, params);
        ts.manifest("registry.ollama.ai", "library", "gemma4", "latest", gemma, T0);
        ts.manifest("registry.ollama.ai", "library", "gemma4", "e2b", gemma, T0.plusSeconds(60));

        byte[] adapterGguf = new GgufWriter().putString("general.architecture", "gemma4").putString("general.type", "adapter")
                .putString("adapter.type", "lora").putF32("adapter.lora.alpha", 16f)
                .addF32Tensor("blk.0.attn_q.weight.lora_a", new long[] {4, 2}, new float[8]).toByteArray();
        TestStore.LayerSpec adapter = ts.blob("application/vnd.ollama.image.adapter", adapterGguf);
        TestStore.LayerSpec system = ts.text("system", "You are terse.");
        ts.manifest("registry.ollama.ai", "user", "lora", "v1",
                TestStore.manifestJson(config, model.from("gemma4:latest"), template.from("gemma4:latest"), adapter, system), T0.plusSeconds(120));

        byte[] tiny = new GgufWriter().putString("general.architecture", "gemma3").putU32("gemma3.context_length", 32768)
                .putU32("gemma3.embedding_length", 32).addTensor("token_embd.weight", GgmlType.Q8_0, new long[] {32, 2}, TestGguf.q8_0Rows(2, 1))
                .toByteArray();
        TestStore.LayerSpec tinyModel = ts.legacyBlob("application/vnd.ollama.image.model", tiny);
        ts.manifest("localhost:5000", "team", "tiny", "q8", TestStore.manifestJson(ts.config("{\"model_format\":\"gguf\"}"), tinyModel), T0.plusSeconds(30));

        TestStore.LayerSpec mlxTensor = ts.blob("application/vnd.ollama.image.tensor", new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'}).named("model.safetensors");
        TestStore.LayerSpec mlxJson = ts.text("json", "{\"hidden_size\":8}").named("config.json");
        ts.manifest("hf.co", "someone", "Mlx-Thing", "4bit",
                TestStore.manifestJson(ts.config("{\"model_format\":\"safetensors\"}"), mlxTensor, mlxJson), T0.minusSeconds(60));

        Files.write(root.resolve("blobs").resolve("sha256-" + "ab".repeat(32) + "-partial"), new byte[10]);
        Files.write(root.resolve("blobs").resolve("sha256-" + "ab".repeat(32) + "-partial-0"), new byte[10]);
        store = OllamaStore.at(root);
    }

    @Test
    void listsEveryManifestNewestFirst() throws Exception {
        StoreListing l = store.list();
        assertEquals(List.of(), l.problems());
        assertEquals(List.of("user/lora:v1", "gemma4:e2b", "localhost:5000/team/tiny:q8", "gemma4:latest", "hf.co/someone/Mlx-Thing:4bit"),
                l.models().stream().map(ModelEntry::displayName).toList());
        ModelEntry latest = l.models().get(3);
        byte[] manifestBytes = Files.readAllBytes(root.resolve("manifests/registry.ollama.ai/library/gemma4/latest"));
        assertEquals("sha256:" + TestStore.sha256(manifestBytes), latest.digest());
        assertEquals(TestStore.sha256(manifestBytes).substring(0, 12), latest.id());
        assertEquals(latest.id(), l.models().get(1).id(), "two tags of one manifest share the id");
        assertEquals(config.size() + model.size() + template.size() + license.size() + params.size(), latest.size());
        assertEquals(T0, latest.modified());
        assertEquals(new ModelName("registry.ollama.ai", "library", "gemma4", "latest"), latest.name());
    }

    @Test
    void showGathersArchitectureQuantMixLayersAndText() throws Exception {
        ModelShow s = store.show("gemma4:e2b");
        GgufSummary g = s.model().orElseThrow();
        assertEquals("gemma4", g.architecture().orElseThrow());
        assertEquals(131072, g.contextLength().orElseThrow());
        assertEquals(64, g.embeddingLength().orElseThrow());
        assertEquals(2, g.blockCount().orElseThrow());
        assertEquals("Q4_K_M", g.fileType().orElseThrow());
        long params = 64 + 64 * 4 + 32 * 2 + 8 * 2 + 8 + 4 + 4 + 256;
        assertEquals(params, g.parameterCount());
        assertEquals(64 + 64 * 4 + 32 * 2 + 256, g.textParameterCount());
        Map<GgmlType, GgufSummary.TypeShare> mix = new TreeMap<>();
        for (GgufSummary.TypeShare t : g.quantization()) mix.put(t.type(), t);
        assertEquals(3, mix.get(GgmlType.F32).tensors());
        assertEquals(64 * 4 + 16 + 16, mix.get(GgmlType.F32).bytes());
        assertEquals(2, mix.get(GgmlType.F16).tensors());
        assertEquals(1, mix.get(GgmlType.Q8_0).tensors());
        assertEquals(4 * 68, mix.get(GgmlType.Q8_0).bytes());
        assertEquals(144, mix.get(GgmlType.Q4_K).bytes());
        assertEquals(1, mix.get(GgmlType.BF16).tensors());
        assertEquals(Map.of(Modality.TEXT, 4, Modality.VISION, 2, Modality.AUDIO, 2), g.tensorsByModality());
        assertEquals(8, g.tensors().size());
        GgufSummary.MetadataLine tokens = g.metadata().stream().filter(m -> m.key().equals("tokenizer.ggml.tokens")).findFirst().orElseThrow();
        assertEquals("arr[str,4]", tokens.type());

        assertEquals(Map.of(LayerKind.MODEL, 1, LayerKind.TEMPLATE, 1, LayerKind.LICENSE, 1, LayerKind.PARAMS, 1), s.layerKinds());
        assertEquals(TEMPLATE, s.template().orElseThrow());
        assertEquals(List.of("Gemma Terms of Use\n"), s.licenses());
        assertEquals(64, s.params().get("top_k"));
        assertEquals(List.of("<turn|>"), s.params().get("stop"));
        assertEquals("Q4_K_M", s.config().orElseThrow().fileType().orElseThrow());
        assertEquals("gemma4", s.config().orElseThrow().renderer().orElseThrow());
        assertTrue(s.modelProblem().isEmpty());
    }

    @Test
    void showsAnAdapterLayerAndItsBase() throws Exception {
        ModelShow s = store.show("user/lora:v1");
        assertEquals(1, s.layers(LayerKind.ADAPTER).size());
        assertEquals("gemma4:latest", s.layers(LayerKind.MODEL).getFirst().from().orElseThrow());
        assertEquals("You are terse.", s.system().orElseThrow());
        Manifest m = s.manifest();
        try (GgufFile adapter = store.openGguf(m, m.layer(LayerKind.ADAPTER).orElseThrow())) {
            assertEquals("adapter", adapter.metadata().getString("general.type"));
            assertEquals(16f, adapter.metadata().getFloat("adapter.lora.alpha"));
        }
    }

    @Test
    void hostWithPortAndLegacyBlobName() throws Exception {
        ModelShow s = store.show("localhost:5000/team/tiny:q8");
        assertEquals("gemma3", s.model().orElseThrow().architecture().orElseThrow());
        Manifest m = s.manifest();
        Path blob = store.blob(m, m.modelLayer().orElseThrow());
        assertTrue(blob.getFileName().toString().startsWith("sha256:"), blob.toString());
        store.verify(m, VerifyListener.NONE);
    }

    @Test
    void namesResolveCaseInsensitively() throws Exception {
        Manifest m = store.manifest("GEMMA4:E2B");
        assertEquals(root.resolve("manifests/registry.ollama.ai/library/gemma4/e2b"), m.path());
        assertEquals("gemma4:e2b", m.name().displayShortest(), "the name as stored on disk");
        assertEquals(store.manifest("gemma4:e2b").digest(), m.digest());
        assertEquals("gemma4:latest", store.manifest("gemma4").name().displayShortest());
        assertEquals("gemma4:latest", store.manifest("registry.ollama.ai/library/gemma4:latest").name().displayShortest());
    }

    @Test
    void unknownModelIsNotFound() {
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, () -> store.manifest("gemma4:31b"));
        assertTrue(e.getMessage().contains("model 'gemma4:31b' not found in " + root), e.getMessage());
    }

    @Test
    void namesThatWouldEscapeTheStoreAreRejected() {
        for (String bad : List.of("../../../etc/passwd", "/etc/passwd", "gemma4/../../../x", "..", "a/b/../../..:x", "C:\\x")) {
            assertThrows(InvalidModelNameException.class, () -> store.manifest(bad), bad);
            assertThrows(InvalidModelNameException.class, () -> store.show(bad), bad);
        }
    }

    @Test
    void partialDownloadsAreIgnored() throws Exception {
        List<String> digests = store.blobDigests();
        assertFalse(digests.stream().anyMatch(d -> d.contains("abab")), digests.toString());
        assertTrue(digests.contains(model.digest()));
        // gemma4: model, template, params, license, config; lora: adapter, system; tiny: model (legacy name), config;
        // mlx: tensor, json, config.
        assertEquals(12, digests.size());
    }

    @Test
    void mlxModelsAreRecognisedAndRefusedClearly() throws Exception {
        Manifest m = store.manifest("hf.co/someone/Mlx-Thing:4bit");
        assertTrue(m.isMlx());
        assertEquals(List.of(LayerKind.MLX_TENSOR, LayerKind.MLX_JSON), m.layers().stream().map(Layer::kind).toList());
        assertEquals("model.safetensors", m.layers().getFirst().name().orElseThrow());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.openModel(m));
        assertEquals(m.path(), e.file());
        assertTrue(e.getMessage().contains("MLX format"), e.getMessage());
        ModelFormatException asGguf = assertThrows(ModelFormatException.class, () -> store.openGguf(m, m.layers().getFirst()));
        assertTrue(asGguf.getMessage().contains("rullama does not support; it reads GGUF models only"), asGguf.getMessage());
        ModelShow s = store.show("hf.co/someone/Mlx-Thing:4bit");
        assertTrue(s.model().isEmpty());
        assertTrue(s.modelProblem().orElseThrow().contains("MLX"));
        assertTrue(s.config().orElseThrow().isSafetensors());
    }

    @Test
    void malformedManifestJsonNamesFileAndOffset() throws Exception {
        Path p = ts.manifest("registry.ollama.ai", "library", "broken", "latest", "{\"schemaVersion\":2,\"config\":{,}", T0);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.manifest("broken"));
        assertEquals(p, e.file());
        assertTrue(e.offset() >= 0, "byte offset of the JSON error");
        assertTrue(e.getMessage().contains("malformed manifest JSON"), e.getMessage());
        StoreListing l = store.list();
        assertEquals(5, l.models().size(), "the broken manifest does not hide the others");
        assertEquals(1, l.problems().size());
        assertEquals(p, ((ModelFormatException) l.problems().getFirst()).file());
    }

    @Test
    void manifestFieldsAreValidated() throws Exception {
        ts.manifest("registry.ollama.ai", "library", "nolayers", "latest", "{\"schemaVersion\":2,\"config\":" + config.json() + "}", T0);
        assertTrue(assertThrows(ModelFormatException.class, () -> store.manifest("nolayers")).getMessage().contains("field layers: missing"));
        ts.manifest("registry.ollama.ai", "library", "baddigest", "latest",
                TestStore.manifestJson(config, new TestStore.LayerSpec("application/vnd.ollama.image.model", "sha256:../../x", 1, null, null)), T0);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.manifest("baddigest"));
        assertTrue(e.getMessage().contains("field layers[0].digest"), e.getMessage());
        ts.manifest("registry.ollama.ai", "library", "badsize", "latest",
                TestStore.manifestJson(config, new TestStore.LayerSpec("application/vnd.ollama.image.model", model.digest(), -5, null, null)), T0);
        assertTrue(assertThrows(ModelFormatException.class, () -> store.manifest("badsize")).getMessage().contains("field layers[0].size"));
    }

    @Test
    void missingBlobIsAModelFormatException() throws Exception {
        TestStore.LayerSpec ghost = new TestStore.LayerSpec("application/vnd.ollama.image.model", "sha256:" + "cd".repeat(32), 100, null, null);
        Path p = ts.manifest("registry.ollama.ai", "library", "ghost", "latest", TestStore.manifestJson(config, ghost), T0);
        Manifest m = store.manifest("ghost");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.openModel(m));
        assertEquals(p, e.file());
        assertTrue(e.getMessage().contains("model layer sha256:" + "cd".repeat(32) + " is missing its blob"), e.getMessage());
        assertThrows(ModelFormatException.class, () -> store.verify(m, VerifyListener.NONE));
        assertThrows(ModelFormatException.class, () -> store.show("ghost"));
    }

    @Test
    void verifyHashesWithProgress() throws Exception {
        Manifest m = store.manifest("gemma4:latest");
        List<long[]> progress = new ArrayList<>();
        store.verify(m, m.modelLayer().orElseThrow(), (done, total) -> progress.add(new long[] {done, total}));
        assertEquals(0, progress.getFirst()[0]);
        assertEquals(modelGguf.length, progress.getLast()[0]);
        for (long[] p : progress) assertEquals(modelGguf.length, p[1]);
        for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i)[0] >= progress.get(i - 1)[0]);
        store.verify(m, VerifyListener.NONE);
    }

    @Test
    void verifyDetectsADigestMismatch() throws Exception {
        Manifest m = store.manifest("gemma4:latest");
        Layer l = m.modelLayer().orElseThrow();
        Path blob = store.blob(m, l);
        byte[] corrupt = modelGguf.clone();
        corrupt[100] ^= 1;
        Files.write(blob, corrupt);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> store.verify(m, l, VerifyListener.NONE));
        assertEquals(blob, e.file());
        assertTrue(e.getMessage().contains("sha256 is " + TestStore.sha256(corrupt) + " but the manifest"), e.getMessage());
        Files.write(blob, TestGguf.cut(modelGguf, 10));
        ModelFormatException size = assertThrows(ModelFormatException.class, () -> store.verify(m, l, VerifyListener.NONE));
        assertTrue(size.getMessage().contains("blob is 10 bytes but the manifest"), size.getMessage());
    }

    @Test
    void readingNeverChangesTheStore() throws Exception {
        Map<Path, String> before = snapshot(root);
        store.list();
        for (ModelEntry e : store.list().models()) {
            ModelShow s = store.show(e.name().toString());
            store.verify(s.manifest(), VerifyListener.NONE);
            if (s.manifest().modelLayer().isPresent()) {
                try (GgufFile f = store.openModel(s.manifest())) {
                    f.checkTensors();
                }
            }
        }
        store.blobDigests();
        assertThrows(ModelNotFoundException.class, () -> store.manifest("Nope:x"));
        assertEquals(before, snapshot(root));
    }

    /** Every file and directory: mtime, size, and a content hash for files. */
    static Map<Path, String> snapshot(Path root) throws IOException {
        Map<Path, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                String content = a.isRegularFile() ? TestStore.sha256(Files.readAllBytes(p)) : "dir";
                m.put(root.relativize(p), a.lastModifiedTime().toMillis() + "/" + a.size() + "/" + content);
            }
        }
        return m;
    }
}
