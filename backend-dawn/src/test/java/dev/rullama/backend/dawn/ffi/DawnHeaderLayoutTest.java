package dev.rullama.backend.dawn.ffi;

import dev.rullama.api.webgpu.WebGpuHeader;
import dev.rullama.shaders.conformance.GeneratedBindingsSuite;

/** The Dawn bindings against the C compiler and the pinned Dawn webgpu.h. */
class DawnHeaderLayoutTest extends GeneratedBindingsSuite {
    @Override protected WebGpuHeader header() { return DawnWebGpuHeader.INSTANCE; }
    @Override protected String module() { return "backend-dawn"; }
    @Override protected String mainHeader() { return "backend-dawn/src/main/headers/dawn/webgpu.h"; }
}
