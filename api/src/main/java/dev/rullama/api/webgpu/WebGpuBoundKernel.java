package dev.rullama.api.webgpu;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.Kernel;
import dev.rullama.api.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** A kernel and its bind group, reusable across batches. */
final class WebGpuBoundKernel implements BoundKernel {
    private final WebGpuDevice device;
    private final WebGpuKernel kernel;
    private final List<WebGpuTensor> resources;
    private final MemorySegment group;
    private boolean released;

    WebGpuBoundKernel(WebGpuDevice device, WebGpuKernel kernel, List<WebGpuTensor> resources, MemorySegment group) {
        this.device = device;
        this.kernel = kernel;
        this.resources = resources;
        this.group = group;
    }

    @Override public Kernel kernel() { return kernel; }
    @Override public List<Tensor> resources() { return List.copyOf(resources); }

    WebGpuDevice device() { return device; }
    WebGpuKernel webGpuKernel() { return kernel; }
    MemorySegment group() { return group; }

    boolean isReleased() {
        if (released) return true;
        for (WebGpuTensor t : resources) if (t.isReleased()) return true;
        return false;
    }

    @Override
    public void close() {
        if (released) return;
        released = true;
        device.releaseBindGroup(group);
    }
}
