package dev.rullama.api;

import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * An opened GPU device of one backend. Not thread-safe: one thread drives a device at a time.
 */
public interface Device extends AutoCloseable {
    /** The backend's name, e.g. {@code dawn}. */
    String backendName();

    AdapterInfo adapter();

    DeviceLimits limits();

    /** Enabled features in WebGPU spelling, e.g. {@code shader-f16}, {@code subgroups}. */
    Set<String> features();

    /** Allocates a zero-initialized storage tensor (usable as storage, uniform, copy source and destination). */
    Tensor createTensor(String label, DType dtype, long elements) throws RullamaException;

    /** Copies bytes from host memory into {@code dst} at {@code byteOffset} (a multiple of 4; length a multiple of 4). */
    void write(Tensor dst, long byteOffset, MemorySegment src) throws RullamaException;

    /** Reads the whole tensor back (waits for all submitted work). */
    byte[] read(Tensor src) throws RullamaException;

    /** Compiles (or returns the cached pipeline for) a kernel. */
    Kernel compile(KernelSpec spec) throws RullamaException;

    /** Attaches resources to a kernel, in binding order; sizes, offsets and limits are checked here. */
    BoundKernel bind(Kernel kernel, Tensor... resources) throws RullamaException;

    /** Starts recording a batch of GPU work. */
    CommandBatch newBatch();

    /** Raises any GPU error reported since the last check (validation, out of memory, device lost). */
    void checkErrors() throws RullamaException;

    /**
     * Bytes of GPU buffers this device holds now (every live tensor's buffer, plus the device's own staging buffers),
     * or -1 when the backend does not track them. Counts what rullama asked for, not the driver's own overhead.
     */
    default long allocatedBytes() { return -1; }

    /** The most {@link #allocatedBytes()} has been since the device was opened, or -1 when not tracked. */
    default long peakAllocatedBytes() { return -1; }

    @Override
    void close();

    // ---- conveniences ----

    default void write(Tensor dst, float[] values) throws RullamaException {
        write(dst, 0, MemorySegment.ofArray(values));
    }

    default void write(Tensor dst, int[] values) throws RullamaException {
        write(dst, 0, MemorySegment.ofArray(values));
    }

    default float[] readFloats(Tensor src) throws RullamaException {
        return MemorySegment.ofArray(read(src)).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED);
    }

    default int[] readInts(Tensor src) throws RullamaException {
        return MemorySegment.ofArray(read(src)).toArray(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED);
    }

    /** A tensor filled from {@code values}. */
    default Tensor upload(String label, float[] values) throws RullamaException {
        Tensor t = createTensor(label, DType.F32, values.length);
        write(t, values);
        return t;
    }

    /** A tensor filled from {@code values}. */
    default Tensor upload(String label, int[] values) throws RullamaException {
        Tensor t = createTensor(label, DType.U32, values.length);
        write(t, values);
        return t;
    }
}
