package dev.rullama.shaders.quant;

import dev.rullama.gguf.GgmlType;

import java.util.Map;

/**
 * How the quantized matrix kernels ({@code matvec_quant.wgsl}, {@code matmul_quant.wgsl}) walk one ggml type: a
 * row is a sequence of blocks of {@link #blockElements} elements in {@link #blockBytes} bytes, each cut into
 * {@link #units} units of 8 weights that one thread decodes at a time ({@code matvec_blocks.wgsl}). The plain
 * types (F32, F16, BF16) are read in pseudo-blocks of 8 elements and may end a row with a partial one
 * ({@link #tail}). The record's values become the kernels' override constants, so WGSL and Java agree by
 * construction.
 */
public record UnitLayout(GgmlType type, int blockElements, int blockBytes, int units, boolean tail) {
    /** Weights decoded per unit. */
    public static final int UNIT_ELEMENTS = 8;

    /**
     * @throws IllegalArgumentException for a type the kernels do not decode
     */
    public static UnitLayout of(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16 -> new UnitLayout(type, UNIT_ELEMENTS, UNIT_ELEMENTS * type.blockBytes(), 1, true);
            case Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K ->
                    new UnitLayout(type, type.blockElements(), type.blockBytes(), type.blockElements() / UNIT_ELEMENTS, false);
            default -> throw new IllegalArgumentException("no quantized matrix kernel for ggml type " + type);
        };
    }

    /** Whether {@link #of} accepts {@code type}. */
    public static boolean supports(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Bytes of one row of {@code cols} elements, exactly as GGUF stores it.
     *
     * @throws IllegalArgumentException when a quantized row is not a whole number of blocks
     */
    public long rowBytes(long cols) {
        if (cols <= 0) throw new IllegalArgumentException("a row needs at least one column, not " + cols);
        return tail ? Math.multiplyExact(cols, (long) type.blockBytes()) : type.byteSize(cols);
    }

    /** Units in one row of {@code cols} elements (the last one partial for the plain types). */
    public long unitsPerRow(long cols) {
        return (cols + blockElements - 1) / blockElements * units;
    }

    /** The override constants that select this layout in the kernels. */
    public Map<String, Double> constants() {
        return Map.of("QTYPE", (double) type.id(), "BLOCK_ELEMS", (double) blockElements, "BLOCK_BYTES", (double) blockBytes,
                "UNITS", (double) units, "TAIL", tail ? 1.0 : 0.0);
    }
}
