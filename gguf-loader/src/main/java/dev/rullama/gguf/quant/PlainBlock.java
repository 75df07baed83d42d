package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The unquantized types, one element per "block": F32, F16 (IEEE binary16), BF16 (top half of an f32), F64, and the
 * integer types I8/I16/I32/I64, all widened or rounded to float32 the way a C cast does (round to nearest even).
 * Non-finite values are reported by {@link #findNonFiniteScale} for the float types, since a plain weight is its own
 * scale.
 */
public final class PlainBlock implements QuantBlock {
    public static final PlainBlock F32 = new PlainBlock(GgmlType.F32);
    public static final PlainBlock F16 = new PlainBlock(GgmlType.F16);
    public static final PlainBlock BF16 = new PlainBlock(GgmlType.BF16);
    public static final PlainBlock F64 = new PlainBlock(GgmlType.F64);
    public static final PlainBlock I8 = new PlainBlock(GgmlType.I8);
    public static final PlainBlock I16 = new PlainBlock(GgmlType.I16);
    public static final PlainBlock I32 = new PlainBlock(GgmlType.I32);
    public static final PlainBlock I64 = new PlainBlock(GgmlType.I64);

    private final GgmlType type;

    private PlainBlock(GgmlType type) { this.type = type; }

    @Override public GgmlType type() { return type; }

    @Override public int blockElements() { return 1; }

    @Override public int blockBytes() { return type.blockBytes(); }

    @Override
    public void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOff) {
        dst[dstOff] = read(src, offset);
    }

    private float read(MemorySegment s, long off) {
        return switch (type) {
            case F32 -> LittleEndian.f32(s, off);
            case F16 -> LittleEndian.f16(s, off);
            case BF16 -> LittleEndian.bf16(s, off);
            case F64 -> (float) LittleEndian.f64(s, off);
            case I8 -> LittleEndian.i8(s, off);
            case I16 -> LittleEndian.i16(s, off);
            case I32 -> (float) LittleEndian.i32(s, off);
            case I64 -> (float) LittleEndian.i64(s, off);
            default -> throw new AssertionError(type);
        };
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        long off = srcOffset;
        switch (type) {
            case F32 -> MemorySegment.copy(src, LittleEndian.F32, srcOffset, dst, dstOff, n);
            case F16 -> { for (int i = 0; i < n; i++, off += 2) dst[dstOff + i] = LittleEndian.f16(src, off); }
            case BF16 -> { for (int i = 0; i < n; i++, off += 2) dst[dstOff + i] = LittleEndian.bf16(src, off); }
            default -> { int bb = type.blockBytes(); for (int i = 0; i < n; i++, off += bb) dst[dstOff + i] = read(src, off); }
        }
    }

    @Override
    public long findNonFiniteScale(MemorySegment src, long offset, long blocks) {
        long off = offset;
        switch (type) {
            case F32 -> { for (long i = 0; i < blocks; i++, off += 4) if (!Float.isFinite(LittleEndian.f32(src, off))) return off; }
            case F16 -> { for (long i = 0; i < blocks; i++, off += 2) if (LittleEndian.f16NonFinite(src, off)) return off; }
            case BF16 -> { for (long i = 0; i < blocks; i++, off += 2) if ((LittleEndian.i16(src, off) & 0x7F80) == 0x7F80) return off; }
            case F64 -> { for (long i = 0; i < blocks; i++, off += 8) if (!Double.isFinite(LittleEndian.f64(src, off))) return off; }
            default -> { }
        }
        return -1;
    }
}
