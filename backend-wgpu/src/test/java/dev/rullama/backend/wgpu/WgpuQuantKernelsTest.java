package dev.rullama.backend.wgpu;

import dev.rullama.api.Backend;
import dev.rullama.shaders.quant.QuantKernelsSuite;

/** The quantized matrix kernels' conformance cases on wgpu-native. */
class WgpuQuantKernelsTest extends QuantKernelsSuite {
    @Override
    protected Backend backend() { return new WgpuBackend(); }
}
