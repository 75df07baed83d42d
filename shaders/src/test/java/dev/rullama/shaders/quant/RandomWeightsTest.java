package dev.rullama.shaders.quant;

import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.MatVecF32;
import dev.rullama.shaders.QuantMatVec;
import dev.rullama.shaders.conformance.QuantMatVecCases;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomWeightsTest {
    @Test
    void moderateWeightsAreFiniteAndBounded() {
        for (GgmlType t : QuantMatVecCases.TYPES) {
            UnitLayout l = UnitLayout.of(t);
            int cols = l.tail() ? 77 : 2 * l.blockElements();
            byte[] w = RandomWeights.of(t, 9, cols, RandomWeights.Scales.MODERATE, new Random(t.ordinal()));
            assertEquals(9 * QuantMatVec.rowBytes(t, cols), w.length);
            MemorySegment s = MemorySegment.ofArray(w);
            if (t.isQuantized()) assertEquals(-1, t.quantBlock().findNonFiniteScale(s, 0, w.length / t.blockBytes()), t.name());
            float[] v = new float[9 * cols];
            t.quantBlock().dequantize(s, 0, v, 0, v.length);
            double max = 0;
            for (float f : v) {
                assertTrue(Float.isFinite(f), t.name());
                max = Math.max(max, Math.abs(f));
            }
            assertTrue(max < 1000 && max > 1e-3, t.name() + " max |w| = " + max);
        }
    }

    @Test
    void subnormalF16WeightsAreAllSubnormal() {
        byte[] w = RandomWeights.of(GgmlType.F16, 3, 40, RandomWeights.Scales.SUBNORMAL, new Random(1));
        float[] v = new float[120];
        GgmlType.F16.quantBlock().dequantize(MemorySegment.ofArray(w), 0, v, 0, v.length);
        for (float f : v) assertTrue(f != 0 && Math.abs(f) < 0x1p-14f, "subnormal half: " + f);
    }

    @Test
    void wordsAreLittleEndianAndPadded() {
        assertArrayEquals(new int[]{0x04030201, 0x05}, RandomWeights.words(new byte[]{1, 2, 3, 4, 5}));
    }

    @Test
    void theF32ReferenceIsMatVecF32s() {
        Random r = new Random(3);
        byte[] w = RandomWeights.of(GgmlType.F32, 5, 33, RandomWeights.Scales.MODERATE, r);
        float[] wf = new float[5 * 33];
        GgmlType.F32.quantBlock().dequantize(MemorySegment.ofArray(w), 0, wf, 0, wf.length);
        float[] x = new float[33];
        for (int i = 0; i < 33; i++) x[i] = r.nextFloat() - 0.5f;
        assertArrayEquals(MatVecF32.reference(wf, x, 5, 33), QuantMatVec.reference(GgmlType.F32, MemorySegment.ofArray(w), 5, 33, x));
    }
}
