package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** Q5_1: 32 elements in 24 bytes, {@code {f16 d; f16 m; u8 qh[4]; u8 qs[16]}}; as Q5_0 without the -16, {@code y = q * d + m}. */
public final class Q5_1Block implements QuantBlock {
    public static final Q5_1Block INSTANCE = new Q5_1Block();
    public static final int D = 0, M = 2, QH = 4, QS = 8;

    private Q5_1Block() {}

    @Override public GgmlType type() { return GgmlType.Q5_1; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        float m = LittleEndian.f16(s, off + M);
        int qh = LittleEndian.i32(s, off + QH);
        for (int j = 0; j < 16; j++) {
            int q = LittleEndian.u8(s, off + QS + j);
            int lo = (q & 0xF) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = d * (float) lo + m;
            y[o + j + 16] = d * (float) hi + m;
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 24, D, M);
    }
}
