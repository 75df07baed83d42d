package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * NVFP4: 64 elements in 36 bytes, {@code {u8 d[4]; u8 qs[32]}}: four sub-blocks of 16, each with a UE4M3 scale
 * (4-bit exponent, bias 7, 3-bit mantissa; 0 and 0x7F decode to 0) halved to match the doubled E2M1 table. Sub-block
 * k uses {@code qs[8k .. 8k+8)}: low nibble element j, high nibble element j+8. UE4M3 has no NaN or infinity here.
 */
public final class Nvfp4Block implements QuantBlock {
    public static final Nvfp4Block INSTANCE = new Nvfp4Block();
    public static final int D = 0, QS = 4;
    private static final float[] KVALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private Nvfp4Block() {}

    @Override public GgmlType type() { return GgmlType.NVFP4; }

    /** {@code ggml_ue4m3_to_fp32} times 0.5, exact. */
    public static float ue4m3Half(int x) {
        if (x == 0 || x == 0x7F) return 0f;
        int exp = (x >>> 3) & 0xF;
        int man = x & 7;
        return exp == 0 ? Math.scalb((float) man, -10) : Math.scalb((float) (8 + man), exp - 11);
    }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        for (int k = 0; k < 4; k++) {
            float d = ue4m3Half(LittleEndian.u8(s, off + D + k));
            for (int j = 0; j < 8; j++) {
                int q = LittleEndian.u8(s, off + QS + 8 * k + j);
                y[o + 16 * k + j] = d * KVALUES[q & 0xF];
                y[o + 16 * k + 8 + j] = d * KVALUES[q >>> 4];
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) { return -1; }
}
