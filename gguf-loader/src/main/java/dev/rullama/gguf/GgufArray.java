package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.quant.LittleEndian;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;

/**
 * A GGUF metadata array, read lazily from the mapped file. Opening a file only walks an array to check its bounds;
 * elements are decoded when asked for, so a 262144-entry token list costs nothing until the tokenizer reads it.
 * String elements are found through an offset index built on first access (one long per element). Arrays of arrays
 * are supported (GGUF allows them; llama.cpp does not), their inner arrays parsed at open.
 *
 * <p>Thread-safe: the index is built once under a lock, everything else is immutable.
 */
public final class GgufArray {
    private final Path file;
    private final String key;
    private final MemorySegment seg;
    private final long offset;
    private final GgufValueType elementType;
    private final long count;
    private final List<GgufArray> nested;
    private volatile long[] stringOffsets;

    GgufArray(Path file, String key, MemorySegment seg, long offset, GgufValueType elementType, long count, List<GgufArray> nested) {
        this.file = file;
        this.key = key;
        this.seg = seg;
        this.offset = offset;
        this.elementType = elementType;
        this.count = count;
        this.nested = nested;
    }

    public GgufValueType elementType() { return elementType; }

    /** Number of elements. */
    public long size() { return count; }

    public boolean isEmpty() { return count == 0; }

    /** Byte offset of the first element in the file. */
    public long offset() { return offset; }

    /** Element {@code i} of an integer array; a u64 above {@link Long#MAX_VALUE} is an error. */
    public long getLong(long i) throws ModelFormatException {
        Objects.checkIndex(i, count);
        long off = offset + i * elementType.size();
        long v = switch (elementType) {
            case UINT8 -> LittleEndian.u8(seg, off);
            case INT8 -> LittleEndian.i8(seg, off);
            case UINT16 -> LittleEndian.u16(seg, off);
            case INT16 -> LittleEndian.i16(seg, off);
            case UINT32 -> LittleEndian.u32(seg, off);
            case INT32 -> LittleEndian.i32(seg, off);
            case UINT64, INT64 -> LittleEndian.i64(seg, off);
            default -> throw mismatch("integer");
        };
        if (elementType == GgufValueType.UINT64 && v < 0) {
            throw new ModelFormatException(file, off, "key '" + key + "' element " + i + ": u64 value " + Long.toUnsignedString(v) + " is too large");
        }
        return v;
    }

    /** Element {@code i} of a float or integer array. */
    public double getDouble(long i) throws ModelFormatException {
        Objects.checkIndex(i, count);
        return switch (elementType) {
            case FLOAT32 -> LittleEndian.f32(seg, offset + i * 4);
            case FLOAT64 -> LittleEndian.f64(seg, offset + i * 8);
            case UINT64 -> {
                long v = LittleEndian.i64(seg, offset + i * 8);
                yield v < 0 ? Double.parseDouble(Long.toUnsignedString(v)) : (double) v;
            }
            default -> {
                if (!elementType.isInteger()) throw mismatch("number");
                yield (double) getLong(i);
            }
        };
    }

    public boolean getBoolean(long i) throws ModelFormatException {
        Objects.checkIndex(i, count);
        if (elementType != GgufValueType.BOOL) throw mismatch("bool");
        return LittleEndian.u8(seg, offset + i) != 0;
    }

