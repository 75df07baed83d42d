package dev.rullama.gguf;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes GGUF v3 (or v2) files: metadata in insertion order, tensor infos, then the data, each tensor at the next
 * multiple of the alignment. Used for synthetic models and test files; it only writes valid files (a bad shape,
 * duplicate key or wrong data length is an {@link IllegalArgumentException}), so tests that need broken files patch
 * the bytes it produces, using the offsets in the returned {@link Layout}.
 *
 * <p>A tensor added with {@link #addZeroTensor} is never written: on {@link #write(Path)} its bytes stay a hole, so a
 * multi-GB synthetic file costs no disk space on a filesystem with sparse files.
 *
 * <p>A tensor added with a {@link TensorSource} is produced while the file is written, so a multi-GB tensor never sits
 * in memory; {@link #writeTo(WritableByteChannel)} writes the whole file as one sequential stream (header, padding,
 * every tensor's bytes, zeros included), for a caller that hashes the bytes on their way to disk.
 */
public final class GgufWriter {
    /** A metadata array: element type and elements (Number, Boolean, String, or Array for nested arrays). */
    public record Array(GgufValueType elementType, List<?> elements) {
        public Array {
            Objects.requireNonNull(elementType);
            elements = List.copyOf(elements);
        }
    }

    /**
     * Where each part of a written file landed: {@code keyOffsets} (byte of each key's length field),
     * {@code tensorInfoOffsets}, {@code tensorOffsets} (absolute data offsets) in insertion order.
     */
    public record Layout(long metadataStart, Map<String, Long> keyOffsets, long tensorInfoStart, List<Long> tensorInfoOffsets,
                         long dataOffset, List<Long> tensorOffsets, long fileSize) {}

    /**
     * Produces a tensor's bytes at write time: {@link #writeTo} must write exactly {@code bytes} bytes, in order, to
     * {@code out} (an incomplete or long write fails the file with an IOException naming the tensor). It may be called
     * more than once (once per write).
     */
    @FunctionalInterface
    public interface TensorSource {
        void writeTo(WritableByteChannel out, long bytes) throws IOException;
    }

    private record Kv(String key, GgufValueType type, Object value) {}

    /** {@code data} and {@code source} are both null for a zero tensor. */
    private record Tensor(String name, GgmlType type, long[] shape, long bytes, MemorySegment data, TensorSource source) {}

    private int version = 3;
    private int alignment = GgufParser.DEFAULT_ALIGNMENT;
    private final Map<String, Kv> kvs = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** 3 (default) or 2; the layouts are identical for little-endian files. */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version " + version + " cannot be written");
        this.version = version;
        return this;
    }

    /** Sets the data alignment and writes {@code general.alignment} (a u32) for it. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment " + alignment + " is not a power of two");
        this.alignment = alignment;
        return put(GgufMetadata.ALIGNMENT, GgufValueType.UINT32, (long) alignment);
    }

    /** Adds a key; {@code value} is a Number (range-checked for the type), Boolean, String, or {@link Array}. */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        Objects.requireNonNull(key);
        if (key.isEmpty()) throw new IllegalArgumentException("empty key");
        checkValue(type, value);
        if (kvs.putIfAbsent(key, new Kv(key, type, value)) != null) throw new IllegalArgumentException("duplicate key " + key);
        return this;
    }

    public GgufWriter putU8(String key, int v) { return put(key, GgufValueType.UINT8, v); }
    public GgufWriter putI8(String key, int v) { return put(key, GgufValueType.INT8, v); }
    public GgufWriter putU16(String key, int v) { return put(key, GgufValueType.UINT16, v); }
    public GgufWriter putI16(String key, int v) { return put(key, GgufValueType.INT16, v); }
    public GgufWriter putU32(String key, long v) { return put(key, GgufValueType.UINT32, v); }
    public GgufWriter putI32(String key, int v) { return put(key, GgufValueType.INT32, v); }
    /** {@code v} is written as raw 64 bits, so values above 2^63 are negative longs. */
    public GgufWriter putU64(String key, long v) { return put(key, GgufValueType.UINT64, v); }
    public GgufWriter putI64(String key, long v) { return put(key, GgufValueType.INT64, v); }
    public GgufWriter putF32(String key, float v) { return put(key, GgufValueType.FLOAT32, v); }
    public GgufWriter putF64(String key, double v) { return put(key, GgufValueType.FLOAT64, v); }
    public GgufWriter putBool(String key, boolean v) { return put(key, GgufValueType.BOOL, v); }
    public GgufWriter putString(String key, String v) { return put(key, GgufValueType.STRING, v); }

    public GgufWriter putArray(String key, GgufValueType elementType, List<?> elements) {
        return put(key, GgufValueType.ARRAY, new Array(elementType, elements));
    }

    public GgufWriter putStrings(String key, List<String> values) { return putArray(key, GgufValueType.STRING, values); }

    /** An i32 array. */
    public GgufWriter putInts(String key, int... values) { return putArray(key, GgufValueType.INT32, Arrays.stream(values).boxed().toList()); }

    public GgufWriter putFloats(String key, float... values) {
        List<Float> l = new ArrayList<>(values.length);
        for (float f : values) l.add(f);
        return putArray(key, GgufValueType.FLOAT32, l);
    }

    public GgufWriter putBools(String key, boolean... values) {
        List<Boolean> l = new ArrayList<>(values.length);
        for (boolean b : values) l.add(b);
        return putArray(key, GgufValueType.BOOL, l);
    }

    /** Adds a tensor with its raw bytes (already in {@code type}'s block layout). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, byte[] data) {
        return addTensor(name, type, shape, MemorySegment.ofArray(data.clone()));
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment data) {
        long bytes = tensorBytes(name, type, shape);
        if (data.byteSize() != bytes) throw new IllegalArgumentException("tensor " + name + ": " + data.byteSize() + " bytes given, " + bytes + " needed");
        return add(new Tensor(name, type, shape.clone(), bytes, data, null));
    }

    /** Adds a tensor whose bytes (already in {@code type}'s block layout) {@code source} writes when the file is written. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorSource source) {
        Objects.requireNonNull(source, "source");
        return add(new Tensor(name, type, shape.clone(), tensorBytes(name, type, shape), null, source));
    }

    /** An F32 tensor from values (row-major in ggml's sense: {@code ne0} fastest). */
    public GgufWriter addF32Tensor(String name, long[] shape, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return addTensor(name, GgmlType.F32, shape, b.array());
    }

    /** A tensor of zero bytes that {@link #write(Path)} leaves as a hole in a sparse file. */
    public GgufWriter addZeroTensor(String name, GgmlType type, long[] shape) {
        return add(new Tensor(name, type, shape.clone(), tensorBytes(name, type, shape), null, null));
    }

    private GgufWriter add(Tensor t) {
        if (tensors.putIfAbsent(t.name, t) != null) throw new IllegalArgumentException("duplicate tensor " + t.name);
        return this;
    }

    private static long tensorBytes(String name, GgmlType type, long[] shape) {
        if (name.isEmpty()) throw new IllegalArgumentException("empty tensor name");
        if (shape.length > GgufParser.MAX_DIMS) throw new IllegalArgumentException("tensor " + name + " has more than 4 dimensions");
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor " + name + ": negative dimension");
            n = Math.multiplyExact(n, d);
        }
        long ne0 = shape.length == 0 ? 1 : shape[0];
        if (ne0 % type.blockElements() != 0) throw new IllegalArgumentException("tensor " + name + ": ne0 " + ne0 + " is not a multiple of " + type.blockElements());
        return type.byteSize(n);
    }

    /** Writes the file (creating or truncating it) and says where everything went. */
    public Layout write(Path path) throws IOException {
        Header h = header();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(h.bytes, 0, h.size), 0);
            int i = 0;
            for (Tensor t : tensors.values()) {
                long at = h.layout.tensorOffsets().get(i++);
                if (t.source != null) {
                    ch.position(at);
                    writeSource(t, ch);
                    continue;
                }
                if (t.data == null) continue;
                for (long done = 0; done < t.bytes; done += 1L << 30) { // asByteBuffer is limited to 2 GiB
                    writeFully(ch, t.data.asSlice(done, Math.min(1L << 30, t.bytes - done)).asByteBuffer(), at + done);
                }
            }
            long end = h.layout.fileSize();
            if (ch.size() < end) writeFully(ch, ByteBuffer.allocate(1), end - 1);
        }
        return h.layout;
    }

    /**
     * Writes the whole file to {@code out} as one sequential stream: header, padding, then every tensor's bytes in
     * order, with zero tensors and alignment padding written as zeros (no holes). Returns the same layout as
     * {@link #write(Path)}; exactly {@code fileSize()} bytes are written.
     */
    public Layout writeTo(WritableByteChannel out) throws IOException {
        Header h = header();
        long pos = 0;
        pos += writeAll(out, ByteBuffer.wrap(h.bytes, 0, h.size));
        ByteBuffer zeros = ByteBuffer.allocate(1 << 16);
        int i = 0;
        for (Tensor t : tensors.values()) {
            long at = h.layout.tensorOffsets().get(i++);
            pos += writeZeros(out, zeros, at - pos);
            if (t.source != null) {
                writeSource(t, out);
            } else if (t.data != null) {
                for (long done = 0; done < t.bytes; done += 1L << 30) {
                    writeAll(out, t.data.asSlice(done, Math.min(1L << 30, t.bytes - done)).asByteBuffer());
                }
            } else {
                writeZeros(out, zeros, t.bytes);
            }
            pos += t.bytes;
        }
        writeZeros(out, zeros, h.layout.fileSize() - pos);
        return h.layout;
    }

    /** Runs a tensor's source through a counter, so a source that writes too little or too much fails here. */
    private static void writeSource(Tensor t, WritableByteChannel out) throws IOException {
        long[] written = {0};
        WritableByteChannel counting = new WritableByteChannel() {
            @Override public int write(ByteBuffer src) throws IOException {
                if (written[0] + src.remaining() > t.bytes) {
                    throw new IOException("tensor " + t.name + ": its source wrote more than its " + t.bytes + " bytes");
                }
                int n = writeAll(out, src);
                written[0] += n;
                return n;
            }
            @Override public boolean isOpen() { return out.isOpen(); }
            @Override public void close() {}
        };
        t.source.writeTo(counting, t.bytes);
        if (written[0] != t.bytes) {
            throw new IOException("tensor " + t.name + ": its source wrote " + written[0] + " of its " + t.bytes + " bytes");
        }
    }

    private static int writeAll(WritableByteChannel out, ByteBuffer buf) throws IOException {
        int n = buf.remaining();
        while (buf.hasRemaining()) out.write(buf);
        return n;
    }

    private static long writeZeros(WritableByteChannel out, ByteBuffer zeros, long n) throws IOException {
        for (long left = n; left > 0; left -= zeros.capacity()) {
            zeros.clear().limit((int) Math.min(zeros.capacity(), left));
            writeAll(out, zeros);
        }
        return Math.max(0, n);
    }

    /** Where everything would go if written now. */
    public Layout layout() { return header().layout; }

    /** The whole file in memory; for small files. */
    public byte[] toByteArray() {
        Header h = header();
        long size = h.layout.fileSize();
        if (size > Integer.MAX_VALUE - 16) throw new IllegalStateException("file of " + size + " bytes does not fit a byte[]");
        if (tensors.values().stream().anyMatch(t -> t.source != null)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) size);
            try {
                writeTo(Channels.newChannel(bytes));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return bytes.toByteArray();
        }
        byte[] out = Arrays.copyOf(h.bytes, (int) size);
        int i = 0;
        for (Tensor t : tensors.values()) {
            int at = (int) (long) h.layout.tensorOffsets().get(i++);
            if (t.data != null) MemorySegment.copy(t.data, ValueLayout.JAVA_BYTE, 0, out, at, (int) t.bytes);
        }
        return out;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        long p = at;
        while (buf.hasRemaining()) p += ch.write(buf, p);
    }

    private record Header(byte[] bytes, int size, Layout layout) {}

    private Header header() {
        Le out = new Le();
        out.i32(GgufParser.MAGIC);
        out.i32(version);
        out.i64(tensors.size());
        out.i64(kvs.size());
        long metadataStart = out.size;
        Map<String, Long> keyOffsets = new LinkedHashMap<>();
        for (Kv kv : kvs.values()) {
            keyOffsets.put(kv.key, (long) out.size);
            out.string(kv.key);
            out.i32(kv.type.id());
            writeValue(out, kv.type, kv.value);
        }
        long tensorInfoStart = out.size;
        List<Long> infoOffsets = new ArrayList<>();
        List<Long> relOffsets = new ArrayList<>();
        long rel = 0;
        for (Tensor t : tensors.values()) {
            infoOffsets.add((long) out.size);
            out.string(t.name);
            out.i32(t.shape.length);
            for (long d : t.shape) out.i64(d);
            out.i32(t.type.id());
            out.i64(rel);
            relOffsets.add(rel);
            rel = alignUp(rel + t.bytes, alignment);
        }
        long dataOffset = alignUp(out.size, alignment);
        List<Long> abs = relOffsets.stream().map(r -> r + dataOffset).toList();
        long end = dataOffset;
        int i = 0;
        for (Tensor t : tensors.values()) end = Math.max(end, abs.get(i++) + t.bytes);
        Layout layout = new Layout(metadataStart, keyOffsets, tensorInfoStart, List.copyOf(infoOffsets), dataOffset, abs, end);
        return new Header(out.buf, out.size, layout);
    }

    private static long alignUp(long v, long a) { return (v + a - 1) / a * a; }

    private static void writeValue(Le out, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> out.i8(((Number) v).intValue());
            case UINT16, INT16 -> out.i16(((Number) v).intValue());
            case UINT32, INT32 -> out.i32((int) ((Number) v).longValue());
            case UINT64, INT64 -> out.i64(((Number) v).longValue());
            case FLOAT32 -> out.i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> out.i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> out.i8((Boolean) v ? 1 : 0);
            case STRING -> out.string((String) v);
            case ARRAY -> {
                Array a = (Array) v;
                out.i32(a.elementType.id());
                out.i64(a.elements.size());
                for (Object e : a.elements) writeValue(out, a.elementType, e);
            }
        }
    }

    private static void checkValue(GgufValueType type, Object v) {
        Objects.requireNonNull(v, "value");
        boolean ok = switch (type) {
            case UINT8 -> v instanceof Number n && n.longValue() >= 0 && n.longValue() <= 0xFF;
            case INT8 -> v instanceof Number n && n.longValue() == (byte) n.longValue();
            case UINT16 -> v instanceof Number n && n.longValue() >= 0 && n.longValue() <= 0xFFFF;
            case INT16 -> v instanceof Number n && n.longValue() == (short) n.longValue();
            case UINT32 -> v instanceof Number n && n.longValue() >= 0 && n.longValue() <= 0xFFFF_FFFFL;
            case INT32 -> v instanceof Number n && n.longValue() == (int) n.longValue();
            case UINT64, INT64, FLOAT32, FLOAT64 -> v instanceof Number;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> {
                if (!(v instanceof Array a)) yield false;
                for (Object e : a.elements) checkValue(a.elementType, e);
                yield true;
            }
        };
        if (!ok) throw new IllegalArgumentException("value " + v + " (" + v.getClass().getSimpleName() + ") is not a valid " + type);
    }

    /** Growable little-endian byte buffer. */
    private static final class Le {
        byte[] buf = new byte[4096];
        int size;

        void ensure(int n) {
            if (size + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }

        void i8(int v) { ensure(1); buf[size++] = (byte) v; }

        void i16(int v) { ensure(2); buf[size++] = (byte) v; buf[size++] = (byte) (v >> 8); }

        void i32(int v) { ensure(4); for (int i = 0; i < 4; i++) buf[size++] = (byte) (v >> (8 * i)); }

        void i64(long v) { ensure(8); for (int i = 0; i < 8; i++) buf[size++] = (byte) (v >> (8 * i)); }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }
    }
}
