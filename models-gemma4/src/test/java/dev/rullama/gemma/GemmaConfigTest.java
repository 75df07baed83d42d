package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Config parsing of every variant at its real size (spec §1 table; the files are headers over sparse holes, so they
 * cost no disk), of the real Gemma 3 270M blob, and of broken files.
 */
class GemmaConfigTest {
    @TempDir
    Path dir;

    private GemmaConfig config(SyntheticGemma s) throws Exception {
        Path f = s.write(dir.resolve("m" + System.nanoTime() + ".gguf"));
        try (GgufFile g = GgufFile.open(f)) {
            return GemmaConfig.from(g);
        }
    }

    private ModelFormatException failure(SyntheticGemma s) throws Exception {
        Path f = s.write(dir.resolve("bad" + System.nanoTime() + ".gguf"));
        try (GgufFile g = GgufFile.open(f)) {
            return assertThrows(ModelFormatException.class, () -> GemmaConfig.from(g));
        }
    }

    private static SyntheticGemma tiny(Consumer<SyntheticGemma> tweak) {
        SyntheticGemma s = new SyntheticGemma();
        s.zeroType = dev.rullama.gguf.GgmlType.F32;
        tweak.accept(s);
        return s;
    }

    private static List<Integer> fullLayers(GemmaConfig c) {
        return c.layers().stream().filter(l -> !l.sliding()).map(LayerConfig::index).toList();
    }

    private static void assertGemma4Rope(GemmaConfig c) {
        for (LayerConfig l : c.layers()) {
            if (l.sliding()) {
                assertEquals(1e4, l.ropeTheta(), 0);
                assertEquals(256, l.ropeDims());
                assertEquals(RopeFrequencies.STANDARD, l.ropeFrequencies());
            } else {
                assertEquals(1e6, l.ropeTheta(), 0);
                assertEquals(512, l.ropeDims());
                assertEquals(RopeFrequencies.FREQ_FACTORS_TENSOR, l.ropeFrequencies());
            }
            assertEquals(1.0, l.ropePositionScale(), 0);
        }
        assertEquals(1.0f, c.attentionScale());
        assertEquals(30f, c.finalLogitSoftcap());
        assertTrue(c.valueNorm());
    }

    @Test
    void e2b() throws Exception {
        GemmaConfig c = config(SyntheticGemma.e2b());
        assertEquals(35, c.blockCount());
        assertEquals(1536, c.embeddingLength());
        assertEquals(262144, c.vocabSize());
        assertEquals(List.of(4, 9, 14, 19, 24, 29, 34), fullLayers(c));
        assertEquals(256, c.perLayerInputLength());
        assertEquals(20, c.sharedKvLayers());
        assertEquals(15, c.firstSharedLayer());
        for (LayerConfig l : c.layers()) {
            assertEquals(8, l.headCount());
            assertEquals(1, l.kvHeads());
            assertEquals(l.sliding() ? 256 : 512, l.headDim());
            assertEquals(l.sliding() ? 512 : 0, l.window());
            assertEquals(l.index() < 15 ? 6144 : 12288, l.ffnWidth(), "double-wide FFN on the shared layers");
            assertEquals(l.index() < 15, l.ownsKv());
            // spec §3.2: shared S layers read layer 13, shared F layers read layer 14
            int donor = l.index() < 15 ? l.index() : l.sliding() ? 13 : 14;
            assertEquals(donor, l.kvDonor(), "donor of layer " + l.index());
            assertFalse(l.kEqualsV());
            assertFalse(l.moe());
        }
        assertGemma4Rope(c);
    }

    @Test
    void e4b() throws Exception {
        GemmaConfig c = config(SyntheticGemma.e4b());
        assertEquals(42, c.blockCount());
        assertEquals(List.of(5, 11, 17, 23, 29, 35, 41), fullLayers(c));
        for (LayerConfig l : c.layers()) {
            assertEquals(2, l.kvHeads());
            assertEquals(10240, l.ffnWidth());
            assertEquals(l.index() < 24, l.ownsKv());
            int donor = l.index() < 24 ? l.index() : l.sliding() ? 22 : 23; // spec §3.2
            assertEquals(donor, l.kvDonor(), "donor of layer " + l.index());
        }
        assertGemma4Rope(c);
    }

