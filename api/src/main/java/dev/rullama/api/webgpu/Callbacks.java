package dev.rullama.api.webgpu;

import dev.rullama.api.BackendUnavailableException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Upcall stubs for the WebGPU callbacks rullama uses, one set per bound library, living as long as the JVM
 * (device-lost can fire during release, after any Java caller is gone). Each native callback carries, in
 * {@code userdata1}, the id of a Java {@link Pending} or {@link DeviceEvents} target; nothing may escape an upcall,
 * since an exception there would kill the JVM.
 */
final class Callbacks {
    /** Result slot of one asynchronous operation. */
    static final class Pending {
        volatile boolean done;
        volatile int status;
        volatile int type;
        volatile MemorySegment handle = MemorySegment.NULL;
        volatile String message = "";
    }

    /** Receiver of device-wide events (uncaptured errors, device loss). */
    interface DeviceEvents {
        void uncapturedError(int type, String message);

        void lost(int reason, String message);
    }

    private static final Map<Long, Object> TARGETS = new ConcurrentHashMap<>();
    private static final AtomicLong IDS = new AtomicLong(1);

    final MemorySegment requestAdapter, requestDevice, bufferMap, queueWorkDone, popErrorScope, uncapturedError, deviceLost;

    Callbacks(WebGpuHeader header) throws BackendUnavailableException {
        requestAdapter = stub(header, "WGPURequestAdapterCallback", "onRequest");
        requestDevice = stub(header, "WGPURequestDeviceCallback", "onRequest");
        bufferMap = stub(header, "WGPUBufferMapCallback", "onStatus");
        queueWorkDone = stub(header, "WGPUQueueWorkDoneCallback", "onStatus");
        popErrorScope = stub(header, "WGPUPopErrorScopeCallback", "onPopErrorScope");
        uncapturedError = stub(header, "WGPUUncapturedErrorCallback", "onUncapturedError");
        deviceLost = stub(header, "WGPUDeviceLostCallback", "onDeviceLost");
    }

    private static MemorySegment stub(WebGpuHeader header, String callback, String method) throws BackendUnavailableException {
        FunctionDescriptor fd = header.callbacks().get(callback);
        if (fd == null) throw new BackendUnavailableException(callback + " is not in the bindings generated from " + header.headerFiles());
        MethodType type = fd.toMethodType();
        MethodHandle target;
        try {
            target = MethodHandles.lookup().findStatic(Callbacks.class, method, type);
        } catch (ReflectiveOperationException e) {
            throw new BackendUnavailableException(callback + " in " + header.headerFiles() + " has signature " + type
                    + ", which rullama's " + method + " does not handle", e);
        }
        return Linker.nativeLinker().upcallStub(target, fd, Arena.global());
    }

    /** Registers a target and returns the userdata pointer that names it. */
    static MemorySegment register(Object target) {
        long id = IDS.getAndIncrement();
        TARGETS.put(id, target);
        return MemorySegment.ofAddress(id);
    }

    static void unregister(MemorySegment userdata) {
        TARGETS.remove(userdata.address());
    }

    private static Object target(MemorySegment userdata) {
        return TARGETS.get(userdata.address());
    }

    private static void complete(MemorySegment userdata, int status, int type, MemorySegment handle, MemorySegment message) {
        if (target(userdata) instanceof Pending p) {
            p.status = status;
            p.type = type;
            p.handle = handle;
            p.message = WebGpuApi.readStringView(message);
            p.done = true;
            unregister(userdata);
        }
    }

    // ---- upcall targets: signatures follow webgpu.h; never throw ----

    static void onRequest(int status, MemorySegment handle, MemorySegment message, MemorySegment ud1, MemorySegment ud2) {
        try {
            complete(ud1, status, 0, handle, message);
        } catch (Throwable ignored) {
            // an exception escaping an upcall would terminate the JVM
        }
    }

    static void onStatus(int status, MemorySegment message, MemorySegment ud1, MemorySegment ud2) {
        try {
            complete(ud1, status, 0, MemorySegment.NULL, message);
        } catch (Throwable ignored) {
            // see onRequest
        }
    }

    static void onPopErrorScope(int status, int type, MemorySegment message, MemorySegment ud1, MemorySegment ud2) {
        try {
            complete(ud1, status, type, MemorySegment.NULL, message);
        } catch (Throwable ignored) {
            // see onRequest
        }
    }

    static void onUncapturedError(MemorySegment device, int type, MemorySegment message, MemorySegment ud1, MemorySegment ud2) {
        try {
            if (target(ud1) instanceof DeviceEvents d) d.uncapturedError(type, WebGpuApi.readStringView(message));
        } catch (Throwable ignored) {
            // see onRequest
        }
    }

    static void onDeviceLost(MemorySegment device, int reason, MemorySegment message, MemorySegment ud1, MemorySegment ud2) {
        try {
            if (target(ud1) instanceof DeviceEvents d) d.lost(reason, WebGpuApi.readStringView(message));
        } catch (Throwable ignored) {
            // see onRequest
        }
    }
}
