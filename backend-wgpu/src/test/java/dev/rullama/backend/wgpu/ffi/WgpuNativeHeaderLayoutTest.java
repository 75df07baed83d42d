package dev.rullama.backend.wgpu.ffi;

import dev.rullama.api.webgpu.WebGpuHeader;
import dev.rullama.shaders.conformance.GeneratedBindingsSuite;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wgpu-native bindings against the C compiler and the pinned webgpu.h + wgpu.h. */
class WgpuNativeHeaderLayoutTest extends GeneratedBindingsSuite {
    @Override protected WebGpuHeader header() { return WgpuNativeHeader.INSTANCE; }
    @Override protected String module() { return "backend-wgpu"; }
    @Override protected String mainHeader() { return "backend-wgpu/src/main/headers/wgpu.h"; }

    @Test
    void theWgpuExtensionsAreBound() {
        assertTrue(WgpuNativeHeader.INSTANCE.functions().containsKey("wgpuDevicePoll"));
        assertTrue(WgpuNativeHeader.INSTANCE.constants().containsKey("WGPUSType_NativeLimits"));
    }
}
