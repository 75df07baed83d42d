package dev.rullama.backend.wgpu;

import dev.rullama.api.Backend;
import dev.rullama.shaders.ops.OpKernelsSuite;

/** The Gemma op kernels (norms, RoPE, attention, KV cache, embedding, sampling, router) on wgpu-native. */
class WgpuOpKernelsTest extends OpKernelsSuite {
    @Override
    protected Backend backend() { return new WgpuBackend(); }
}
