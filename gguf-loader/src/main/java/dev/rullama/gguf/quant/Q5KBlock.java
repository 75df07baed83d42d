package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q5_K: 256 elements in 176 bytes, {@code {f16 d; f16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}}. As Q4_K, plus a
 * fifth bit for element {@code 32k + l} (sub-block k) in bit k of {@code qh[l]}.
 */
public final class Q5KBlock implements QuantBlock {
    public static final Q5KBlock INSTANCE = new Q5KBlock();
    public static final int D = 0, DMIN = 2, SCALES = 4, QH = 16, QS = 48;

    private Q5KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q5_K; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        float dmin = LittleEndian.f16(s, off + DMIN);
        for (int c = 0; c < 4; c++) {
            int sm0 = Q4KBlock.scaleMin(s, off + SCALES, 2 * c);
            int sm1 = Q4KBlock.scaleMin(s, off + SCALES, 2 * c + 1);
            float d0 = d * (float) (sm0 & 0xFF), m0 = dmin * (float) (sm0 >>> 8);
            float d1 = d * (float) (sm1 & 0xFF), m1 = dmin * (float) (sm1 >>> 8);
            int base = o + 64 * c;
            for (int l = 0; l < 32; l++) {
                int q = LittleEndian.u8(s, off + QS + 32 * c + l);
                int h = LittleEndian.u8(s, off + QH + l);
                int lo = (q & 0xF) | (((h >>> (2 * c)) & 1) << 4);
                int hi = (q >>> 4) | (((h >>> (2 * c + 1)) & 1) << 4);
                y[base + l] = d0 * (float) lo - m0;
                y[base + 32 + l] = d1 * (float) hi - m1;
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 176, D, DMIN);
    }
}
