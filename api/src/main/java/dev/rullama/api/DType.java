package dev.rullama.api;

/** Element type of a {@link Tensor}. Quantized weights are stored as {@link #U8} bytes (or U32 words) and decoded in WGSL. */
public enum DType {
    F32(4), F16(2), I32(4), U32(4), U8(1);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }
}
