package dev.rullama.api;

import java.util.List;

/**
 * A kernel with its resources attached (a bind group). Build it once and dispatch it many times: decode reuses
 * the same bound kernels every token and only rewrites small uniform tensors.
 */
public interface BoundKernel extends AutoCloseable {
    Kernel kernel();

    List<Tensor> resources();

    @Override
    void close();
}
