package dev.rullama.gemma.reference;

import dev.rullama.gguf.GgmlType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** The roundings {@link Arithmetic#GGML_CPU} reproduces, on hand-computed values. */
class GgmlCpuRoundingTest {
    /** Q8_0: amax 127 gives d = 1 exactly; 0.5 and 2.5 round half to even (x86 path), −1.5 to −2. */
    @Test
    void q8_0RoundsHalfToEvenOnTheAmaxGrid() {
        float[] x = new float[32];
        x[0] = 127f; x[1] = 0.5f; x[2] = 2.5f; x[3] = -1.5f; x[4] = 3.2f;
        float[] y = GgmlCpuRounding.q8_0(x);
        assertEquals(127f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(2f, y[2]);
        assertEquals(-2f, y[3]);
        assertEquals(3f, y[4]);
    }

    /** Q8_0's scale is stored as f16: amax 100 gives d = f16(100/127) = 1613·2^-11 = 0.78759765625. */
    @Test
    void q8_0ScaleIsHalfPrecision() {
        float[] x = new float[32];
        x[0] = 100f;
        x[1] = 1f;
        float[] y = GgmlCpuRounding.q8_0(x);
        float d = 0.78759765625f;
        assertEquals(127 * d, y[0]);
        assertEquals(1 * d, y[1]); // round(1 · 127/100) = 1
    }

    /** Q8_K: iscale = −127/max with the sign of the largest-magnitude element; d = 1/iscale in f32. */
    @Test
    void q8KUsesTheSignedMaximum() {
        float[] x = new float[256];
        x[0] = -254f;
        x[1] = 3f;    // iscale = 0.5: 1.5 → 2 (half to even)
        x[2] = 5f;    // 2.5 → 2
        float[] y = GgmlCpuRounding.q8K(x);
        assertEquals(-254f, y[0]);
        assertEquals(4f, y[1]);
        assertEquals(4f, y[2]);
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(1.0f, GgmlCpuRounding.bf16(Float.intBitsToFloat(0x3F808000)), "tie goes to even mantissa");
        assertEquals(Float.intBitsToFloat(0x3F820000), GgmlCpuRounding.bf16(Float.intBitsToFloat(0x3F818000)), "tie, odd mantissa rounds up");
        assertEquals(Float.intBitsToFloat(0x3F810000), GgmlCpuRounding.bf16(Float.intBitsToFloat(0x3F808001)), "above the tie rounds up");
    }

    /** ggml's table: identity from 10 up, 0 at −10 and below, an f16 value of the f16-rounded input in between. */
    @Test
    void geluTable() {
        assertEquals(12f, GgmlCpuRounding.gelu(12f));
        assertEquals(0f, GgmlCpuRounding.gelu(-11f));
        float g = GgmlCpuRounding.gelu(1.0f);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(0.8411920f)), g, 0f);
        assertEquals(CpuOps.geluTanh(1.0f), g, 1e-3f, "an f16 of the exact value");
    }

    @Test
    void activationTypeFollowsTheWeightType() {
        float[] x = new float[256];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) * 3;
        assertSame(x, GgmlCpuRounding.activations(x, GgmlType.F32));
        assertArrayEquals(GgmlCpuRounding.q8_0(x), GgmlCpuRounding.activations(x, GgmlType.Q5_0));
        assertArrayEquals(GgmlCpuRounding.q8K(x), GgmlCpuRounding.activations(x, GgmlType.Q6_K));
        assertArrayEquals(GgmlCpuRounding.bf16(x), GgmlCpuRounding.activations(x, GgmlType.BF16));
        assertArrayEquals(GgmlCpuRounding.f16(x), GgmlCpuRounding.activations(x, GgmlType.F16));
    }
}
