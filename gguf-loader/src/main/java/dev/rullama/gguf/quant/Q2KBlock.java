package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q2_K: 256 elements in 84 bytes, {@code {u8 scales[16]; u8 qs[64]; f16 d; f16 dmin}} (d comes last). Sixteen
 * sub-blocks of 16; scale byte i holds the 4-bit scale (low nibble) and 4-bit min (high nibble) of sub-block i.
 * For half h (qs bytes 32h..32h+31) and shift j = 0..3, element {@code 128h + 32j + l} is
 * {@code (d * sc) * ((qs[32h + l] >> 2j) & 3) - dmin * mn} of sub-block {@code 8h + 2j + l/16}.
 */
public final class Q2KBlock implements QuantBlock {
    public static final Q2KBlock INSTANCE = new Q2KBlock();
    public static final int SCALES = 0, QS = 16, D = 80, DMIN = 82;

    private Q2KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q2_K; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        float dmin = LittleEndian.f16(s, off + DMIN);
        for (int h = 0; h < 2; h++) {
            for (int j = 0; j < 4; j++) {
                for (int half = 0; half < 2; half++) {
                    int sub = 8 * h + 2 * j + half;
                    int sc = LittleEndian.u8(s, off + SCALES + sub);
                    float dl = d * (float) (sc & 0xF);
                    float ml = dmin * (float) (sc >>> 4);
                    int base = o + 128 * h + 32 * j + 16 * half;
                    for (int l = 0; l < 16; l++) {
                        int q = (LittleEndian.u8(s, off + QS + 32 * h + 16 * half + l) >>> (2 * j)) & 3;
                        y[base + l] = dl * (float) q - ml;
                    }
                }
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 84, D, DMIN);
    }
}
