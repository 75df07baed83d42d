package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.quant.LittleEndian;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Parses a GGUF header straight from a memory segment. Every count and length read from the file is checked against
 * the bytes that remain before anything is allocated or skipped, so a hostile or truncated file yields a
 * {@link ModelFormatException} with the byte offset of the bad field, never an out-of-memory error or a runtime
 * exception. The checks follow ggml's {@code gguf.cpp} (spec §2.2), minus its "offsets are the running sum" rule:
 * any aligned, in-file, non-overlapping layout is accepted.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read little-endian
    static final int DEFAULT_ALIGNMENT = 32;
    static final int MAX_KEY_BYTES = 65535;
    static final int MAX_TENSOR_NAME_BYTES = 65535;
    static final long MAX_STRING_BYTES = 1L << 30;
    static final int MAX_ARRAY_NESTING = 8;
    static final int MAX_DIMS = 4;
    /** Smallest possible kv: key length, a 1-byte key, value type, a 1-byte value. */
    static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;
    /** Smallest possible tensor info: name length, a 1-byte name, n_dims = 0, type, offset. */
    static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 4 + 8;

    record Parsed(int version, Map<String, GgufValue> metadata, List<GgufTensor> tensors, int alignment, long dataStart) {}

    private final Path file;
    private final MemorySegment seg;
    private final long size;
    private long pos;

    GgufParser(Path file, MemorySegment seg) {
        this.file = file;
        this.seg = seg;
        this.size = seg.byteSize();
    }

    Parsed parse() throws ModelFormatException {
        if (size < 4) throw error(0, "file is " + size + " bytes, too short to be a GGUF file");
        int magic = LittleEndian.i32(seg, 0);
        if (magic != MAGIC) throw error(0, "not a GGUF file: it starts with " + describeMagic() + " instead of \"GGUF\"");
        pos = 4;
        long version = u32(() -> "the version");
        if ((version & 0xFFFF) == 0 && version != 0) {
            throw error(4, "big-endian GGUF (version field reads 0x" + Long.toHexString(version) + " little-endian); only little-endian files are supported");
        }
        if (version == 1) throw error(4, "GGUF version 1 is obsolete (32-bit counts) and not supported; re-convert the model with a current llama.cpp or Ollama");
        if (version != 2 && version != 3) throw error(4, "unsupported GGUF version " + version + "; supported: 2 and 3");
        long nTensors = u64(() -> "the tensor count");
        long nKv = u64(() -> "the metadata count");
        long left = size - pos;
        if (nTensors < 0 || nTensors > left / MIN_TENSOR_INFO_BYTES) {
            throw error(8, "tensor count " + Long.toUnsignedString(nTensors) + " cannot fit in the " + left + " bytes after the header");
        }
        if (nKv < 0 || nKv > left / MIN_KV_BYTES || nKv * MIN_KV_BYTES + nTensors * MIN_TENSOR_INFO_BYTES > left) {
            throw error(16, "metadata count " + Long.toUnsignedString(nKv) + " (with " + nTensors + " tensors) cannot fit in the " + left + " bytes after the header");
        }

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        for (long i = 0; i < nKv; i++) {
            long keyAt = pos;
            long entry = i;
            String key = readString(() -> "the key of metadata entry " + entry, MAX_KEY_BYTES);
            if (key.isEmpty()) throw error(keyAt, "metadata entry " + entry + " has an empty key");
            long typeAt = pos;
            long typeId = u32(() -> "the value type of key '" + key + "'");
            GgufValueType type = GgufValueType.fromId(typeId)
                    .orElseThrow(() -> error(typeAt, "key '" + key + "' has unknown value type " + typeId + " (valid: 0..12)"));
            GgufValue value = readValue(key, type);
            GgufValue previous = kv.putIfAbsent(key, value);
            if (previous != null) throw error(keyAt, "duplicate metadata key '" + key + "' (its first value is at byte " + previous.offset() + ")");
        }

        int alignment = DEFAULT_ALIGNMENT;
        GgufValue align = kv.get(GgufMetadata.ALIGNMENT);
        if (align != null) {
            if (align.type() != GgufValueType.UINT32) throw error(align.offset(), GgufMetadata.ALIGNMENT + " must be a u32, not " + align.typeLabel());
            long a = align.rawBits();
            if (a == 0 || (a & (a - 1)) != 0) throw error(align.offset(), GgufMetadata.ALIGNMENT + " is " + a + ", not a power of two");
            alignment = (int) a;
        }

        record Info(String name, GgmlType type, long[] ne, long elements, long bytes, long offset, long infoAt, long offsetAt) {}
        List<Info> infos = new ArrayList<>();
        Map<String, Long> names = new HashMap<>();
        for (long i = 0; i < nTensors; i++) {
            long infoAt = pos;
            long index = i;
            String name = readString(() -> "the name of tensor " + index, MAX_TENSOR_NAME_BYTES);
            if (name.isEmpty()) throw error(infoAt, "tensor " + i + " has an empty name");
            long dimsAt = pos;
            long nDims = u32(() -> "the dimension count of tensor '" + name + "'");
            if (nDims > MAX_DIMS) throw error(dimsAt, "tensor '" + name + "' has " + nDims + " dimensions; at most " + MAX_DIMS + " are allowed");
            long[] ne = new long[(int) nDims];
            long elements = 1;
            for (int d = 0; d < nDims; d++) {
                long neAt = pos;
                int dim = d;
                ne[d] = u64(() -> "dimension " + dim + " of tensor '" + name + "'");
                if (ne[d] < 0) throw error(neAt, "tensor '" + name + "' dimension " + d + " is " + Long.toUnsignedString(ne[d]) + ", beyond 2^63-1");
                try {
                    elements = Math.multiplyExact(elements, ne[d]);
                } catch (ArithmeticException e) {
                    throw error(neAt, "tensor '" + name + "' shape " + java.util.Arrays.toString(ne) + " has more than 2^63-1 elements");
                }
            }
            long typeAt = pos;
            long typeId = u32(() -> "the type of tensor '" + name + "'");
            GgmlType type = GgmlType.fromId(typeId).orElseThrow(() -> error(typeAt, "tensor '" + name + "' has unknown ggml type id "
                    + typeId + "; supported types: " + GgmlType.supportedNames()));
            long offsetAt = pos;
            long offset = u64(() -> "the data offset of tensor '" + name + "'");
            if (offset < 0) throw error(offsetAt, "tensor '" + name + "' data offset " + Long.toUnsignedString(offset) + " is beyond 2^63-1");
            long ne0 = nDims == 0 ? 1 : ne[0];
            if (ne0 % type.blockElements() != 0) {
                throw error(infoAt, "tensor '" + name + "' (" + type + ") has rows of " + ne0 + " elements, not a multiple of the block size " + type.blockElements());
            }
            long bytes;
            try {
                bytes = type.byteSize(elements);
            } catch (ArithmeticException e) {
                throw error(infoAt, "tensor '" + name + "' byte size overflows 64 bits");
            }
            Long first = names.putIfAbsent(name, infoAt);
            if (first != null) throw error(infoAt, "duplicate tensor name '" + name + "' (first defined at byte " + first + ")");
            infos.add(new Info(name, type, ne, elements, bytes, offset, infoAt, offsetAt));
        }

        long infoEnd = pos;
        long dataStart = (infoEnd + alignment - 1) / alignment * alignment;
        long avail = size - dataStart; // negative when the padding itself is cut off
        for (Info t : infos) {
            if (t.offset % alignment != 0) {
                throw error(t.offsetAt, "tensor '" + t.name + "' data offset " + t.offset + " is not a multiple of the alignment " + alignment);
            }
            // Empty tensors too: their view is a zero-length slice at dataStart + offset, which must lie in the file.
            if (t.bytes > avail || t.offset > avail - t.bytes) {
                throw error(t.offsetAt, "tensor '" + t.name + "' data (" + t.bytes + " bytes at data offset " + t.offset + ", data section at byte "
                        + dataStart + ") runs past the end of the file (" + size + " bytes)");
            }
        }
        List<Info> byOffset = new ArrayList<>(infos.stream().filter(t -> t.bytes > 0).toList());
        byOffset.sort(Comparator.comparingLong(Info::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            Info prev = byOffset.get(i - 1), cur = byOffset.get(i);
            if (cur.offset < prev.offset + prev.bytes) {
                throw error(cur.offsetAt, "tensor '" + cur.name + "' data [" + cur.offset + ", " + (cur.offset + cur.bytes) + ") overlaps tensor '"
                        + prev.name + "' [" + prev.offset + ", " + (prev.offset + prev.bytes) + ")");
            }
        }

        List<GgufTensor> tensors = new ArrayList<>(infos.size());
        for (Info t : infos) {
            tensors.add(new GgufTensor(file, seg, t.name, t.type, t.ne, t.elements, t.bytes, t.offset, dataStart + t.offset, t.infoAt));
        }
        return new Parsed((int) version, kv, tensors, alignment, dataStart);
    }

    private GgufValue readValue(String key, GgufValueType type) throws ModelFormatException {
        long at = pos;
        Supplier<String> what = () -> "the value of key '" + key + "'";
        return switch (type) {
            case STRING -> new GgufValue(file, key, type, at, 0, readString(what, MAX_STRING_BYTES), null);
            case ARRAY -> new GgufValue(file, key, type, at, 0, null, readArray(key, 0));
            case BOOL -> {
                long b = u8(what);
                if (b > 1) throw error(at, "key '" + key + "' is a bool with value " + b + "; only 0 and 1 are valid");
                yield new GgufValue(file, key, type, at, b, null, null);
            }
            default -> {
                need(type.size(), what);
                long bits = switch (type) {
                    case UINT8 -> LittleEndian.u8(seg, pos);
                    case INT8 -> LittleEndian.i8(seg, pos);
                    case UINT16 -> LittleEndian.u16(seg, pos);
                    case INT16 -> LittleEndian.i16(seg, pos);
                    case UINT32 -> LittleEndian.u32(seg, pos);
                    case INT32, FLOAT32 -> LittleEndian.i32(seg, pos);
                    case UINT64, INT64, FLOAT64 -> LittleEndian.i64(seg, pos);
                    default -> throw new AssertionError(type);
                };
                pos += type.size();
                yield new GgufValue(file, key, type, at, bits, null, null);
            }
        };
    }

    private GgufArray readArray(String key, int depth) throws ModelFormatException {
        long at = pos;
        long typeId = u32(() -> "the element type of array '" + key + "'");
        GgufValueType et = GgufValueType.fromId(typeId)
                .orElseThrow(() -> error(at, "array '" + key + "' has unknown element type " + typeId + " (valid: 0..12)"));
        long countAt = pos;
        long count = u64(() -> "the element count of array '" + key + "'");
        long start = pos;
        long left = size - pos;
        if (count < 0) throw error(countAt, "array '" + key + "' claims " + Long.toUnsignedString(count) + " elements, more than the " + left + " bytes left in the file");
        switch (et) {
            case ARRAY -> {
                if (depth + 1 >= MAX_ARRAY_NESTING) throw error(at, "array '" + key + "' nests arrays more than " + MAX_ARRAY_NESTING + " deep");
                if (count > left / 12) throw tooMany(key, countAt, count, 12, left);
                List<GgufArray> nested = new ArrayList<>();
                for (long i = 0; i < count; i++) nested.add(readArray(key, depth + 1));
                return new GgufArray(file, key, seg, start, et, count, List.copyOf(nested));
            }
            case STRING -> {
                if (count > left / 8) throw tooMany(key, countAt, count, 8, left);
                for (long i = 0; i < count; i++) {
                    // Hot loop (a vocabulary is 262144 strings, merges half a million): no message is built unless it fails.
                    long sAt = pos;
                    if (size - pos < 8) throw error(pos, "file ends inside the length of element " + i + " of array '" + key + "'");
                    long len = LittleEndian.i64(seg, pos);
                    pos += 8;
                    if (len < 0 || len > size - pos) {
                        throw error(sAt, "element " + i + " of array '" + key + "' has length " + Long.toUnsignedString(len) + ", beyond the "
                                + (size - pos) + " bytes left in the file");
                    }
                    if (len > MAX_STRING_BYTES) throw error(sAt, "element " + i + " of array '" + key + "' is " + len + " bytes, over the 1 GiB string limit");
                    pos += len;
                }
                return new GgufArray(file, key, seg, start, et, count, List.of());
            }
            default -> {
                int esz = et.size();
                if (count > left / esz) throw tooMany(key, countAt, count, esz, left);
                if (et == GgufValueType.BOOL) {
                    for (long i = 0; i < count; i++) {
                        int b = LittleEndian.u8(seg, start + i);
                        if (b > 1) throw error(start + i, "element " + i + " of bool array '" + key + "' is " + b + "; only 0 and 1 are valid");
                    }
                }
                pos += count * esz;
                return new GgufArray(file, key, seg, start, et, count, List.of());
            }
        }
    }

    private ModelFormatException tooMany(String key, long at, long count, int minBytes, long left) {
        return error(at, "array '" + key + "' claims " + count + " elements of at least " + minBytes + " bytes each, more than the "
                + left + " bytes left in the file");
    }

    private String readString(Supplier<String> what, long max) throws ModelFormatException {
        long at = pos;
        long len = u64(() -> "the length of " + what.get());
        long left = size - pos;
        if (len < 0 || len > left) throw error(at, "length of " + what.get() + " is " + Long.toUnsignedString(len) + ", beyond the " + left + " bytes left in the file");
        if (len > max) throw error(at, "length of " + what.get() + " is " + len + ", over the limit of " + max + " bytes");
        byte[] bytes = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, bytes, 0, (int) len);
        pos += len;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private void need(long n, Supplier<String> what) throws ModelFormatException {
        if (n > size - pos) throw error(pos, "file ends inside " + what.get() + " (" + n + " bytes needed, " + (size - pos) + " left)");
    }

    private long u8(Supplier<String> what) throws ModelFormatException {
        need(1, what);
        return LittleEndian.u8(seg, pos++);
    }

    private long u32(Supplier<String> what) throws ModelFormatException {
        need(4, what);
        long v = LittleEndian.u32(seg, pos);
        pos += 4;
        return v;
    }

    private long u64(Supplier<String> what) throws ModelFormatException {
        need(8, what);
        long v = LittleEndian.i64(seg, pos);
        pos += 8;
        return v;
    }

    private String describeMagic() {
        int n = (int) Math.min(4, size);
        StringBuilder hex = new StringBuilder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int b = LittleEndian.u8(seg, i);
            hex.append(String.format("%02x", b));
            text.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
        }
        return "\"" + text + "\" (0x" + hex + ")";
    }

    private ModelFormatException error(long offset, String what) {
        return new ModelFormatException(file, offset, what);
    }
}
