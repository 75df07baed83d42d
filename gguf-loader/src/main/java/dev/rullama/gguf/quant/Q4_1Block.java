package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_1: 32 elements in 20 bytes, {@code {f16 d; f16 m; u8 qs[16]}}, nibble order as Q4_0; {@code y = q * d + m}
 * (a multiply then an add, two roundings, as ggml's reference C without FMA).
 */
public final class Q4_1Block implements QuantBlock {
    public static final Q4_1Block INSTANCE = new Q4_1Block();
    public static final int D = 0, M = 2, QS = 4;

    private Q4_1Block() {}

    @Override public GgmlType type() { return GgmlType.Q4_1; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        float m = LittleEndian.f16(s, off + M);
        for (int j = 0; j < 16; j++) {
            int q = LittleEndian.u8(s, off + QS + j);
            y[o + j] = d * (float) (q & 0xF) + m;
            y[o + j + 16] = d * (float) (q >>> 4) + m;
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 20, D, M);
    }
}
