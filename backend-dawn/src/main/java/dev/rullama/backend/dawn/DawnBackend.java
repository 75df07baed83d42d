package dev.rullama.backend.dawn;

import dev.rullama.api.webgpu.NativeLibraryLocator;
import dev.rullama.api.webgpu.WebGpuApi;
import dev.rullama.api.webgpu.WebGpuBackend;
import dev.rullama.backend.dawn.ffi.DawnWebGpuHeader;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Google's Dawn. The library comes from {@code -Drullama.dawn.library}, {@code $RULLAMA_DAWN_LIBRARY}, the setup
 * cache (npm {@code bun-webgpu-linux-x64}'s {@code libwebgpu_wrapper.so}) or the system ({@code libwebgpu_dawn.so}).
 * Events are delivered by polling {@code wgpuInstanceProcessEvents}; every callback is registered in
 * {@code AllowProcessEvents} mode, so callbacks run on the polling thread.
 */
public final class DawnBackend extends WebGpuBackend {
    static final NativeLibraryLocator LOCATOR = new NativeLibraryLocator("rullama.dawn.library", "RULLAMA_DAWN_LIBRARY",
            "dawn/libwebgpu_wrapper.so", List.of("libwebgpu_dawn.so", "libwebgpu_dawn.so.0", "libwebgpu_wrapper.so"));

    public DawnBackend() {
        super("dawn", 20, DawnWebGpuHeader.INSTANCE, LOCATOR);
    }

    @Override
    protected void pumpEvents(WebGpuApi api, MemorySegment instance, MemorySegment device, boolean block) throws Throwable {
        api.fn("wgpuInstanceProcessEvents").invokeExact(instance);
    }
}
