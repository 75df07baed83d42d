package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q6_K: 256 elements in 210 bytes, {@code {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}}. Sixteen sub-blocks of 16
 * with signed 8-bit scales. For half h and quarter s = 0..3, element {@code 128h + 32s + l} takes its low 4 bits from
 * {@code ql[64h + 32(s&1) + l]} (low nibble for s<2, high for s≥2) and its top 2 bits from
 * {@code (qh[32h + l] >> 2s) & 3}; {@code y = (d * scale) * (q - 32)}.
 */
public final class Q6KBlock implements QuantBlock {
    public static final Q6KBlock INSTANCE = new Q6KBlock();
    public static final int QL = 0, QH = 128, SCALES = 192, D = 208;

    private Q6KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q6_K; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        for (int h = 0; h < 2; h++) {
            for (int q4 = 0; q4 < 4; q4++) {
                int shift = (q4 >>> 1) * 4;
                for (int half = 0; half < 2; half++) {
                    int elem0 = 128 * h + 32 * q4 + 16 * half;
                    float dl = d * (float) LittleEndian.i8(s, off + SCALES + elem0 / 16);
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        int lo = (LittleEndian.u8(s, off + QL + 64 * h + 32 * (q4 & 1) + l) >>> shift) & 0xF;
                        int hi = (LittleEndian.u8(s, off + QH + 32 * h + l) >>> (2 * q4)) & 3;
                        y[o + 128 * h + 32 * q4 + l] = dl * (float) ((lo | (hi << 4)) - 32);
                    }
                }
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 210, D);
    }
}
