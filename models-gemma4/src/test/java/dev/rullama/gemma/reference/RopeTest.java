package dev.rullama.gemma.reference;

import dev.rullama.gemma.LayerConfig;
import dev.rullama.gemma.RopeFrequencies;
import dev.rullama.gemma.SyntheticGemma;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RoPE per spec §2.3: NeoX pairing, Gemma 4's proportional RoPE on full layers, Gemma 3's linear scaling. */
class RopeTest {
    @TempDir
    Path dir;

    private static LayerConfig layer(int hd, double theta, double posScale, RopeFrequencies f) {
        return new LayerConfig(0, false, 0, 1, 1, hd, 8, true, 0, false, false, theta, hd, posScale, f, 0.25);
    }

    private static float[] random(int n) {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextDouble(-1, 1);
        return x;
    }

    /**
     * Full layer, head 512: pairs (i, i+256); only i < 64 turn, at pos·1e6^(−2i/512) (denominator 512, not 128); the
     * other 384 dims are untouched. Expected values computed here in double; tolerance 2e-6 absolute covers the
     * float32 rounding of cos, sin and the two products (|x| ≤ 1).
     */
    @Test
    void proportionalRopeRotatesOnlyTheFirstQuarterOfPairs() {
        int pos = 37;
        float[] x = random(512);
        float[] y = x.clone();
        Rope.forLayer(layer(512, 1e6, 1.0, RopeFrequencies.PROPORTIONAL), null).apply(y, 0, pos);
        for (int i = 0; i < 256; i++) {
            double a = i < 64 ? pos * Math.pow(1e6, -2.0 * i / 512) : 0.0;
            double e0 = x[i] * Math.cos(a) - x[i + 256] * Math.sin(a);
            double e1 = x[i] * Math.sin(a) + x[i + 256] * Math.cos(a);
            assertEquals(e0, y[i], 2e-6, "dim " + i);
            assertEquals(e1, y[i + 256], 2e-6, "dim " + (i + 256));
            if (i >= 64) {
                assertEquals(x[i], y[i], 0f);
                assertEquals(x[i + 256], y[i + 256], 0f);
            }
        }
        assertTrue(Math.abs(y[1] - x[1]) > 1e-3, "pair 1 does turn");
    }

    /** rope_freqs.weight (1 for the first 64 entries, 1e30 after) and the 0.25 rule give the same rotation. */
    @Test
    void freqFactorsTensorMatchesTheQuarterRule() {
        float[] factors = new float[256];
        for (int i = 0; i < 256; i++) factors[i] = i < 64 ? 1f : 1e30f;
        for (int pos : new int[] {0, 1, 511, 4096}) {
            float[] a = random(512), b = a.clone();
            Rope.forLayer(layer(512, 1e6, 1.0, RopeFrequencies.FREQ_FACTORS_TENSOR), factors).apply(a, 0, pos);
            Rope.forLayer(layer(512, 1e6, 1.0, RopeFrequencies.PROPORTIONAL), null).apply(b, 0, pos);
            for (int i = 0; i < 512; i++) assertEquals(b[i], a[i], 1e-6f, "pos " + pos + " dim " + i);
        }
    }

    /** Gemma 3 linear scaling ×8 on globals: position p rotates like position p/8 unscaled. */
    @Test
    void linearScalingDividesThePosition() {
        float[] a = random(256), b = a.clone();
        Rope.forLayer(layer(256, 1e6, 0.125, RopeFrequencies.STANDARD), null).apply(a, 0, 80);
        Rope.forLayer(layer(256, 1e6, 1.0, RopeFrequencies.STANDARD), null).apply(b, 0, 10);
        for (int i = 0; i < 256; i++) assertEquals(b[i], a[i], 0f);
    }

    /** A whole model: with the tensor or with the rule, the logits agree to float32 rounding (rel L2 ≤ 1e-6). */
    @Test
    void modelWithOrWithoutRopeFreqsTensorAgrees() throws Exception {
        SyntheticGemma with = new SyntheticGemma();
        SyntheticGemma without = new SyntheticGemma();
        without.ropeFreqsTensor = false;
        try (GgufFile a = GgufFile.open(with.write(dir.resolve("a.gguf")));
             GgufFile b = GgufFile.open(without.write(dir.resolve("b.gguf")))) {
            ReferenceModel ma = ReferenceModel.load(a), mb = ReferenceModel.load(b);
            assertEquals(RopeFrequencies.FREQ_FACTORS_TENSOR, ma.config().layer(2).ropeFrequencies());
            assertEquals(RopeFrequencies.PROPORTIONAL, mb.config().layer(2).ropeFrequencies());
            float[][] la = ma.newSession(64).forward(ReferenceModelTest.TOKENS);
            float[][] lb = mb.newSession(64).forward(ReferenceModelTest.TOKENS);
            assertTrue(Logits.maxRelL2(la, lb) <= 1e-6, "" + Logits.maxRelL2(la, lb));
        }
    }
}
