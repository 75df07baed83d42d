package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q5_0: 32 elements in 22 bytes, {@code {f16 d; u8 qh[4]; u8 qs[16]}}. The fifth bit of element j is bit j of the
 * little-endian u32 qh; {@code y = (q - 16) * d}.
 */
public final class Q5_0Block implements QuantBlock {
    public static final Q5_0Block INSTANCE = new Q5_0Block();
    public static final int D = 0, QH = 2, QS = 6;

    private Q5_0Block() {}

    @Override public GgmlType type() { return GgmlType.Q5_0; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        int qh = LittleEndian.i32(s, off + QH);
        for (int j = 0; j < 16; j++) {
            int q = LittleEndian.u8(s, off + QS + j);
            int lo = (q & 0xF) | (((qh >>> j) & 1) << 4);
            int hi = (q >>> 4) | (((qh >>> (j + 16)) & 1) << 4);
            y[o + j] = d * (float) (lo - 16);
            y[o + j + 16] = d * (float) (hi - 16);
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 22, D);
    }
}
