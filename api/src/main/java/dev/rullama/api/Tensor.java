package dev.rullama.api;

/**
 * A typed region of a GPU buffer: a whole buffer, or a window into one. Windows let a tensor larger than the
 * adapter's storage-binding limit (128 MiB on lavapipe) be bound piece by piece. Tensors belong to the
 * {@link Device} that created them and die with it (or with {@link #close()} on the owning, non-window tensor).
 */
public interface Tensor extends AutoCloseable {
    String label();

    DType dtype();

    /** Number of elements. */
    long elements();

    /** Size in bytes ({@code elements * dtype.bytes}). */
    default long byteSize() { return elements() * dtype().bytes(); }

    /** Byte offset of this tensor inside its buffer (0 unless it is a window). */
    long byteOffset();

    /**
     * A window of {@code elements} elements of type {@code dtype} starting {@code byteOffset} bytes into this
     * tensor. The offset must respect the device's {@code minStorageBufferOffsetAlignment} if the window is bound.
     */
    Tensor window(long byteOffset, DType dtype, long elements);

    /** Frees the buffer (no-op for windows). */
    @Override
    void close();
}