    /** The raw UTF-8 bytes of string element {@code i} (tokens need not be valid UTF-8). */
    public byte[] getStringBytes(long i) throws ModelFormatException {
        Objects.checkIndex(i, count);
        if (elementType != GgufValueType.STRING) throw mismatch("string");
        long off = stringIndex()[(int) i];
        int len = (int) LittleEndian.i64(seg, off);
        byte[] out = new byte[len];
        MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, off + 8, out, 0, len);
        return out;
    }

    /** String element {@code i}, decoded as UTF-8 (malformed bytes become U+FFFD). */
    public String getString(long i) throws ModelFormatException {
        return new String(getStringBytes(i), StandardCharsets.UTF_8);
    }

    /** Element {@code i} of an array of arrays. */
    public GgufArray getArray(long i) throws ModelFormatException {
        Objects.checkIndex(i, count);
        if (elementType != GgufValueType.ARRAY) throw mismatch("array");
        return nested.get((int) i);
    }

    public long[] toLongArray() throws ModelFormatException {
        long[] out = new long[checkedLength()];
        for (int i = 0; i < out.length; i++) out[i] = getLong(i);
        return out;
    }

    /** Integer elements, each of which must fit an int. */
    public int[] toIntArray() throws ModelFormatException {
        int[] out = new int[checkedLength()];
        for (int i = 0; i < out.length; i++) {
            long v = getLong(i);
            if (v != (int) v) {
                throw new ModelFormatException(file, offset + (long) i * elementType.size(),
                        "key '" + key + "' element " + i + ": value " + v + " does not fit a 32-bit int");
            }
            out[i] = (int) v;
        }
        return out;
    }

    public float[] toFloatArray() throws ModelFormatException {
        float[] out = new float[checkedLength()];
        if (elementType == GgufValueType.FLOAT32) {
            MemorySegment.copy(seg, LittleEndian.F32, offset, out, 0, out.length);
            return out;
        }
        for (int i = 0; i < out.length; i++) out[i] = (float) getDouble(i);
        return out;
    }

    public boolean[] toBooleanArray() throws ModelFormatException {
        if (elementType != GgufValueType.BOOL) throw mismatch("bool");
        boolean[] out = new boolean[checkedLength()];
        for (int i = 0; i < out.length; i++) out[i] = LittleEndian.u8(seg, offset + i) != 0;
        return out;
    }

    /** A string array as an immutable list view that decodes each element when read. */
    public List<String> toStringList() throws ModelFormatException {
        if (elementType != GgufValueType.STRING) throw mismatch("string");
        int n = checkedLength();
        long[] index = stringIndex();
        return new AbstractList<>() {
            @Override public String get(int i) {
                long off = index[Objects.checkIndex(i, n)];
                int len = (int) LittleEndian.i64(seg, off);
                byte[] b = new byte[len];
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, off + 8, b, 0, len);
                return new String(b, StandardCharsets.UTF_8);
            }

            @Override public int size() { return n; }
        };
    }

    /** {@code arr[i32,35]}, {@code arr[arr[i32],3]}. */
    public String typeLabel() {
        String inner = elementType == GgufValueType.ARRAY
                ? (nested.isEmpty() ? "arr" : "arr[" + nested.getFirst().elementType.shortName() + "]")
                : elementType.shortName();
        return "arr[" + inner + "," + count + "]";
    }

    /** See {@link GgufValue#display}. */
    public String display(int maxElements, int maxStringChars) {
        StringBuilder sb = new StringBuilder("[");
        long shown = Math.min(count, Math.max(0, maxElements));
        try {
            for (long i = 0; i < shown; i++) {
                if (i > 0) sb.append(", ");
                switch (elementType) {
                    case STRING -> sb.append(quote(getString(i), maxStringChars));
                    case ARRAY -> sb.append(getArray(i).display(maxElements, maxStringChars));
                    case FLOAT32 -> sb.append((float) getDouble(i));
                    case FLOAT64 -> sb.append(getDouble(i));
                    case BOOL -> sb.append(getBoolean(i));
                    case UINT64 -> sb.append(Long.toUnsignedString(LittleEndian.i64(seg, offset + i * 8)));
                    default -> sb.append(getLong(i));
                }
            }
        } catch (ModelFormatException e) {
            sb.append("<").append(e.getMessage()).append(">");
        }
        if (shown < count) sb.append(shown > 0 ? ", ... (" : "... (").append(count).append(" total)");
        return sb.append(']').toString();
    }

    static String quote(String s, int maxChars) {
        String body = s.length() > maxChars && maxChars >= 0
                ? s.substring(0, maxChars) + "... (" + s.length() + " chars)"
                : s;
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    private int checkedLength() throws ModelFormatException {
        if (count > Integer.MAX_VALUE - 16) throw new ModelFormatException(file, offset, "key '" + key + "': " + count + " elements is too many for one Java array");
        return (int) count;
    }

    /** Offsets of each string element's length prefix; the parser has already checked that they all lie in the file. */
    private long[] stringIndex() throws ModelFormatException {
        long[] idx = stringOffsets;
        if (idx != null) return idx;
        synchronized (this) {
            if (stringOffsets == null) {
                long[] built = new long[checkedLength()];
                long off = offset;
                for (int i = 0; i < built.length; i++) {
                    built[i] = off;
                    off += 8 + LittleEndian.i64(seg, off);
                }
                stringOffsets = built;
            }
            return stringOffsets;
        }
    }

    private ModelFormatException mismatch(String expected) {
        return new ModelFormatException(file, offset, "key '" + key + "' is " + typeLabel() + ", expected an array of " + expected + " elements");
    }
}
