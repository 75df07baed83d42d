package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/** Q8_0: 32 elements in 34 bytes, {@code {f16 d; i8 qs[32]}}; {@code y = qs * d}. */
public final class Q8_0Block implements QuantBlock {
    public static final Q8_0Block INSTANCE = new Q8_0Block();
    public static final int D = 0, QS = 2;

    private Q8_0Block() {}

    @Override public GgmlType type() { return GgmlType.Q8_0; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        for (int j = 0; j < 32; j++) y[o + j] = (float) LittleEndian.i8(s, off + QS + j) * d;
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 34, D);
    }
}
