package dev.rullama.api.webgpu;

import dev.rullama.api.BackendUnavailableException;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One implementation's {@code webgpu.h}, bound to its loaded library: downcall handles for every function the
 * generated {@link WebGpuHeader} lists (all resolved up front, so a library that lacks one fails at open, not
 * mid-run), and struct access by C member name with the member's type checked against the written value, so
 * header drift shows up as a Java exception before any native call sees a malformed struct.
 */
public final class WebGpuApi {
    /** {@code WGPU_STRLEN}: a string view whose length is SIZE_MAX is NUL-terminated (or null when data is NULL). */
    public static final long STRLEN = -1L;

    private static final MethodHandle INCREMENT;

    static {
        try {
            INCREMENT = MethodHandles.lookup().findVirtual(LongAdder.class, "increment", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final WebGpuHeader header;
    private final Map<String, MethodHandle> handles = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> calls;
    private final Map<String, Field> fields = new ConcurrentHashMap<>();

    /** A resolved struct member: where it lives and what it is. */
    private record Field(long offset, MemoryLayout layout) {}

    /**
     * @param countCalls wrap every handle with a counter (for the smoke test that proves every bound function runs)
     */
    public WebGpuApi(WebGpuHeader header, SymbolLookup library, String libraryName, boolean countCalls)
            throws BackendUnavailableException {
        this.header = header;
        this.calls = countCalls ? new TreeMap<>() : null;
        Linker linker = Linker.nativeLinker();
        for (Map.Entry<String, FunctionDescriptor> fn : header.functions().entrySet()) {
            String name = fn.getKey();
            MemorySegment symbol = library.find(name).orElseThrow(() -> new BackendUnavailableException(
                    libraryName + " does not export " + name + ", which " + header.headerFiles()
                            + " declares: the library and the header the bindings were generated from do not match"));
            MethodHandle h = linker.downcallHandle(symbol, fn.getValue());
            if (countCalls) {
                LongAdder adder = new LongAdder();
                calls.put(name, adder);
                h = MethodHandles.foldArguments(h, INCREMENT.bindTo(adder));
            }
            handles.put(name, h);
        }
    }

    public WebGpuHeader header() { return header; }

    /** The downcall handle of a bound function. */
    public MethodHandle fn(String name) {
        MethodHandle h = handles.get(name);
        if (h == null) throw new IllegalStateException(name + " is not among the functions bound from " + header.headerFiles());
        return h;
    }

    /** Whether the header binds {@code name} (e.g. wgpu-native's {@code wgpuDevicePoll}). */
    public boolean has(String name) { return handles.containsKey(name); }

    /** Calls per bound function so far, or an empty map when counting is off. */
    public Map<String, Long> callCounts() {
        if (calls == null) return Map.of();
        Map<String, Long> out = new TreeMap<>();
        calls.forEach((k, v) -> out.put(k, v.sum()));
        return Collections.unmodifiableMap(out);
    }

    /** An enum or flag constant by its C name. */
    public long constant(String name) {
        Long v = header.constants().get(name);
        if (v == null) throw new IllegalStateException("constant " + name + " is not in " + header.headerFiles());
        return v;
    }

    public int intConstant(String name) { return Math.toIntExact(constant(name)); }

    /** The C name of the constant with this value and prefix (e.g. {@code WGPUBackendType_}), without the prefix. */
    public String constantName(String prefix, long value) {
        for (Map.Entry<String, Long> e : header.constants().entrySet())
            if (e.getKey().startsWith(prefix) && e.getValue() == value && !e.getKey().endsWith("_Force32"))
                return e.getKey().substring(prefix.length());
        return "0x" + Long.toHexString(value);
    }

    public StructLayout struct(String name) {
        StructLayout s = header.structs().get(name);
        if (s == null) throw new IllegalStateException("struct " + name + " is not in the bindings of " + header.headerFiles());
        return s;
    }

    /** A zeroed struct (every WebGPU {@code *_INIT} default we rely on is zero or set explicitly). */
    public MemorySegment alloc(SegmentAllocator allocator, String struct) {
        StructLayout layout = struct(struct);
        return allocator.allocate(layout).fill((byte) 0);
    }

    /** A zeroed array of {@code count} structs. */
    public MemorySegment allocArray(SegmentAllocator allocator, String struct, long count) {
        StructLayout layout = struct(struct);
        return allocator.allocate(layout, Math.max(1, count)).fill((byte) 0);
    }

    /** Whether {@code struct} has the (possibly dotted) member {@code path} in this header. */
    public boolean hasField(String struct, String path) {
        try {
            field(struct, path);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private Field field(String struct, String path) {
        return fields.computeIfAbsent(struct + "." + path, k -> {
            MemoryLayout layout = struct(struct);
            long offset = 0;
            for (String part : path.split("\\.")) {
                if (!(layout instanceof GroupLayout g)) throw new IllegalStateException(struct + "." + path + ": " + part + " is not inside a struct");
                MemoryLayout member = null;
                long at = 0;
                for (MemoryLayout m : g.memberLayouts()) {
                    if (m.name().filter(part::equals).isPresent()) { member = m; break; }
                    at += m.byteSize();
                }
                if (member == null) throw new IllegalStateException(struct + " has no member " + path + " in " + header.headerFiles());
                offset += at;
                layout = member;
            }
            return new Field(offset, layout);
        });
    }

    /** Byte offset of a (possibly dotted) member. */
    public long offset(String struct, String path) { return field(struct, path).offset(); }

    private Field checked(String struct, String path, long size, boolean address) {
        Field f = field(struct, path);
        boolean isAddress = f.layout() instanceof AddressLayout;
        if (f.layout().byteSize() != size || isAddress != address || !(f.layout() instanceof ValueLayout))
            throw new IllegalStateException(struct + "." + path + " is " + f.layout() + ", not a " + (address ? "pointer" : size * 8 + "-bit value"));
        return f;
    }

    public void setInt(MemorySegment s, String struct, String path, int value) {
        s.set(ValueLayout.JAVA_INT, checked(struct, path, 4, false).offset(), value);
    }

    public void setLong(MemorySegment s, String struct, String path, long value) {
        s.set(ValueLayout.JAVA_LONG, checked(struct, path, 8, false).offset(), value);
    }

    public void setDouble(MemorySegment s, String struct, String path, double value) {
        s.set(ValueLayout.JAVA_DOUBLE, checked(struct, path, 8, false).offset(), value);
    }

    public void setPointer(MemorySegment s, String struct, String path, MemorySegment value) {
        s.set(ValueLayout.ADDRESS, checked(struct, path, 8, true).offset(), value);
    }

    public int getInt(MemorySegment s, String struct, String path) {
        return s.get(ValueLayout.JAVA_INT, checked(struct, path, 4, false).offset());
    }

    public long getLong(MemorySegment s, String struct, String path) {
        return s.get(ValueLayout.JAVA_LONG, checked(struct, path, 8, false).offset());
    }

    public MemorySegment getPointer(MemorySegment s, String struct, String path) {
        return s.get(ValueLayout.ADDRESS, checked(struct, path, 8, true).offset());
    }

    /** Writes a {@code WGPUStringView} member; {@code null} becomes the null view {NULL, WGPU_STRLEN}. */
    public void setString(MemorySegment s, String struct, String path, String value, Arena arena) {
        Field f = field(struct, path);
        if (f.layout().byteSize() != 16) throw new IllegalStateException(struct + "." + path + " is not a WGPUStringView");
        writeStringView(s.asSlice(f.offset(), 16), value, arena);
    }

    /** Fills a 16-byte {@code WGPUStringView}. */
    public static void writeStringView(MemorySegment view, String value, Arena arena) {
        if (value == null) {
            view.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            view.set(ValueLayout.JAVA_LONG, 8, STRLEN);
            return;
        }
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        MemorySegment data = arena.allocate(utf8.length + 1L);
        MemorySegment.copy(utf8, 0, data, ValueLayout.JAVA_BYTE, 0, utf8.length);
        view.set(ValueLayout.ADDRESS, 0, data);
        view.set(ValueLayout.JAVA_LONG, 8, utf8.length);
    }

    /** Reads a {@code WGPUStringView} (data, length) passed by value or embedded in a struct. */
    public static String readStringView(MemorySegment view) {
        MemorySegment data = view.get(ValueLayout.ADDRESS, 0);
        long length = view.get(ValueLayout.JAVA_LONG, 8);
        if (data.equals(MemorySegment.NULL)) return "";
        if (length == STRLEN) return data.reinterpret(1 << 20).getString(0, StandardCharsets.UTF_8);
        if (length < 0 || length > (1 << 24)) return "<unreadable string of " + length + " bytes>";
        return new String(data.reinterpret(length).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Reads a string view member of a struct. */
    public String getString(MemorySegment s, String struct, String path) {
        Field f = field(struct, path);
        return readStringView(s.asSlice(f.offset(), 16));
    }
}
