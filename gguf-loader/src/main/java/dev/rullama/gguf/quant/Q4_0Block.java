package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_0: 32 elements in 18 bytes, {@code {f16 d; u8 qs[16]}}. Byte j of qs holds element j in its low nibble and
 * element j+16 in its high nibble; {@code y = (q - 8) * d}.
 */
public final class Q4_0Block implements QuantBlock {
    public static final Q4_0Block INSTANCE = new Q4_0Block();
    public static final int D = 0, QS = 2;

    private Q4_0Block() {}

    @Override public GgmlType type() { return GgmlType.Q4_0; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        for (int j = 0; j < 16; j++) {
            int q = LittleEndian.u8(s, off + QS + j);
            y[o + j] = d * (float) ((q & 0xF) - 8);
            y[o + j + 16] = d * (float) ((q >>> 4) - 8);
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 18, D);
    }
}
