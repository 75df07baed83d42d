package dev.rullama.gguf.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Unaligned little-endian reads from a memory segment. GGUF and every ggml block are little-endian and packed, so
 * fields land at odd offsets (a Q4_K block is 144 bytes, an MXFP4 block 17); the unaligned layouts make that legal.
 */
public final class LittleEndian {
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {}

    /** Unsigned byte. */
    public static int u8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF; }

    /** Signed byte. */
    public static int i8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off); }

    /** Unsigned 16-bit. */
    public static int u16(MemorySegment s, long off) { return s.get(I16, off) & 0xFFFF; }

    public static short i16(MemorySegment s, long off) { return s.get(I16, off); }

    public static int i32(MemorySegment s, long off) { return s.get(I32, off); }

    /** Unsigned 32-bit, widened. */
    public static long u32(MemorySegment s, long off) { return s.get(I32, off) & 0xFFFF_FFFFL; }

    public static long i64(MemorySegment s, long off) { return s.get(I64, off); }

    public static float f32(MemorySegment s, long off) { return s.get(F32, off); }

    public static double f64(MemorySegment s, long off) { return s.get(F64, off); }

    /** IEEE binary16 → float, exact (subnormals, infinities and NaN included). */
    public static float f16(MemorySegment s, long off) { return Float.float16ToFloat(s.get(I16, off)); }

    /** bfloat16 → float: the 16 bits are the top half of an f32. */
    public static float bf16(MemorySegment s, long off) { return Float.intBitsToFloat((s.get(I16, off) & 0xFFFF) << 16); }

    /** Whether the binary16 at {@code off} is NaN or infinite (exponent bits all ones). */
    public static boolean f16NonFinite(MemorySegment s, long off) { return (s.get(I16, off) & 0x7C00) == 0x7C00; }
}
