package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Q4_K: 256 elements in 144 bytes, {@code {f16 d; f16 dmin; u8 scales[12]; u8 qs[128]}}. Eight sub-blocks of 32,
 * each with a 6-bit scale and min packed by {@link #scaleMin}. Chunk c (qs bytes 32c..32c+31) holds sub-block 2c in
 * its low nibbles and 2c+1 in its high nibbles; {@code y = (d * sc) * q - (dmin * mn)}.
 */
public final class Q4KBlock implements QuantBlock {
    public static final Q4KBlock INSTANCE = new Q4KBlock();
    public static final int D = 0, DMIN = 2, SCALES = 4, QS = 16;

    private Q4KBlock() {}

    @Override public GgmlType type() { return GgmlType.Q4_K; }

    /**
     * ggml's {@code get_scale_min_k4}: scale (bits 0..5 of the result) and min (bits 8..13) of sub-block {@code j}
     * from the 12 packed bytes at {@code scalesOff}. Bytes 0..3 hold sc0..3 with the top bits of sc4..7 above them,
     * bytes 4..7 likewise for the mins, bytes 8..11 the low nibbles of sc4..7 and mn4..7. Shared with Q5_K.
     */
    public static int scaleMin(MemorySegment s, long scalesOff, int j) {
        int sc, mn;
        if (j < 4) {
            sc = LittleEndian.u8(s, scalesOff + j) & 63;
            mn = LittleEndian.u8(s, scalesOff + j + 4) & 63;
        } else {
            int b = LittleEndian.u8(s, scalesOff + j + 4);
            sc = (b & 0xF) | ((LittleEndian.u8(s, scalesOff + j - 4) >>> 6) << 4);
            mn = (b >>> 4) | ((LittleEndian.u8(s, scalesOff + j) >>> 6) << 4);
        }
        return sc | (mn << 8);
    }

    @Override
    public void dequantizeBlock(MemorySegment s, long off, float[] y, int o) {
        float d = LittleEndian.f16(s, off + D);
        float dmin = LittleEndian.f16(s, off + DMIN);
        for (int c = 0; c < 4; c++) {
            int sm0 = scaleMin(s, off + SCALES, 2 * c);
            int sm1 = scaleMin(s, off + SCALES, 2 * c + 1);
            float d0 = d * (float) (sm0 & 0xFF), m0 = dmin * (float) (sm0 >>> 8);
            float d1 = d * (float) (sm1 & 0xFF), m1 = dmin * (float) (sm1 >>> 8);
            int base = o + 64 * c;
            for (int l = 0; l < 32; l++) {
                int q = LittleEndian.u8(s, off + QS + 32 * c + l);
                y[base + l] = d0 * (float) (q & 0xF) - m0;
                y[base + 32 + l] = d1 * (float) (q >>> 4) - m1;
            }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment s, long off, long blocks) {
        return QuantBlock.findNonFiniteF16(s, off, blocks, 144, D, DMIN);
    }
}
