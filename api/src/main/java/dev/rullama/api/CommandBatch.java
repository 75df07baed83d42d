package dev.rullama.api;

/**
 * Records many dispatches and copies into one command buffer and submits them at once. Nothing runs until
 * {@link #submit()}; writes made with {@link Device#write} before the submit are visible to it.
 */
public interface CommandBatch extends AutoCloseable {
    /** Records a dispatch of {@code x*y*z} workgroups. Counts above the device limit are rejected here, not by the GPU. */
    CommandBatch dispatch(BoundKernel kernel, int x, int y, int z);

    /** Records a buffer-to-buffer copy of {@code src} into {@code dst} (same byte size). */
    CommandBatch copy(Tensor src, Tensor dst);

    /** Records zero-filling {@code dst}. */
    CommandBatch clear(Tensor dst);

    /** Number of dispatches recorded so far. */
    int dispatchCount();

    /** Submits the recorded work; the batch cannot be reused. */
    void submit() throws RullamaException;

    /** Submits and blocks until the GPU has finished it; GPU errors raised by the work are thrown here. */
    void submitAndWait() throws RullamaException;

    /** Discards an unsubmitted batch. */
    @Override
    void close();
}
