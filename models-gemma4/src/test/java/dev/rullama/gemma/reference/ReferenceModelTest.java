package dev.rullama.gemma.reference;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.SyntheticGemma;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static dev.rullama.gemma.reference.Logits.argmax;
import static dev.rullama.gemma.reference.Logits.maxAbs;
import static dev.rullama.gemma.reference.Logits.maxRelL2;
import static dev.rullama.gemma.reference.Logits.relL2;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU reference on small seeded models of every variant's shape: batched prefill against token-by-token decode,
 * the sliding-window ring against a naive full-sequence pass with an explicit mask, KV sharing, K=V, and weights
 * bound under different names giving identical logits.
 */
class ReferenceModelTest {
    /** Long enough that every sliding layer (window 4) evicts keys, and the rings (4 + chunk − 1) wrap. */
    static final int[] TOKENS = {2, 17, 5, 33, 61, 9, 9, 40, 12, 3, 58, 27, 44, 1, 19, 30, 7};

    @TempDir
    Path dir;

    record Variant(String name, Consumer<SyntheticGemma> setup) {
        SyntheticGemma build() {
            SyntheticGemma s = new SyntheticGemma();
            setup.accept(s);
            return s;
        }

        @Override
        public String toString() { return name; }
    }

    static Stream<Variant> variants() {
        return Stream.of(
                new Variant("e2b-like", s -> { s.pattern = "SSFSSF"; s.sharedKv = 3; s.ple = 8; s.doubleWide = true;
                    s.sharedLayersCarryKv = true; }),
                new Variant("e4b-like", s -> { s.pattern = "SSSFSF"; s.heads = 4; s.kvSwa = 2; s.kvFull = 2; s.sharedKv = 2; s.ple = 8; }),
                new Variant("12b-like", s -> { s.pattern = "SSSSSF"; s.kvSwa = 2; s.kvFull = 1; s.kvArray = true; s.kEqualsV = true;
                    s.layerScale = false; s.ropeFreqsTensor = false; }),
                new Variant("26b-a4b-like", s -> { s.pattern = "SSSSSF"; s.kvSwa = 2; s.kvFull = 1; s.kvArray = true; s.kEqualsV = true;
                    s.experts = 6; s.expertsUsed = 2; s.expertFfn = 16; }),
                new Variant("31b-like", s -> { s.pattern = "SSFSSF"; s.heads = 4; s.kvSwa = 2; s.kvFull = 1; s.kvArray = true; s.kEqualsV = true; }),
                new Variant("gemma3", s -> { s.arch = "gemma3"; s.pattern = null; s.layers = 7; s.heads = 4; s.hdFull = 16;
                    s.layerScale = false; s.ropeFreqsTensor = false; }),
                new Variant("gemma3-rope8", s -> { s.arch = "gemma3"; s.pattern = null; s.layers = 7; s.heads = 4; s.hdFull = 16;
                    s.layerScale = false; s.ropeFreqsTensor = false; s.ropeLinearFactor = 8; }));
    }

    private GgufFile open(SyntheticGemma s, String name) throws Exception {
        return GgufFile.open(s.write(dir.resolve(name + ".gguf")));
    }

