package dev.rullama.backend.wgpu;

import dev.rullama.api.webgpu.WebGpuBackend;
import dev.rullama.shaders.conformance.WebGpuBindingSmokeSuite;

/** Every function of the wgpu-native binding, called on the real library. */
class WgpuBindingSmokeTest extends WebGpuBindingSmokeSuite {
    @Override
    protected WebGpuBackend freshBackend() { return new WgpuBackend(); }
}
