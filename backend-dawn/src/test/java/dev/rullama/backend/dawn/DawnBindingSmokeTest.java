package dev.rullama.backend.dawn;

import dev.rullama.api.webgpu.WebGpuBackend;
import dev.rullama.shaders.conformance.WebGpuBindingSmokeSuite;

/** Every function of the Dawn binding, called on the real library. */
class DawnBindingSmokeTest extends WebGpuBindingSmokeSuite {
    @Override
    protected WebGpuBackend freshBackend() { return new DawnBackend(); }
}
