package dev.rullama.backend.dawn;

import dev.rullama.api.Backend;
import dev.rullama.shaders.quant.QuantKernelsSuite;

/** The quantized matrix kernels' conformance cases on Dawn. */
class DawnQuantKernelsTest extends QuantKernelsSuite {
    @Override
    protected Backend backend() { return new DawnBackend(); }
}
