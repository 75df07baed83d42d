package dev.rullama.shaders.quant;

/**
 * A run of whole rows of a weight matrix that one storage binding covers: rows {@code [firstRow, firstRow+rows)},
 * stored at {@code byteOffset} (a multiple of the device's storage offset alignment) for {@code byteSize} bytes.
 * The binding is {@link #words} 32-bit words, rounding a final partial word up (the tensor holding the weights is
 * allocated in whole words, so that word exists).
 */
public record RowWindow(long firstRow, long rows, long byteOffset, long byteSize) {
    /** 32-bit words to bind. */
    public long words() { return (byteSize + 3) / 4; }
}