    private static float[][] decodeOneByOne(ReferenceModel m, int[] tokens) {
        Session s = m.newSession(64);
        float[][] out = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) out[i] = s.decode(tokens[i]);
        return out;
    }

    /**
     * Tolerance 0: the reference computes every (weight row, token) dot product, every norm and every attention row
     * on its own, in the same order whatever the batch, so one 17-token batch, 3-token chunks and 17 single-token
     * decodes give bit-identical logits. (Should a future batched kernel reorder sums, float32 accumulation would
     * allow about 1e-6 relative instead.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void batchedPrefillEqualsTokenByTokenDecode(Variant v) throws Exception {
        try (GgufFile f = open(v.build(), v.name)) {
            ReferenceModel m = ReferenceModel.load(f);
            float[][] batch = m.newSession(64, 64).forward(TOKENS);
            float[][] chunked = m.newSession(64, 3).forward(TOKENS);
            float[][] single = decodeOneByOne(m, TOKENS);
            for (int t = 0; t < TOKENS.length; t++) {
                assertArrayEquals(single[t], batch[t], 0f, v.name + " position " + t + " (one batch)");
                assertArrayEquals(single[t], chunked[t], 0f, v.name + " position " + t + " (chunks of 3)");
            }
            Session s = m.newSession(64);
            float[] last = s.prefill(TOKENS);
            assertArrayEquals(single[TOKENS.length - 1], last, 0f, "prefill's last logits");
            assertEquals(TOKENS.length, s.position());
        }
    }

    /**
     * Against {@link NaiveGemma}: every position's K/V kept, an explicit mask (k ≤ q, and q − k < W on sliding
     * layers), the donor recomputed from the layer types. Tolerance 1e-5 relative L2 per position: the two run the same
     * float32 primitives, but the naive pass divides by sqrt(d), sqrt(2) where the reference multiplies by the
     * reciprocals (one float32 rounding, ~6e-8 relative, per PLE entry) and that grows through the layers; measured
     * 0 to 1.0e-6.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void matchesNaiveFullSequenceAttentionWithExplicitMask(Variant v) throws Exception {
        try (GgufFile f = open(v.build(), v.name)) {
            ReferenceModel m = ReferenceModel.load(f);
            float[][] cached = m.newSession(64, 5).forward(TOKENS);
            float[][] naive = new NaiveGemma(m.weights(), 0).logits(TOKENS);
            assertTrue(maxRelL2(cached, naive) <= 1e-5, v.name + ": " + maxRelL2(cached, naive));
            for (int t = 0; t < TOKENS.length; t++) assertEquals(argmax(naive[t]), argmax(cached[t]));
        }
    }

    /**
     * The sliding window is W keys including the query's own (HF, llama.cpp), not W+1 (Ollama's old engine): a naive
     * pass with W+1 agrees while no key has left the window (positions < W) and then departs. This shows the
     * comparison above can tell the two apart, i.e. that evicted keys are really not seen.
     */
    @Test
    void aPositionBeyondTheWindowDoesNotSeeEvictedKeys() throws Exception {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSF";
        try (GgufFile f = open(s, "window")) {
            ReferenceModel m = ReferenceModel.load(f);
            int w = m.config().slidingWindow();
            float[][] cached = m.newSession(64, 2).forward(TOKENS);
            float[][] widerWindow = new NaiveGemma(m.weights(), w + 1).logits(TOKENS);
            for (int t = 0; t < TOKENS.length; t++) {
                double e = relL2(cached[t], widerWindow[t]);
                if (t < w) assertTrue(e <= 1e-6, "position " + t + " sees nothing evicted yet: " + e);
                else assertTrue(e > 1e-3, "position " + t + " must not see position " + (t - w) + ": " + e);
            }
        }
    }

    @Test
    void slidingRingEvictsExactlyThePositionLeavingTheWindow() {
        SlidingWindowKvCache ring = new SlidingWindowKvCache(4, 3, 100, 1, 2);
        assertEquals(6, ring.capacity, "window + chunk - 1");
        for (int p = 0; p < 10; p++) ring.write(p, new float[] {p, p}, new float[] {-p, -p});
        assertEquals(6, ring.firstVisible(9));
        for (int p = 4; p < 10; p++) assertEquals(p, ring.keys[ring.offset(p, 0)]);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ring.offset(3, 0));
        assertTrue(e.getMessage().contains("evicted"));
    }

    /** Split gate/up experts under their legacy names and the fused current layout hold the same numbers: same bits. */
    @Test
    void legacyAndFusedMoeNamesGiveIdenticalLogits() throws Exception {
        Consumer<SyntheticGemma> moe = s -> { s.pattern = "SSSSSF"; s.kvSwa = 2; s.kvFull = 1; s.kvArray = true; s.kEqualsV = true;
            s.experts = 6; s.expertsUsed = 2; s.expertFfn = 16; };
        SyntheticGemma fused = new SyntheticGemma();
        moe.accept(fused);
        SyntheticGemma legacy = new SyntheticGemma();
        moe.accept(legacy);
        legacy.legacyMoe = true;
        legacy.legacyNames = true;
        try (GgufFile a = open(fused, "fused"); GgufFile b = open(legacy, "legacy")) {
            assertTrue(b.findTensor("blk.0.ffn_up_exps.weight").isPresent() && a.findTensor("blk.0.ffn_gate_up_exps.weight").isPresent());
            float[][] la = ReferenceModel.load(a).newSession(64).forward(TOKENS);
            float[][] lb = ReferenceModel.load(b).newSession(64).forward(TOKENS);
            for (int t = 0; t < TOKENS.length; t++) assertArrayEquals(la[t], lb[t], 0f, "position " + t);
        }
    }

    /** No attn_v: V is the raw K projection, the same as a file whose attn_v holds attn_k's numbers (same bits). */
    @Test
    void kEqualsVUsesTheRawKeyProjection() throws Exception {
        Consumer<SyntheticGemma> base = s -> { s.pattern = "SSF"; s.kvArray = true; };
        SyntheticGemma kv = new SyntheticGemma();
        base.accept(kv);
        kv.kEqualsV = true;
        SyntheticGemma copied = new SyntheticGemma();
        base.accept(copied);
        copied.vCopiesK = true;
        SyntheticGemma own = new SyntheticGemma();
        base.accept(own);
        try (GgufFile a = open(kv, "kv"); GgufFile b = open(copied, "copied"); GgufFile c = open(own, "own")) {
            ReferenceModel ma = ReferenceModel.load(a);
            assertTrue(ma.config().layer(2).kEqualsV());
            float[][] la = ma.newSession(64).forward(TOKENS);
            float[][] lb = ReferenceModel.load(b).newSession(64).forward(TOKENS);
            float[][] lc = ReferenceModel.load(c).newSession(64).forward(TOKENS);
            assertEquals(0.0, maxAbs(la, lb));
            assertTrue(maxRelL2(la, lc) > 1e-3, "a V of its own does change the output");
        }
    }

    /** KV-shared layers read their donor; their own (unused) K/V tensors, and vision/audio tensors, change nothing. */
    @Test
    void unusedTensorsChangeNothing() throws Exception {
        Consumer<SyntheticGemma> base = s -> { s.pattern = "SSFSSF"; s.sharedKv = 3; s.ple = 8; };
        SyntheticGemma plain = new SyntheticGemma();
        base.accept(plain);
        SyntheticGemma extra = new SyntheticGemma();
        base.accept(extra);
        extra.sharedLayersCarryKv = true;
        extra.multimodalTensors = true;
        try (GgufFile a = open(plain, "plain"); GgufFile b = open(extra, "extra")) {
            ReferenceModel ma = ReferenceModel.load(a);
            assertEquals(1, ma.config().layer(3).kvDonor());
            assertEquals(2, ma.config().layer(5).kvDonor());
            assertEquals(0.0, maxAbs(ma.newSession(64).forward(TOKENS), ReferenceModel.load(b).newSession(64).forward(TOKENS)));
        }
    }

    @Test
    void sessionRejectsBadTokensAndFullContext() throws Exception {
        try (GgufFile f = open(new SyntheticGemma(), "small")) {
            ReferenceModel m = ReferenceModel.load(f);
            GemmaConfig c = m.config();
            Session s = m.newSession(4);
            assertThrows(IllegalArgumentException.class, () -> s.decode(c.vocabSize()));
            assertThrows(IllegalArgumentException.class, () -> s.decode(-1));
            s.forward(new int[] {1, 2, 3, 4});
            assertThrows(IllegalStateException.class, () -> s.decode(5));
            assertThrows(IllegalArgumentException.class, () -> m.newSession(1 << 20), "beyond the trained context");
        }
    }
}