    @Test
    void twelveB() throws Exception {
        GemmaConfig c = config(SyntheticGemma.g12b());
        assertEquals(48, c.blockCount());
        assertEquals(0, c.perLayerInputLength());
        assertEquals(0, c.sharedKvLayers());
        for (LayerConfig l : c.layers()) {
            assertEquals(16, l.headCount());
            assertEquals(l.sliding() ? 8 : 1, l.kvHeads(), "head_count_kv array");
            assertEquals(!l.sliding(), l.kEqualsV(), "no attn_v on F layers");
            assertEquals(l.index(), l.kvDonor());
            assertEquals(15360, l.ffnWidth());
            assertEquals(1024, l.sliding() ? l.window() : 1024);
        }
        assertGemma4Rope(c);
    }

    @Test
    void moe26bA4b() throws Exception {
        GemmaConfig c = config(SyntheticGemma.a26b());
        assertEquals(30, c.blockCount());
        assertEquals(128, c.expertCount());
        assertEquals(8, c.expertUsedCount());
        assertEquals(704, c.expertFeedForwardLength());
        for (LayerConfig l : c.layers()) {
            assertTrue(l.moe());
            assertEquals(2112, l.ffnWidth());
            assertEquals(l.sliding() ? 8 : 2, l.kvHeads());
            assertEquals(!l.sliding(), l.kEqualsV());
        }
        assertGemma4Rope(c);
    }

    @Test
    void thirtyOneB() throws Exception {
        GemmaConfig c = config(SyntheticGemma.b31());
        assertEquals(60, c.blockCount());
        assertEquals(5376, c.embeddingLength());
        for (LayerConfig l : c.layers()) {
            assertEquals(32, l.headCount());
            assertEquals(l.sliding() ? 16 : 4, l.kvHeads());
            assertEquals(l.sliding() ? 16 * 256 : 4 * 512, l.kvWidth());
            assertEquals(!l.sliding(), l.kEqualsV());
            assertEquals(21504, l.ffnWidth());
        }
        assertEquals(IntStream.range(0, 10).map(i -> 6 * i + 5).boxed().toList(), fullLayers(c));
        assertGemma4Rope(c);
    }

    @Test
    void gemma4WithoutRopeFreqsTensorUsesProportionalRule() throws Exception {
        SyntheticGemma s = SyntheticGemma.e2b();
        s.ropeFreqsTensor = false;
        GemmaConfig c = config(s);
        LayerConfig full = c.layer(4);
        assertEquals(RopeFrequencies.PROPORTIONAL, full.ropeFrequencies());
        assertEquals(0.25, full.ropePartialFactor(), 0);
        assertEquals(RopeFrequencies.STANDARD, c.layer(0).ropeFrequencies());
    }

    @Test
    void gemma4SoftcapDefaultsTo30WhenAbsentAndFollowsTheKey() throws Exception {
        assertEquals(30f, config(tiny(s -> s.removedKeys.add("final_logit_softcapping"))).finalLogitSoftcap());
        assertEquals(12.5f, config(tiny(s -> s.softcap = 12.5f)).finalLogitSoftcap());
    }

    @Test
    void realGemma3_270m() throws Exception {
        try (GgufFile g = GgufFile.open(TestModels.gemma3_270m())) {
            GemmaConfig c = GemmaConfig.from(g);
            assertEquals(GemmaArchitecture.GEMMA3, c.architecture());
            assertEquals(18, c.blockCount());
            assertEquals(640, c.embeddingLength());
            assertEquals(262144, c.vocabSize());
            assertEquals(List.of(5, 11, 17), fullLayers(c), "(i+1) % 6 == 0 is global");
            assertEquals(1f / 16, c.attentionScale(), 0, "1/sqrt(256)");
            assertEquals(0f, c.finalLogitSoftcap());
            assertFalse(c.valueNorm());
            assertEquals(512, c.slidingWindow());
            assertEquals(1e-6f, c.rmsEps(), 1e-12f);
            for (LayerConfig l : c.layers()) {
                assertEquals(4, l.headCount());
                assertEquals(1, l.kvHeads());
                assertEquals(256, l.headDim());
                assertEquals(256, l.ropeDims());
                assertEquals(2048, l.ffnWidth());
                assertEquals(l.sliding() ? 1e4 : 1e6, l.ropeTheta(), 0);
                assertEquals(1.0, l.ropePositionScale(), 0);
                assertTrue(l.ownsKv());
            }
        }
    }

