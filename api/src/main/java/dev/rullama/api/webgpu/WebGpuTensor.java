package dev.rullama.api.webgpu;

import dev.rullama.api.DType;
import dev.rullama.api.Tensor;

import java.lang.foreign.MemorySegment;

/** A {@link Tensor} over a {@code WGPUBuffer}: the owning tensor of a buffer, or a window into it. */
final class WebGpuTensor implements Tensor {
    private final WebGpuDevice device;
    private final MemorySegment buffer;
    private final long bufferSize;
    private final String label;
    private final DType dtype;
    private final long elements;
    private final long byteOffset;
    private final WebGpuTensor owner; // null for the owning tensor
    private boolean released;

    WebGpuTensor(WebGpuDevice device, MemorySegment buffer, long bufferSize, String label, DType dtype, long elements,
                 long byteOffset, boolean owning) {
        this(device, buffer, bufferSize, label, dtype, elements, byteOffset, (WebGpuTensor) null);
        if (owning) device.registerBuffer(this);
    }

    private WebGpuTensor(WebGpuDevice device, MemorySegment buffer, long bufferSize, String label, DType dtype, long elements,
                         long byteOffset, WebGpuTensor owner) {
        this.device = device;
        this.buffer = buffer;
        this.bufferSize = bufferSize;
        this.label = label;
        this.dtype = dtype;
        this.elements = elements;
        this.byteOffset = byteOffset;
        this.owner = owner;
    }

    @Override public String label() { return label; }
    @Override public DType dtype() { return dtype; }
    @Override public long elements() { return elements; }
    @Override public long byteOffset() { return byteOffset; }

    WebGpuDevice device() { return device; }
    MemorySegment buffer() { return buffer; }

    /** Size of the whole underlying buffer in bytes. */
    long bufferSize() { return bufferSize; }

    boolean isReleased() { return owner != null ? owner.isReleased() : released; }

    @Override
    public Tensor window(long offset, DType type, long count) {
        long bytes = Math.multiplyExact(count, (long) type.bytes());
        if (offset < 0 || count <= 0 || offset + bytes > byteSize())
            throw new IllegalArgumentException("window [" + offset + ", " + (offset + bytes) + ") of " + label + " lies outside its " + byteSize() + " bytes");
        return new WebGpuTensor(device, buffer, bufferSize, label + "[" + offset + "+" + bytes + "]", type, count,
                byteOffset + offset, owner != null ? owner : this);
    }

    @Override
    public void close() {
        if (owner != null || released) return;
        released = true;
        device.releaseBuffer(this);
    }

    @Override
    public String toString() { return label + " (" + dtype + " x " + elements + ")"; }
}
