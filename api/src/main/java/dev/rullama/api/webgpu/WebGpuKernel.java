package dev.rullama.api.webgpu;

import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;

import java.lang.foreign.MemorySegment;

/** A compiled pipeline with its explicit bind-group and pipeline layouts (owned and released by the device). */
record WebGpuKernel(KernelSpec spec, MemorySegment module, MemorySegment bindGroupLayout, MemorySegment pipelineLayout,
                    MemorySegment pipeline) implements Kernel {
}