    @Test
    void gemma3OneBIgnoresBogusSoftcapAndDefaultsEps() throws Exception {
        SyntheticGemma s = SyntheticGemma.gemma3(26, 1152, 4, 1, 6912, 512);
        s.keyOverrides.put("final_logit_softcapping", 30f); // Ollama's 1B blobs carry it; it is bogus
        s.removedKeys.add("attention.layer_norm_rms_epsilon");
        GemmaConfig c = config(s);
        assertEquals(0f, c.finalLogitSoftcap());
        assertEquals(1e-6f, c.rmsEps());
        assertEquals(List.of(5, 11, 17, 23), fullLayers(c));
    }

    @Test
    void gemma3FourBLinearRopeScalingOnGlobalsOnlyWithOllamaKeySpellings() throws Exception {
        SyntheticGemma s = SyntheticGemma.gemma3(34, 2560, 8, 4, 10240, 1024);
        s.ropeLinearFactor = 8;
        s.removedKeys.add("rope.freq_base");
        s.keyOverrides.put("rope.global.freq_base", 1e6f);
        s.keyOverrides.put("rope.local.freq_base", 1e4f);
        GemmaConfig c = config(s);
        for (LayerConfig l : c.layers()) {
            assertEquals(l.sliding() ? 1.0 : 0.125, l.ropePositionScale(), 0);
            assertEquals(l.sliding() ? 1e4 : 1e6, l.ropeTheta(), 0);
            assertEquals(4, l.kvHeads());
        }
    }

    @Test
    void gemma3HonoursAnExplicitPatternKey() throws Exception {
        SyntheticGemma s = tiny(t -> { t.arch = "gemma3"; t.pattern = "SFSSF"; t.hdSwa = t.hdFull; t.layerScale = false; t.ropeFreqsTensor = false; });
        assertEquals(List.of(1, 4), fullLayers(config(s)));
        s.writePattern = false;
        assertEquals(List.of(), fullLayers(config(s)), "5 layers, (i+1)%6 never 0");
    }

    // ---- keys that are missing, wrong or contradict each other ----

    @Test
    void missingRequiredKeysAreNamed() throws Exception {
        for (String key : List.of("block_count", "embedding_length", "attention.head_count", "attention.sliding_window",
                "attention.sliding_window_pattern", "attention.key_length_swa", "feed_forward_length", "rope.freq_base_swa")) {
            ModelFormatException e = failure(tiny(s -> s.removedKeys.add(key)));
            assertTrue(e.getMessage().contains("gemma4." + key), key + ": " + e.getMessage());
        }
    }

    @Test
    void contradictoryKeysAreNamed() throws Exception {
        assertMessage(failure(tiny(s -> s.keyOverrides.put("attention.value_length", 24))), "gemma4.attention.value_length", "24");
        assertMessage(failure(tiny(s -> s.kvSwa = 3)), "does not divide");
        assertMessage(failure(tiny(s -> s.sharedKv = 3)), "gemma4.attention.shared_kv_layers");
        assertMessage(failure(tiny(s -> { s.pattern = "FSS"; s.sharedKv = 2; })), "gemma4.attention.shared_kv_layers", "no earlier");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("attention.sliding_window_pattern", new boolean[] {true, false}))),
                "gemma4.attention.sliding_window_pattern", "2 entries");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("rope.global.freq_base", 5e5f))), "gemma4.rope.global.freq_base");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("vocab_size", 100))), "gemma4.vocab_size", "64 rows");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("rope.dimension_count", 33))), "gemma4.rope.dimension_count");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("block_count", "three"))), "gemma4.block_count", "expected an integer");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("general.architecture", "llama"))), "general.architecture", "llama");
        assertMessage(failure(tiny(s -> { s.experts = 4; s.expertsUsed = 2; s.expertFfn = 16; s.removedKeys.add("expert_count"); })),
                "gemma4.expert_count", "router");
        assertMessage(failure(tiny(s -> { s.experts = 4; s.expertsUsed = 5; s.expertFfn = 16; })), "gemma4.expert_used_count");
        assertMessage(failure(tiny(s -> s.keyOverrides.put("tokenizer.ggml.tokens", java.util.Collections.nCopies(65, "x").toArray(new String[0])))), "tokenizer.ggml.tokens", "65");
    }

    static void assertMessage(ModelFormatException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' not in: " + e.getMessage());
    }
}
