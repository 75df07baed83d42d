package dev.rullama.shaders.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * Random weight matrices in a ggml type's exact byte layout, for the conformance cases: every quant and scale
 * bit random, except that the scale fields are overwritten with sane values (finite, moderate, random sign) so
 * the products neither overflow nor vanish. {@link Scales#SUBNORMAL} instead makes every binary16 scale (or every
 * F16 weight) subnormal, to prove a kernel decodes them exactly rather than flushing them to zero.
 */
public final class RandomWeights {
    /** What to put in the scale fields. */
    public enum Scales { MODERATE, SUBNORMAL }

    private static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LEF32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private RandomWeights() {}

    /** A [rows][cols] weight of {@code type}, as GGUF stores it. */
    public static byte[] of(GgmlType type, int rows, int cols, Scales scales, Random random) {
        UnitLayout layout = UnitLayout.of(type);
        long n = Math.multiplyExact(rows, layout.rowBytes(cols));
        if (n > Integer.MAX_VALUE - 16) throw new IllegalArgumentException("too large for a test weight: " + n + " bytes");
        byte[] bytes = new byte[(int) n];
        MemorySegment s = MemorySegment.ofArray(bytes);
        switch (type) {
            case F32 -> {
                for (long i = 0; i < n; i += 4) s.set(LEF32, i, random.nextFloat() * 2 - 1);
            }
            case F16 -> {
                for (long i = 0; i < n; i += 2) {
                    short h = scales == Scales.SUBNORMAL
                            ? (short) ((random.nextBoolean() ? 0x8000 : 0) | (1 + random.nextInt(0x3FF)))
                            : Float.floatToFloat16(random.nextFloat() * 4 - 2);
                    s.set(LE16, i, h);
                }
            }
            case BF16 -> {
                for (long i = 0; i < n; i += 2) s.set(LE16, i, (short) (Float.floatToRawIntBits(random.nextFloat() * 4 - 2) >>> 16));
            }
            default -> {
                random.nextBytes(bytes);
                int bb = type.blockBytes();
                for (long off = 0; off < n; off += bb) fixScales(type, s, off, scales, random);
            }
        }
        return bytes;
    }

    private static void fixScales(GgmlType type, MemorySegment s, long off, Scales scales, Random random) {
        switch (type) {
            case Q4_0, Q5_0, Q8_0, Q4_K, Q5_K -> {
                s.set(LE16, off, scale(scales, random));
                if (type == GgmlType.Q4_K || type == GgmlType.Q5_K) s.set(LE16, off + 2, scale(scales, random));
            }
            case Q4_1, Q5_1 -> {
                s.set(LE16, off, scale(scales, random));
                s.set(LE16, off + 2, scale(scales, random));
            }
            case Q2_K -> {
                s.set(LE16, off + 80, scale(scales, random));
                s.set(LE16, off + 82, scale(scales, random));
            }
            case Q3_K -> s.set(LE16, off + 108, scale(scales, random));
            case Q6_K -> s.set(LE16, off + 208, scale(scales, random));
            // 2^(e-128) between 2^-10 and 2^2: weights up to 12 * 4
            case MXFP4 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) (118 + random.nextInt(13)));
            default -> throw new IllegalArgumentException("no random blocks for " + type);
        }
    }

    /** A binary16 scale: ±[2^-10, 2^-5) (moderate), or a random nonzero subnormal. */
    private static short scale(Scales scales, Random random) {
        int sign = random.nextBoolean() ? 0x8000 : 0;
        if (scales == Scales.SUBNORMAL) return (short) (sign | (1 + random.nextInt(0x3FF)));
        float v = (float) Math.scalb(1 + random.nextDouble(), -10 + random.nextInt(5));
        return (short) (sign | Float.floatToFloat16(v));
    }

    /** The bytes as little-endian 32-bit words, a final partial word padded with zeros. */
    public static int[] words(byte[] bytes) {
        int[] out = new int[(bytes.length + 3) / 4];
        byte[] padded = bytes.length % 4 == 0 ? bytes : java.util.Arrays.copyOf(bytes, out.length * 4);
        MemorySegment.copy(MemorySegment.ofArray(padded), LE32, 0, out, 0, out.length);
        return out;
    }
}
