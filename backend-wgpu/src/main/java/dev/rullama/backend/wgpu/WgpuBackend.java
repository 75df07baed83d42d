package dev.rullama.backend.wgpu;

import dev.rullama.api.webgpu.NativeLibraryLocator;
import dev.rullama.api.webgpu.WebGpuApi;
import dev.rullama.api.webgpu.WebGpuBackend;
import dev.rullama.backend.wgpu.ffi.WgpuNativeHeader;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * wgpu-native (the Rust wgpu behind Firefox's WebGPU). The library comes from {@code -Drullama.wgpu.library},
 * {@code $RULLAMA_WGPU_LIBRARY}, the setup cache (the PyPI {@code wgpu} wheel's {@code libwgpu_native-release.so})
 * or the system ({@code libwgpu_native.so}). wgpu-native completes buffer maps and queue callbacks inside its own
 * {@code wgpuDevicePoll}, so the pump polls the device (blocking once the caller has spun a while), then
 * processes instance events.
 */
public final class WgpuBackend extends WebGpuBackend {
    static final NativeLibraryLocator LOCATOR = new NativeLibraryLocator("rullama.wgpu.library", "RULLAMA_WGPU_LIBRARY",
            "wgpu/libwgpu_native.so", List.of("libwgpu_native.so"));

    public WgpuBackend() {
        super("wgpu", 10, WgpuNativeHeader.INSTANCE, LOCATOR);
    }

    @Override
    protected void pumpEvents(WebGpuApi api, MemorySegment instance, MemorySegment device, boolean block) throws Throwable {
        if (!device.equals(MemorySegment.NULL)) {
            int unusedQueueEmpty = (int) api.fn("wgpuDevicePoll").invokeExact(device, block ? 1 : 0, MemorySegment.NULL);
        }
        api.fn("wgpuInstanceProcessEvents").invokeExact(instance);
    }
}
