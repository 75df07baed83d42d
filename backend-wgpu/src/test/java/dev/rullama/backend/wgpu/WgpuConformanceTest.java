package dev.rullama.backend.wgpu;

import dev.rullama.api.Backend;
import dev.rullama.shaders.conformance.KernelConformanceSuite;

/** The shared kernel conformance suite on wgpu-native. */
class WgpuConformanceTest extends KernelConformanceSuite {
    @Override
    protected Backend backend() { return new WgpuBackend(); }
}
