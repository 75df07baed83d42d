package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * MXFP4 (OCP microscaling FP4): 32 elements in 17 bytes, {@code {u8 e; u8 qs[16]}}, nibble order as Q4_0. The scale
 * is half the E8M0 value, {@code 2^(e-128)} (ggml's {@code ggml_e8m0_to_fp32_half}, subnormal for e < 2); elements
 * are E2M1 values doubled, {@code {0,1,2,3,4,6,8,12}} with a sign bit. Every e decodes to a finite scale (e = 255 is
 * 2^127, not NaN, in ggml), so there is nothing for {@link #findNonFiniteScale} to find.
 */
public final class Mxfp4Block implements QuantBlock {
    public static final Mxfp4Block INSTANCE = new Mxfp4Block();
    public static final int E = 0, QS = 1;
    private static final float[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private Mxfp4Block() {}

    @Override public GgmlType type() { return GgmlType.MXFP4; }

    /** {@code ggml_e8m0_to_fp32_half}. */
    public static float e8m0Half(int e) {
        int bits = e < 2 ? 0x00200000 << e : (e - 1) << 23;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = e8m0Half(LittleEndian.u8(s, off + E));
        for (int j = 0; j < 16; j++) {
            int q = LittleEndian.u8(s, off + QS + j);
            y[o + j] = d * KVALUES[q & 0xF];
            y[o + j + 16] = d * KVALUES[q >>> 4];
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) { return -1; }
}
