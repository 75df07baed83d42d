package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q8_K: 256 elements in 292 bytes, {@code {f32 d; i8 qs[256]; i16 bsums[16]}}; {@code y = d * qs}. ggml uses it only
 * for activations (bsums are the 16-element partial sums a K-quant dot product wants), but decoding it is cheap.
 */
public final class Q8KBlock implements QuantBlock {
    public static final Q8KBlock INSTANCE = new Q8KBlock();
    public static final int D = 0, QS = 4, BSUMS = 260;

    private Q8KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q8_K; }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f32(s, off + D);
        for (int j = 0; j < 256; j++) y[o + j] = d * (float) LittleEndian.i8(s, off + QS + j);
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        long p = off;
        for (long b = 0; b < blocks; b++, p += 292) if (!Float.isFinite(LittleEndian.f32(s, p + D))) return p + D;
        return -1;
    }
}
