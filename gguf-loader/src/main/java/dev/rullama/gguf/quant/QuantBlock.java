package dev.rullama.gguf.quant;

import dev.rullama.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One ggml tensor type's block layout and its reference dequantizer. A tensor row of {@code ne0} elements is
 * {@code ne0 / blockElements()} consecutive blocks of {@code blockBytes()} bytes; blocks never straddle rows.
 *
 * <p>The decoders follow ggml's {@code dequantize_row_*} (ggml-quants.c) operation by operation in float32, so they
 * are bit-exact with ggml and with the PyPI {@code gguf.quants} module (checked against its vectors in the tests).
 * They do not check their input: a NaN or infinite scale propagates into the output exactly as ggml does it. To reject
 * such weights up front, {@link #findNonFiniteScale} (through {@code GgufFile.checkTensor}) scans the scale fields.
 *
 * <p>Implementations are stateless singletons and thread-safe.
 */
public interface QuantBlock {

    /** The ggml type this layout decodes. */
    GgmlType type();

    /** Elements per block (1 for the plain types, 32, 64, 128 or 256). */
    default int blockElements() { return type().blockElements(); }

    /** Bytes per block. */
    default int blockBytes() { return type().blockBytes(); }

    /** Decodes the one block at byte {@code offset} of {@code src} into {@code dst[dstOff .. dstOff+blockElements())}. */
    void dequantizeBlock(MemorySegment src, long offset, float[] dst, int dstOff);

    /**
     * Decodes {@code n} elements ({@code n / blockElements()} whole blocks) starting at byte {@code srcOffset}.
     *
     * @throws IllegalArgumentException when {@code n} is not a multiple of the block size
     * @throws IndexOutOfBoundsException when the destination or the source is too short
     */
    default void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOff, int n) {
        int be = blockElements();
        int bb = blockBytes();
        if (n % be != 0) throw new IllegalArgumentException(type() + ": " + n + " elements is not a whole number of " + be + "-element blocks");
        Objects.checkFromIndexSize(dstOff, n, dst.length);
        long off = srcOffset;
        for (int i = 0; i < n; i += be, off += bb) dequantizeBlock(src, off, dst, dstOff + i);
    }

    /**
     * Scans {@code blocks} consecutive blocks from byte {@code offset} for a scale that is NaN or infinite (for the
     * plain float types: any value). Returns the absolute byte offset of the first such field, or -1 when all are
     * finite. Types whose scales cannot encode a non-finite value (MXFP4's E8M0, NVFP4's UE4M3, the integer types)
     * always return -1.
     */
    long findNonFiniteScale(MemorySegment src, long offset, long blocks);

    /** Shared scan over binary16 scale fields at fixed offsets inside each block. */
    static long findNonFiniteF16(MemorySegment src, long offset, long blocks, int blockBytes, int... fieldOffsets) {
        long off = offset;
        for (long b = 0; b < blocks; b++, off += blockBytes) {
            for (int f : fieldOffsets) {
                if (LittleEndian.f16NonFinite(src, off + f)) return off + f;
            }
        }
        return -1;
    }
}
