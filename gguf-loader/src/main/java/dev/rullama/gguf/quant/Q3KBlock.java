package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q3_K: 256 elements in 110 bytes, {@code {u8 hmask[32]; u8 qs[64]; u8 scales[12]; f16 d}}. Sixteen sub-blocks of
 * 16 with signed 6-bit scales stored as value+32: the low 4 bits are nibbles of bytes 0..7 (low nibbles for
 * sub-blocks 0..7, high for 8..15), the top 2 bits come from bytes 8..11. The 2-bit quant of element
 * {@code 128h + 32j + l} is {@code (qs[32h + l] >> 2j) & 3}; it loses 4 unless bit {@code 4h + j} of
 * {@code hmask[l]} is set; {@code y = (d * scale) * q}.
 */
public final class Q3KBlock implements QuantBlock {
    public static final Q3KBlock INSTANCE = new Q3KBlock();
    public static final int HMASK = 0, QS = 32, SCALES = 96, D = 108;

    private Q3KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q3_K; }

    /** The signed scale of sub-block {@code i} (0..15) of the block at {@code off}, in -32..31. */
    public static int scale(MemorySegment s, long off, int i) {
        int low4 = i < 8 ? LittleEndian.u8(s, off + SCALES + i) & 0xF : LittleEndian.u8(s, off + SCALES + i - 8) >>> 4;
        int high2 = (LittleEndian.u8(s, off + SCALES + 8 + (i & 3)) >>> (2 * (i >>> 2))) & 3;
        return (low4 | (high2 << 4)) - 32;
    }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 4; j++) {
                int bit = 4 * h + j;
                for (int half = 0; half < 2; half++) {
                    float dl = d * (float) scale(s, off, 8 * h + 2 * j + half);
                    int base = o + 128 * h + 32 * j + 16 * half;
                    for (int l = 0; l < 16; l++) {
                        int li = 16 * half + l;
                        int q = (LittleEndian.u8(s, off + QS + 32 * h + li) >>> (2 * j)) & 3;
                        int hm = (LittleEndian.u8(s, off + HMASK + li) >>> bit) & 1;
                        y[base + l] = dl * (float) (q - (hm == 0 ? 4 : 0));
                    }
                }
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 110, D);
    }
}
