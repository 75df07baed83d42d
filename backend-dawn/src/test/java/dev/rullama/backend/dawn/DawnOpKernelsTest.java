package dev.rullama.backend.dawn;

import dev.rullama.api.Backend;
import dev.rullama.shaders.ops.OpKernelsSuite;

/** The Gemma op kernels (norms, RoPE, attention, KV cache, embedding, sampling, router) on Dawn. */
class DawnOpKernelsTest extends OpKernelsSuite {
    @Override
    protected Backend backend() { return new DawnBackend(); }
}
