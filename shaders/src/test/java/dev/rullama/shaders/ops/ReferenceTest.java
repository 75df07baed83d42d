package dev.rullama.shaders.ops;

import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.conformance.KernelCase;
import dev.rullama.shaders.conformance.OpCases;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Java references against independent formulations, and the parameter checks, without a GPU. */
class ReferenceTest {
    @Test
    void proportionalRopeViaFactorsEqualsHfProportionalRope() {
        // Gemma 4 full layer: rope_freqs = 1 for i < 64, 1e30 beyond == rotate pairs i < 64 at 1e6^(-2i/512), rest unchanged
        Random r = new Random(1);
        int hd = 512, pos = 1234;
        float[] x = KernelCase.randomFloats(r, hd, 1f);
        float[] f = new float[256];
        for (int i = 0; i < 256; i++) f[i] = i < 64 ? 1f : 1e30f;
        float[] viaFactors = Rope.reference(x, 1, 1, hd, hd, 1e6, 1, f, pos);
        float[] hf = x.clone();
        for (int i = 0; i < 64; i++) {
            double th = pos * Math.pow(1e6, -2.0 * i / 512);
            hf[i] = (float) (x[i] * Math.cos(th) - x[i + 256] * Math.sin(th));
            hf[i + 256] = (float) (x[i + 256] * Math.cos(th) + x[i] * Math.sin(th));
        }
        for (int i = 0; i < hd; i++) assertEquals(hf[i], viaFactors[i], 1e-6f, "dim " + i);
    }

    @Test
    void ropeAtPositionZeroIsIdentityAndPreservesNorms() {
        Random r = new Random(2);
        float[] x = KernelCase.randomFloats(r, 3 * 256, 1f);
        assertArrayEquals(x, Rope.reference(x, 1, 3, 256, 256, 1e4, 1, null, 0));
        float[] y = Rope.reference(x, 3, 1, 256, 256, 1e4, 1, null, 999);
        for (int t = 0; t < 3; t++) {
            double a = 0, b = 0;
            for (int i = 0; i < 256; i++) { a += x[t * 256 + i] * x[t * 256 + i]; b += y[t * 256 + i] * y[t * 256 + i]; }
            assertEquals(a, b, 1e-4 * a);
        }
    }

    @Test
    void attentionReferenceHonoursTheWindowAndTheRing() {
        // one kv head, head_dim 1, V = position: the output is the softmax-weighted mean of the visible positions
        int window = 4, ring = 4, pos = 9;
        float[] k = new float[ring], v = new float[ring];
        for (int p = 0; p <= pos; p++) { k[p % ring] = 0; v[p % ring] = p; }
        float[] out = FlashAttention.reference(new float[]{1}, k, v, 1, 1, 1, 1, window, ring, pos, 1);
        assertEquals((6 + 7 + 8 + 9) / 4f, out[0], 1e-6f); // W = 4 keys including the query's own
        float[] full = FlashAttention.reference(new float[]{1}, new float[16], rangeFloats(16), 1, 1, 1, 1, 0, 16, 5, 1);
        assertEquals(2.5f, full[0], 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> FlashAttention.params(10, 8, 1, 512, 512, 1, 1f),
                "a prefill batch needs a ring of window + tokens - 1");
        assertThrows(IllegalArgumentException.class, () -> FlashAttention.partialSpec(512, 8, 64), "head_dim 512 needs 32 keys per tile");
    }

    private static float[] rangeFloats(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = i;
        return a;
    }

    @Test
    void geluMatchesKnownValues() {
        assertEquals(0.0, Elementwise.geluTanh(0), 0);
        assertEquals(0.8411920, Elementwise.geluTanh(1), 1e-6);   // PyTorch gelu(1, approximate='tanh')
        assertEquals(-0.1588080, Elementwise.geluTanh(-1), 1e-6);
        assertEquals(3.0, Elementwise.geluTanh(3), 1e-2);
    }

    @Test
    void uniformHashIsUniformEnough() {
        int[] buckets = new int[16];
        int n = 1 << 16;
        for (int c = 0; c < n; c++) {
            float u = TopKSampler.uniform(7, c);
            assertTrue(u >= 0 && u < 1);
            buckets[(int) (u * 16)]++;
        }
        double chi2 = 0;
        for (int b : buckets) chi2 += Math.pow(b - n / 16.0, 2) / (n / 16.0);
        assertTrue(chi2 < 37.7, "chi-square " + chi2 + " over 15 dof"); // 0.1% point
    }

    @Test
    void samplerReferenceFilters() {
        float[] l = {1, 5, 3, 5, Float.NaN, Float.NEGATIVE_INFINITY, 4};
        assertArrayEquals(new int[]{1, 3, 6, 2, 0}, TopKSampler.topK(l, 10));
        TopKSampler.Kept k = TopKSampler.kept(l, 3, 1f, 0.5f, 0f);
        assertArrayEquals(new int[]{1, 3}, k.ids()); // 1 and 3 share ~73%: the first alone is below 0.5
        assertEquals(Argmax.reference(l), TopKSampler.reference(l, 1, 1f, 1f, 0f, 1, 2));
        assertEquals(1, Argmax.reference(l));
        assertEquals(-1, Argmax.reference(new float[]{Float.NaN, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void moeReferenceRenormalisesOverTheChosenExperts() {
        float[] logits = {0, 2, 1, 2};
        MoeRouter.Result r = MoeRouter.reference(logits, new float[]{1, 1, 1, 3}, 1, 4, 2);
        assertArrayEquals(new int[]{1, 3}, r.ids());
        assertEquals(0.5f, r.weights()[0], 1e-7f);
        assertEquals(1.5f, r.weights()[1], 1e-7f);
    }

    @Test
    void embeddingReferenceUsesTheLoadersDequantizer() {
        Random r = new Random(3);
        byte[] t = OpCases.randomTable(r, GgmlType.Q8_0, 64, 3);
        float[] row = EmbeddingGather.reference(t, GgmlType.Q8_0, 64, new int[]{2}, 1f);
        float d = Float.float16ToFloat((short) ((t[2 * 68] & 0xFF) | (t[2 * 68 + 1] << 8)));
        assertEquals(t[2 * 68 + 2] * d, row[0], 0f);
        assertEquals(68, EmbeddingGather.rowBytes(GgmlType.Q8_0, 64));
        assertEquals(1260, EmbeddingGather.rowBytes(GgmlType.Q6_K, 1536));
    }
}
