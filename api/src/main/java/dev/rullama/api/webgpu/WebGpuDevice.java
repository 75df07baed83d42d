package dev.rullama.api.webgpu;

import dev.rullama.api.Access;
import dev.rullama.api.AdapterInfo;
import dev.rullama.api.BackendUnavailableException;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.GpuException;
import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.OutOfDeviceMemoryException;
import dev.rullama.api.RullamaException;
import dev.rullama.api.ShaderCompileException;
import dev.rullama.api.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared {@code webgpu.h} device: instance → adapter (high-performance preference, so a discrete GPU wins and
 * a CPU Vulkan adapter is the fallback) → device with the adapter's own limits → buffers, pipelines, bind groups,
 * command recording and readback. Every argument that could make the native side fault is checked here first.
 */
final class WebGpuDevice implements Device, Callbacks.DeviceEvents {
    private static final Logger LOG = LoggerFactory.getLogger(WebGpuDevice.class);
    private static final long WAIT_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("rullama.webgpu.timeoutSeconds", 300));
    private static final Pattern LINE_COLUMN = Pattern.compile(":(\\d+):(\\d+)");
    private static final int LIMITS_BYTES = 1024; // implementations write their own sizeof(WGPULimits): over-allocate

    private final WebGpuBackend backend;
    private final WebGpuApi api;
    private final Callbacks cb;
    private final DeviceOptions options;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment instance, adapter, device, queue;
    private final AdapterInfo adapterInfo;
    private final DeviceLimits limits;
    private final Set<String> features;
    private final MemorySegment eventsUserdata;
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final Map<KernelSpec, WebGpuKernel> kernels = new LinkedHashMap<>();
    private final Set<WebGpuTensor> buffers = Collections.newSetFromMap(new LinkedHashMap<>());
    private final long usageStorage, usageCopySrc, usageCopyDst, usageUniform, usageMapRead;
    private volatile String lostMessage;
    private long allocatedBytes, peakAllocatedBytes; // of the buffers in `buffers`
    private WebGpuTensor staging;
    private boolean closed;

    private WebGpuDevice(WebGpuBackend backend, WebGpuBackend.Loaded loaded, DeviceOptions options) throws RullamaException {
        this.backend = backend;
        this.api = loaded.api();
        this.cb = loaded.callbacks();
        this.options = options;
        this.usageStorage = api.constant("WGPUBufferUsage_Storage");
        this.usageCopySrc = api.constant("WGPUBufferUsage_CopySrc");
        this.usageCopyDst = api.constant("WGPUBufferUsage_CopyDst");
        this.usageUniform = api.constant("WGPUBufferUsage_Uniform");
        this.usageMapRead = api.constant("WGPUBufferUsage_MapRead");
        this.eventsUserdata = Callbacks.register(this);
        MemorySegment inst = MemorySegment.NULL, ad = MemorySegment.NULL, dev = MemorySegment.NULL;
        try {
            inst = (MemorySegment) api.fn("wgpuCreateInstance").invoke(MemorySegment.NULL);
            if (inst.equals(MemorySegment.NULL)) throw new BackendUnavailableException(backend.name() + ": wgpuCreateInstance returned NULL");
            ad = requestAdapter(inst);
            this.adapterInfo = readAdapterInfo(ad);
            Set<String> adapterFeatures = readFeatures(ad);
            MemorySegment adapterLimits = arena.allocate(LIMITS_BYTES, 8).fill((byte) 0);
            int st = (int) api.fn("wgpuAdapterGetLimits").invoke(ad, adapterLimits);
            if (st != api.intConstant("WGPUStatus_Success")) throw new BackendUnavailableException(backend.name() + ": wgpuAdapterGetLimits failed");
            List<String> wanted = new ArrayList<>();
            if (options.requestFeatures())
                for (String f : List.of("shader-f16", "subgroups")) if (adapterFeatures.contains(f)) wanted.add(f);
            dev = requestDevice(inst, ad, adapterLimits, wanted);
            this.instance = inst;
            this.adapter = ad;
            this.device = dev;
            this.queue = (MemorySegment) api.fn("wgpuDeviceGetQueue").invoke(dev);
            this.limits = readLimits(dev);
            Set<String> enabled = new TreeSet<>();
            for (String f : wanted) if ((int) api.fn("wgpuDeviceHasFeature").invoke(dev, featureId(f)) != 0) enabled.add(f);
            this.features = Collections.unmodifiableSet(enabled);
        } catch (RullamaException e) {
            releaseQuietly(dev, ad, inst);
            throw e;
        } catch (Throwable t) {
            releaseQuietly(dev, ad, inst);
            throw new BackendUnavailableException(backend.name() + ": native call failed while opening the device: " + t, t);
        }
        LOG.info("{}: {} ({}, {}), features {}", backend.name(), adapterInfo.displayName(), adapterInfo.type(), adapterInfo.api(), features);
    }

    static WebGpuDevice open(WebGpuBackend backend, WebGpuBackend.Loaded loaded, DeviceOptions options) throws RullamaException {
        return new WebGpuDevice(backend, loaded, options);
    }

    private void releaseQuietly(MemorySegment dev, MemorySegment ad, MemorySegment inst) {
        try {
            if (!dev.equals(MemorySegment.NULL)) api.fn("wgpuDeviceRelease").invoke(dev);
            if (!ad.equals(MemorySegment.NULL)) api.fn("wgpuAdapterRelease").invoke(ad);
            if (!inst.equals(MemorySegment.NULL)) api.fn("wgpuInstanceRelease").invoke(inst);
        } catch (Throwable t) {
            LOG.debug("release after failed open: {}", t.toString());
        }
        Callbacks.unregister(eventsUserdata);
        arena.close();
    }

    // ---------------------------------------------------------------- opening

    private MemorySegment callbackInfo(Arena a, String struct, MemorySegment callback, MemorySegment userdata) {
        MemorySegment info = api.alloc(a, struct);
        api.setInt(info, struct, "mode", api.intConstant("WGPUCallbackMode_AllowProcessEvents"));
        api.setPointer(info, struct, "callback", callback);
        api.setPointer(info, struct, "userdata1", userdata);
        return info;
    }

    private MemorySegment requestAdapter(MemorySegment inst) throws Throwable {
        String s = "WGPURequestAdapterOptions";
        MemorySegment opts = api.alloc(arena, s);
        api.setInt(opts, s, "featureLevel", api.intConstant("WGPUFeatureLevel_Core"));
        api.setInt(opts, s, "powerPreference", api.intConstant("WGPUPowerPreference_HighPerformance"));
        api.setInt(opts, s, "backendType", api.intConstant("WGPUBackendType_Vulkan"));
        Callbacks.Pending p = new Callbacks.Pending();
        MemorySegment info = callbackInfo(arena, "WGPURequestAdapterCallbackInfo", cb.requestAdapter, Callbacks.register(p));
        MemorySegment unusedFuture = (MemorySegment) api.fn("wgpuInstanceRequestAdapter").invoke((SegmentAllocator) arena, inst, opts, info);
        await(p, inst, MemorySegment.NULL, "an adapter");
        if (p.status != api.intConstant("WGPURequestAdapterStatus_Success") || p.handle.equals(MemorySegment.NULL))
            throw new BackendUnavailableException(backend.name() + " found no usable GPU adapter"
                    + (p.message.isBlank() ? "" : " (" + p.message.strip() + ")") + ". " + VulkanEnvironment.prepare()
                    + ". On a machine without a GPU run scripts/setup.sh and set RULLAMA_VULKAN_DRIVER=lavapipe");
        return p.handle;
    }

    private MemorySegment requestDevice(MemorySegment inst, MemorySegment ad, MemorySegment adapterLimits, List<String> wanted) throws Throwable {
        String s = "WGPUDeviceDescriptor";
        MemorySegment desc = api.alloc(arena, s);
        api.setString(desc, s, "label", "rullama", arena);
        MemorySegment feats = arena.allocate(ValueLayout.JAVA_INT, Math.max(1, wanted.size()));
        for (int i = 0; i < wanted.size(); i++) feats.setAtIndex(ValueLayout.JAVA_INT, i, featureId(wanted.get(i)));
        api.setLong(desc, s, "requiredFeatureCount", wanted.size());
        api.setPointer(desc, s, "requiredFeatures", feats);
        api.setPointer(desc, s, "requiredLimits", adapterLimits);
        api.setString(desc, s, "defaultQueue.label", "rullama queue", arena);
        api.setInt(desc, s, "deviceLostCallbackInfo.mode", api.intConstant("WGPUCallbackMode_AllowProcessEvents"));
        api.setPointer(desc, s, "deviceLostCallbackInfo.callback", cb.deviceLost);
        api.setPointer(desc, s, "deviceLostCallbackInfo.userdata1", eventsUserdata);
        api.setPointer(desc, s, "uncapturedErrorCallbackInfo.callback", cb.uncapturedError);
        api.setPointer(desc, s, "uncapturedErrorCallbackInfo.userdata1", eventsUserdata);
        Callbacks.Pending p = new Callbacks.Pending();
        MemorySegment info = callbackInfo(arena, "WGPURequestDeviceCallbackInfo", cb.requestDevice, Callbacks.register(p));
        MemorySegment unusedFuture = (MemorySegment) api.fn("wgpuAdapterRequestDevice").invoke((SegmentAllocator) arena, ad, desc, info);
        await(p, inst, MemorySegment.NULL, "a device");
        if (p.status != api.intConstant("WGPURequestDeviceStatus_Success") || p.handle.equals(MemorySegment.NULL))
            throw new BackendUnavailableException(backend.name() + " could not create a device: " + p.message.strip());
        return p.handle;
    }

    private AdapterInfo readAdapterInfo(MemorySegment ad) throws Throwable {
        String s = "WGPUAdapterInfo";
        MemorySegment info = api.alloc(arena, s);
        int st = (int) api.fn("wgpuAdapterGetInfo").invoke(ad, info);
        if (st != api.intConstant("WGPUStatus_Success")) throw new BackendUnavailableException(backend.name() + ": wgpuAdapterGetInfo failed");
        AdapterInfo result = new AdapterInfo(api.getString(info, s, "vendor"), api.getString(info, s, "architecture"),
                api.getString(info, s, "device"), api.getString(info, s, "description"),
                api.constantName("WGPUBackendType_", api.getInt(info, s, "backendType")),
                api.constantName("WGPUAdapterType_", api.getInt(info, s, "adapterType")),
                api.getInt(info, s, "vendorID"), api.getInt(info, s, "deviceID"),
                api.hasField(s, "subgroupMinSize") ? api.getInt(info, s, "subgroupMinSize") : 0,
                api.hasField(s, "subgroupMaxSize") ? api.getInt(info, s, "subgroupMaxSize") : 0);
        api.fn("wgpuAdapterInfoFreeMembers").invoke(info);
        return result;
    }

    private Set<String> readFeatures(MemorySegment ad) throws Throwable {
        String s = "WGPUSupportedFeatures";
        MemorySegment sf = api.alloc(arena, s);
        api.fn("wgpuAdapterGetFeatures").invoke(ad, sf);
        long count = api.getLong(sf, s, "featureCount");
        MemorySegment list = api.getPointer(sf, s, "features");
        Set<String> out = new TreeSet<>();
        if (count > 0 && count < 4096 && !list.equals(MemorySegment.NULL)) {
            MemorySegment ids = list.reinterpret(count * 4);
            for (long i = 0; i < count; i++) out.add(featureName(ids.getAtIndex(ValueLayout.JAVA_INT, i)));
        }
        api.fn("wgpuSupportedFeaturesFreeMembers").invoke(sf);
        return out;
    }

    /** WebGPU spelling of a feature: {@code WGPUFeatureName_ShaderF16} → {@code shader-f16}. */
    private String featureName(int id) {
        String c = api.constantName("WGPUFeatureName_", id);
        return c.startsWith("0x") ? c : c.replaceAll("(?<=[a-z0-9])(?=[A-Z])", "-").toLowerCase(java.util.Locale.ROOT);
    }

    private int featureId(String name) {
        for (Map.Entry<String, Long> e : api.header().constants().entrySet())
            if (e.getKey().startsWith("WGPUFeatureName_") && featureName(e.getValue().intValue()).equals(name)) return e.getValue().intValue();
        throw new IllegalArgumentException("unknown feature " + name);
    }

    private DeviceLimits readLimits(MemorySegment dev) throws Throwable {
        String s = "WGPULimits";
        MemorySegment l = arena.allocate(LIMITS_BYTES, 8).fill((byte) 0);
        int st = (int) api.fn("wgpuDeviceGetLimits").invoke(dev, l);
        if (st != api.intConstant("WGPUStatus_Success")) throw new BackendUnavailableException(backend.name() + ": wgpuDeviceGetLimits failed");
        return new DeviceLimits(api.getLong(l, s, "maxStorageBufferBindingSize"), api.getLong(l, s, "maxBufferSize"),
                api.getInt(l, s, "maxStorageBuffersPerShaderStage"), api.getInt(l, s, "maxComputeWorkgroupStorageSize"),
                api.getInt(l, s, "maxComputeInvocationsPerWorkgroup"), api.getInt(l, s, "maxComputeWorkgroupSizeX"),
                api.getInt(l, s, "maxComputeWorkgroupsPerDimension"), api.getInt(l, s, "minStorageBufferOffsetAlignment"),
                api.getLong(l, s, "maxUniformBufferBindingSize"));
    }

    // ---------------------------------------------------------------- events and errors

    /** Pumps the implementation's events until {@code p} completes, the device is lost, or the timeout passes. */
    private void await(Callbacks.Pending p, MemorySegment inst, MemorySegment dev, String what) throws GpuException {
        long start = System.nanoTime();
        int spins = 0;
        while (!p.done) {
            try {
                backend.pumpEvents(api, inst, dev, spins > 64);
            } catch (Throwable t) {
                throw new GpuException(backend.name() + ": event pump failed while waiting for " + what + ": " + t);
            }
            if (p.done) break;
            if (lostMessage != null) throw new GpuException(backend.name() + ": device lost while waiting for " + what + ": " + lostMessage);
            if (System.nanoTime() - start > WAIT_TIMEOUT_NANOS)
                throw new GpuException(backend.name() + ": timed out after " + TimeUnit.NANOSECONDS.toSeconds(WAIT_TIMEOUT_NANOS)
                        + " s waiting for " + what + " (set -Drullama.webgpu.timeoutSeconds to wait longer)");
            if (++spins > 256) LockSupport.parkNanos(50_000);
            else Thread.onSpinWait();
        }
    }

    private void await(Callbacks.Pending p, String what) throws GpuException {
        await(p, instance, device, what);
    }

    @Override
    public void uncapturedError(int type, String message) {
        errors.add(api.constantName("WGPUErrorType_", type) + " error: " + message.strip());
    }

    @Override
    public void lost(int reason, String message) {
        if (!closed) lostMessage = api.constantName("WGPUDeviceLostReason_", reason) + ": " + message.strip();
    }

    @Override
    public void checkErrors() throws RullamaException {
        ensureOpen();
        try {
            backend.pumpEvents(api, instance, device, false);
        } catch (Throwable t) {
            throw new GpuException(backend.name() + ": event pump failed: " + t);
        }
        throwPendingErrors();
    }

    private void throwPendingErrors() throws GpuException {
        if (lostMessage != null) throw new GpuException(backend.name() + ": device lost: " + lostMessage);
        if (errors.isEmpty()) return;
        List<String> all = new ArrayList<>();
        for (String e; (e = errors.poll()) != null; ) all.add(e);
        throw new GpuException(backend.name() + ": " + String.join("; ", all));
    }

    private void ensureOpen() throws GpuException {
        if (closed) throw new GpuException(backend.name() + ": device is closed");
        if (lostMessage != null) throw new GpuException(backend.name() + ": device lost: " + lostMessage);
    }

    private void pushScope(String filter) throws Throwable {
        api.fn("wgpuDevicePushErrorScope").invoke(device, api.intConstant("WGPUErrorFilter_" + filter));
    }

    /** Pops an error scope; returns the captured error message, or null when there was none. */
    private String popScope() throws Throwable {
        Callbacks.Pending p = new Callbacks.Pending();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = callbackInfo(a, "WGPUPopErrorScopeCallbackInfo", cb.popErrorScope, Callbacks.register(p));
            MemorySegment unusedFuture = (MemorySegment) api.fn("wgpuDevicePopErrorScope").invoke((SegmentAllocator) a, device, info);
        }
        await(p, "an error scope");
        if (p.status != api.intConstant("WGPUPopErrorScopeStatus_Success")) return "error scope failed: " + p.message;
        return p.type == api.intConstant("WGPUErrorType_NoError") ? null : p.message;
    }

    // ---------------------------------------------------------------- Device API

    @Override
    public String backendName() { return backend.name(); }

    @Override
    public AdapterInfo adapter() { return adapterInfo; }

    @Override
    public DeviceLimits limits() { return limits; }

    @Override
    public Set<String> features() { return features; }

    @Override
    public Tensor createTensor(String label, DType dtype, long elements) throws RullamaException {
        if (elements <= 0) throw new IllegalArgumentException(label + ": a tensor needs at least one element, not " + elements);
        long bytes = Math.multiplyExact(elements, (long) dtype.bytes());
        return new WebGpuTensor(this, createBuffer(label, align4(bytes), usageStorage | usageCopySrc | usageCopyDst | usageUniform),
                align4(bytes), label, dtype, elements, 0, true);
    }

    private MemorySegment createBuffer(String label, long size, long usage) throws RullamaException {
        ensureOpen();
        if (size > limits.maxBufferSize())
            throw new OutOfDeviceMemoryException(label + " needs " + size + " bytes, more than this adapter's largest buffer ("
                    + limits.maxBufferSize() + " bytes); use a smaller context or quantization");
        try (Arena a = Arena.ofConfined()) {
            String s = "WGPUBufferDescriptor";
            MemorySegment desc = api.alloc(a, s);
            api.setString(desc, s, "label", label, a);
            api.setLong(desc, s, "usage", usage);
            api.setLong(desc, s, "size", size);
            pushScope("OutOfMemory");
            MemorySegment buf = (MemorySegment) api.fn("wgpuDeviceCreateBuffer").invoke(device, desc);
            String oom = popScope();
            if (oom != null || buf.equals(MemorySegment.NULL)) {
                if (!buf.equals(MemorySegment.NULL)) api.fn("wgpuBufferRelease").invoke(buf);
                throw new OutOfDeviceMemoryException("GPU out of memory allocating " + label + " (" + size + " bytes)"
                        + (oom == null ? "" : ": " + oom.strip()) + "; use a smaller context or quantization");
            }
            return buf;
        } catch (RullamaException e) {
            throw e;
        } catch (Throwable t) {
            throw new GpuException(backend.name() + ": wgpuDeviceCreateBuffer failed: " + t);
        }
    }

    void registerBuffer(WebGpuTensor t) {
        if (!buffers.add(t)) return;
        allocatedBytes += t.bufferSize();
        peakAllocatedBytes = Math.max(peakAllocatedBytes, allocatedBytes);
    }

    void releaseBuffer(WebGpuTensor t) {
        if (!buffers.remove(t) || closed) return;
        allocatedBytes -= t.bufferSize();
        destroy(t.buffer());
    }

    @Override
    public long allocatedBytes() { return allocatedBytes; }

    @Override
    public long peakAllocatedBytes() { return peakAllocatedBytes; }

    private void destroy(MemorySegment buffer) {
        try {
            api.fn("wgpuBufferDestroy").invoke(buffer);
            api.fn("wgpuBufferRelease").invoke(buffer);
        } catch (Throwable t) {
            LOG.debug("buffer release: {}", t.toString());
        }
    }

    private WebGpuTensor own(Tensor t, String role) {
        if (!(t instanceof WebGpuTensor w) || w.device() != this)
            throw new IllegalArgumentException(role + " " + t.label() + " belongs to another device or backend");
        if (w.isReleased()) throw new IllegalArgumentException(role + " " + t.label() + " was closed");
        return w;
    }

    @Override
    public void write(Tensor dst, long byteOffset, MemorySegment src) throws RullamaException {
        ensureOpen();
        WebGpuTensor t = own(dst, "write target");
        long n = src.byteSize();
        if (byteOffset < 0 || byteOffset % 4 != 0 || n % 4 != 0)
            throw new IllegalArgumentException("write into " + t.label() + ": offset " + byteOffset + " and length " + n + " must be multiples of 4");
        if (byteOffset + n > t.byteSize())
            throw new IllegalArgumentException("write into " + t.label() + ": " + n + " bytes at " + byteOffset + " exceed its " + t.byteSize() + " bytes");
        MethodHandle writeBuffer = api.fn("wgpuQueueWriteBuffer");
        final long chunk = 64L << 20; // copy heap data through native memory in bounded pieces
        try {
            if (src.isNative()) {
                writeBuffer.invoke(queue, t.buffer(), t.byteOffset() + byteOffset, src, n);
            } else {
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment tmp = a.allocate(Math.min(n, chunk), 8);
                    for (long done = 0; done < n; done += chunk) {
                        long len = Math.min(chunk, n - done);
                        MemorySegment.copy(src, done, tmp, 0, len);
                        writeBuffer.invoke(queue, t.buffer(), t.byteOffset() + byteOffset + done, tmp, len);
                    }
                }
            }
        } catch (Throwable e) {
            throw new GpuException(backend.name() + ": wgpuQueueWriteBuffer failed: " + e);
        }
    }

    @Override
    public byte[] read(Tensor src) throws RullamaException {
        ensureOpen();
        WebGpuTensor t = own(src, "read source");
        if (t.byteSize() > Integer.MAX_VALUE - 16) throw new IllegalArgumentException(t.label() + " is too large to read into one array");
        long start = t.byteOffset() & ~3L;
        long end = align4(t.byteOffset() + t.byteSize());
        long len = end - start;
        WebGpuTensor stage = staging(len);
        try {
            MemorySegment enc = (MemorySegment) api.fn("wgpuDeviceCreateCommandEncoder").invoke(device, MemorySegment.NULL);
            api.fn("wgpuCommandEncoderCopyBufferToBuffer").invoke(enc, t.buffer(), start, stage.buffer(), 0L, len);
            submitEncoder(enc);
            Callbacks.Pending p = new Callbacks.Pending();
            try (Arena a = Arena.ofConfined()) {
                MemorySegment info = callbackInfo(a, "WGPUBufferMapCallbackInfo", cb.bufferMap, Callbacks.register(p));
                MemorySegment unusedFuture = (MemorySegment) api.fn("wgpuBufferMapAsync")
                        .invoke((SegmentAllocator) a, stage.buffer(), api.constant("WGPUMapMode_Read"), 0L, len, info);
            }
            await(p, "readback of " + t.label());
            if (p.status != api.intConstant("WGPUMapAsyncStatus_Success")) {
                throwPendingErrors();
                throw new GpuException(backend.name() + ": mapping the readback of " + t.label() + " failed: " + p.message);
            }
            MemorySegment mapped = (MemorySegment) api.fn("wgpuBufferGetConstMappedRange").invoke(stage.buffer(), 0L, len);
            if (mapped.equals(MemorySegment.NULL)) throw new GpuException(backend.name() + ": readback of " + t.label() + " was not mapped");
            byte[] out = mapped.reinterpret(len).asSlice(t.byteOffset() - start, t.byteSize()).toArray(ValueLayout.JAVA_BYTE);
            api.fn("wgpuBufferUnmap").invoke(stage.buffer());
            throwPendingErrors();
            return out;
        } catch (RullamaException e) {
            throw e;
        } catch (Throwable e) {
            throw new GpuException(backend.name() + ": readback of " + t.label() + " failed: " + e);
        }
    }

    private WebGpuTensor staging(long len) throws RullamaException {
        if (staging == null || staging.byteSize() < len) {
            if (staging != null) staging.close();
            long size = Math.max(len, 1 << 16);
            staging = new WebGpuTensor(this, createBuffer("readback staging", size, usageMapRead | usageCopyDst), size,
                    "readback staging", DType.U8, size, 0, true);
        }
        return staging;
    }

    void submitEncoder(MemorySegment encoder) throws Throwable {
        ensureOpen(); // submitting to a lost device aborts the process in wgpu-native
        MemorySegment cmd = (MemorySegment) api.fn("wgpuCommandEncoderFinish").invoke(encoder, MemorySegment.NULL);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment list = a.allocate(ValueLayout.ADDRESS);
            list.set(ValueLayout.ADDRESS, 0, cmd);
            api.fn("wgpuQueueSubmit").invoke(queue, 1L, list);
        }
        api.fn("wgpuCommandBufferRelease").invoke(cmd);
        api.fn("wgpuCommandEncoderRelease").invoke(encoder);
    }

    /** Blocks until the queue has finished all submitted work. */
    void waitIdle() throws RullamaException {
        Callbacks.Pending p = new Callbacks.Pending();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment info = callbackInfo(a, "WGPUQueueWorkDoneCallbackInfo", cb.queueWorkDone, Callbacks.register(p));
            MemorySegment unusedFuture = (MemorySegment) api.fn("wgpuQueueOnSubmittedWorkDone").invoke((SegmentAllocator) a, queue, info);
        } catch (Throwable t) {
            throw new GpuException(backend.name() + ": wgpuQueueOnSubmittedWorkDone failed: " + t);
        }
        await(p, "the queue to finish");
        throwPendingErrors();
    }

    @Override
    public Kernel compile(KernelSpec spec) throws RullamaException {
        ensureOpen();
        WebGpuKernel cached = kernels.get(spec);
        if (cached != null) return cached;
        if (spec.bindings().size() > limits.maxStorageBuffersPerShaderStage())
            throw new IllegalArgumentException(spec.name() + " declares " + spec.bindings().size() + " bindings; this adapter allows "
                    + limits.maxStorageBuffersPerShaderStage() + " storage buffers per stage");
        MemorySegment module = MemorySegment.NULL, bgl = MemorySegment.NULL, layout = MemorySegment.NULL, pipeline = MemorySegment.NULL;
        try (Arena a = Arena.ofConfined()) {
            pushScope("Validation");
            String src = "WGPUShaderSourceWGSL";
            MemorySegment wgsl = api.alloc(a, src);
            api.setInt(wgsl, src, "chain.sType", api.intConstant("WGPUSType_ShaderSourceWGSL"));
            api.setString(wgsl, src, "code", spec.wgsl(), a);
            String sm = "WGPUShaderModuleDescriptor";
            MemorySegment smDesc = api.alloc(a, sm);
            api.setPointer(smDesc, sm, "nextInChain", wgsl);
            api.setString(smDesc, sm, "label", spec.name(), a);
            module = (MemorySegment) api.fn("wgpuDeviceCreateShaderModule").invoke(device, smDesc);

            String e = "WGPUBindGroupLayoutEntry";
            MemorySegment entries = api.allocArray(a, e, spec.bindings().size());
            long stride = api.struct(e).byteSize();
            for (KernelSpec.Binding b : spec.bindings()) {
                MemorySegment entry = entries.asSlice(b.index() * stride, stride);
                api.setInt(entry, e, "binding", b.index());
                api.setLong(entry, e, "visibility", api.constant("WGPUShaderStage_Compute"));
                api.setInt(entry, e, "buffer.type", api.intConstant(switch (b.access()) {
                    case READ -> "WGPUBufferBindingType_ReadOnlyStorage";
                    case READ_WRITE -> "WGPUBufferBindingType_Storage";
                    case UNIFORM -> "WGPUBufferBindingType_Uniform";
                }));
            }
            String bd = "WGPUBindGroupLayoutDescriptor";
            MemorySegment bglDesc = api.alloc(a, bd);
            api.setString(bglDesc, bd, "label", spec.name(), a);
            api.setLong(bglDesc, bd, "entryCount", spec.bindings().size());
            api.setPointer(bglDesc, bd, "entries", entries);
            bgl = (MemorySegment) api.fn("wgpuDeviceCreateBindGroupLayout").invoke(device, bglDesc);

            String pl = "WGPUPipelineLayoutDescriptor";
            MemorySegment plDesc = api.alloc(a, pl);
            MemorySegment layouts = a.allocate(ValueLayout.ADDRESS);
            layouts.set(ValueLayout.ADDRESS, 0, bgl);
            api.setString(plDesc, pl, "label", spec.name(), a);
            api.setLong(plDesc, pl, "bindGroupLayoutCount", 1);
            api.setPointer(plDesc, pl, "bindGroupLayouts", layouts);
            layout = (MemorySegment) api.fn("wgpuDeviceCreatePipelineLayout").invoke(device, plDesc);

            String ce = "WGPUConstantEntry";
            List<Map.Entry<String, Double>> consts = new ArrayList<>(new java.util.TreeMap<>(spec.constants()).entrySet());
            MemorySegment constants = api.allocArray(a, ce, consts.size());
            long cstride = api.struct(ce).byteSize();
            for (int i = 0; i < consts.size(); i++) {
                MemorySegment c = constants.asSlice(i * cstride, cstride);
                api.setString(c, ce, "key", consts.get(i).getKey(), a);
                api.setDouble(c, ce, "value", consts.get(i).getValue());
            }
            String cp = "WGPUComputePipelineDescriptor";
            MemorySegment cpDesc = api.alloc(a, cp);
            api.setString(cpDesc, cp, "label", spec.name(), a);
            api.setPointer(cpDesc, cp, "layout", layout);
            api.setPointer(cpDesc, cp, "compute.module", module);
            api.setString(cpDesc, cp, "compute.entryPoint", spec.entryPoint(), a);
            api.setLong(cpDesc, cp, "compute.constantCount", consts.size());
            api.setPointer(cpDesc, cp, "compute.constants", consts.isEmpty() ? MemorySegment.NULL : constants);
            pipeline = (MemorySegment) api.fn("wgpuDeviceCreateComputePipeline").invoke(device, cpDesc);

            String error = popScope();
            if (error != null || pipeline.equals(MemorySegment.NULL)) {
                releaseKernelObjects(pipeline, layout, bgl, module);
                String msg = error == null ? "the implementation returned no pipeline" : error;
                Matcher m = LINE_COLUMN.matcher(msg);
                if (m.find()) throw new ShaderCompileException(spec.name(), Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), msg);
                throw new ShaderCompileException(spec.name(), 0, 0, msg);
            }
        } catch (RullamaException e) {
            throw e;
        } catch (Throwable t) {
            releaseKernelObjects(pipeline, layout, bgl, module);
            throw new GpuException(backend.name() + ": compiling " + spec.name() + " failed: " + t);
        }
        WebGpuKernel k = new WebGpuKernel(spec, module, bgl, layout, pipeline);
        kernels.put(spec, k);
        return k;
    }

    private void releaseKernelObjects(MemorySegment pipeline, MemorySegment layout, MemorySegment bgl, MemorySegment module) {
        try {
            if (!pipeline.equals(MemorySegment.NULL)) api.fn("wgpuComputePipelineRelease").invoke(pipeline);
            if (!layout.equals(MemorySegment.NULL)) api.fn("wgpuPipelineLayoutRelease").invoke(layout);
            if (!bgl.equals(MemorySegment.NULL)) api.fn("wgpuBindGroupLayoutRelease").invoke(bgl);
            if (!module.equals(MemorySegment.NULL)) api.fn("wgpuShaderModuleRelease").invoke(module);
        } catch (Throwable t) {
            LOG.debug("kernel release: {}", t.toString());
        }
    }

    @Override
    public BoundKernel bind(Kernel kernel, Tensor... resources) throws RullamaException {
        ensureOpen();
        if (!(kernel instanceof WebGpuKernel k) || kernels.get(k.spec()) != k)
            throw new IllegalArgumentException("kernel " + kernel.spec().name() + " was not compiled on this device");
        List<KernelSpec.Binding> decl = k.spec().bindings();
        if (resources.length != decl.size())
            throw new IllegalArgumentException(k.spec().name() + " declares " + decl.size() + " bindings, got " + resources.length);
        List<WebGpuTensor> ts = new ArrayList<>();
        for (int i = 0; i < resources.length; i++) {
            KernelSpec.Binding b = decl.get(i);
            WebGpuTensor t = own(resources[i], k.spec().name() + " binding " + b.name());
            long max = b.access() == Access.UNIFORM ? limits.maxUniformBufferBindingSize() : limits.maxStorageBufferBindingSize();
            if (t.byteSize() > max)
                throw new IllegalArgumentException(k.spec().name() + " binding " + b.name() + ": " + t.label() + " is " + t.byteSize()
                        + " bytes, over this adapter's binding limit of " + max + " bytes; bind windows of it");
            if (t.byteOffset() % limits.minStorageBufferOffsetAlignment() != 0)
                throw new IllegalArgumentException(k.spec().name() + " binding " + b.name() + ": window " + t.label() + " starts at byte "
                        + t.byteOffset() + ", not a multiple of " + limits.minStorageBufferOffsetAlignment());
            if (t.byteSize() % 4 != 0)
                throw new IllegalArgumentException(k.spec().name() + " binding " + b.name() + ": " + t.label() + " is " + t.byteSize() + " bytes, not a multiple of 4");
            ts.add(t);
        }
        for (int i = 0; i < ts.size(); i++)
            for (int j = i + 1; j < ts.size(); j++)
                if ((decl.get(i).access() == Access.READ_WRITE || decl.get(j).access() == Access.READ_WRITE) && overlap(ts.get(i), ts.get(j)))
                    throw new IllegalArgumentException(k.spec().name() + ": bindings " + decl.get(i).name() + " and " + decl.get(j).name()
                            + " overlap in one buffer and one of them is written; WebGPU forbids writable aliasing");
        try (Arena a = Arena.ofConfined()) {
            String e = "WGPUBindGroupEntry";
            long stride = api.struct(e).byteSize();
            MemorySegment entries = api.allocArray(a, e, ts.size());
            for (int i = 0; i < ts.size(); i++) {
                MemorySegment entry = entries.asSlice(i * stride, stride);
                api.setInt(entry, e, "binding", i);
                api.setPointer(entry, e, "buffer", ts.get(i).buffer());
                api.setLong(entry, e, "offset", ts.get(i).byteOffset());
                api.setLong(entry, e, "size", ts.get(i).byteSize());
            }
            String d = "WGPUBindGroupDescriptor";
            MemorySegment desc = api.alloc(a, d);
            api.setString(desc, d, "label", k.spec().name(), a);
            api.setPointer(desc, d, "layout", k.bindGroupLayout());
            api.setLong(desc, d, "entryCount", ts.size());
            api.setPointer(desc, d, "entries", entries);
            pushScope("Validation");
            MemorySegment group = (MemorySegment) api.fn("wgpuDeviceCreateBindGroup").invoke(device, desc);
            String error = popScope();
            if (error != null) {
                if (!group.equals(MemorySegment.NULL)) api.fn("wgpuBindGroupRelease").invoke(group);
                throw new GpuException(backend.name() + ": binding " + k.spec().name() + " failed: " + error.strip());
            }
            return new WebGpuBoundKernel(this, k, List.copyOf(ts), group);
        } catch (RullamaException e) {
            throw e;
        } catch (Throwable t) {
            throw new GpuException(backend.name() + ": wgpuDeviceCreateBindGroup failed: " + t);
        }
    }

    private static boolean overlap(WebGpuTensor a, WebGpuTensor b) {
        return a.buffer().equals(b.buffer()) && a.byteOffset() < b.byteOffset() + b.byteSize() && b.byteOffset() < a.byteOffset() + a.byteSize();
    }

    /** Destroys the native device while it is still in use, as a driver reset would (see {@link WebGpuBackend#loseDevice}). */
    void loseForTesting() throws Throwable {
        api.fn("wgpuDeviceDestroy").invoke(device);
        backend.pumpEvents(api, instance, device, false);
        // wgpu-native reports no loss for a destroyed device, and aborts the process if work is then submitted
        // to it: record the loss ourselves so that every later call stops in ensureOpen().
        if (lostMessage == null) lostMessage = "Destroyed: the device was destroyed (WebGpuBackend.loseDevice)";
    }

    void releaseBindGroup(MemorySegment group) {
        if (closed) return;
        try {
            api.fn("wgpuBindGroupRelease").invoke(group);
        } catch (Throwable t) {
            LOG.debug("bind group release: {}", t.toString());
        }
    }

    @Override
    public CommandBatch newBatch() {
        return new WebGpuBatch(this);
    }

    WebGpuApi api() { return api; }

    MemorySegment handle() { return device; }

    DeviceOptions options() { return options; }

    long usageCopy() { return usageCopySrc | usageCopyDst; }

    /** Validates the pieces of a dispatch the GPU would otherwise fault on or silently clamp. */
    void checkDispatch(WebGpuBoundKernel bound, int x, int y, int z) throws GpuException {
        ensureOpen();
        if (bound.device() != this || bound.isReleased())
            throw new IllegalArgumentException("kernel " + bound.kernel().spec().name() + " is bound to another device or was closed");
        int max = limits.maxComputeWorkgroupsPerDimension();
        if (x < 0 || y < 0 || z < 0 || x > max || y > max || z > max)
            throw new IllegalArgumentException(bound.kernel().spec().name() + ": dispatch " + x + "x" + y + "x" + z
                    + " exceeds this adapter's " + max + " workgroups per dimension; fold it into more dimensions");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            for (WebGpuKernel k : kernels.values()) releaseKernelObjects(k.pipeline(), k.pipelineLayout(), k.bindGroupLayout(), k.module());
            kernels.clear();
            for (WebGpuTensor t : new LinkedHashSet<>(buffers)) destroy(t.buffer());
            buffers.clear();
            allocatedBytes = 0;
            api.fn("wgpuQueueRelease").invoke(queue);
            api.fn("wgpuDeviceDestroy").invoke(device);
            backend.pumpEvents(api, instance, MemorySegment.NULL, false);
            api.fn("wgpuDeviceRelease").invoke(device);
            api.fn("wgpuAdapterRelease").invoke(adapter);
            api.fn("wgpuInstanceRelease").invoke(instance);
        } catch (Throwable t) {
            LOG.warn("{}: closing the device: {}", backend.name(), t.toString());
        } finally {
            Callbacks.unregister(eventsUserdata);
            arena.close();
        }
    }

    static long align4(long n) { return (n + 3) & ~3L; }
}
