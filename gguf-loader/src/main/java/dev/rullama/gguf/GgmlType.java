package dev.rullama.gguf;

import dev.rullama.gguf.quant.Mxfp4Block;
import dev.rullama.gguf.quant.Nvfp4Block;
import dev.rullama.gguf.quant.PlainBlock;
import dev.rullama.gguf.quant.Q2KBlock;
import dev.rullama.gguf.quant.Q3KBlock;
import dev.rullama.gguf.quant.Q4KBlock;
import dev.rullama.gguf.quant.Q4_0Block;
import dev.rullama.gguf.quant.Q4_1Block;
import dev.rullama.gguf.quant.Q5KBlock;
import dev.rullama.gguf.quant.Q5_0Block;
import dev.rullama.gguf.quant.Q5_1Block;
import dev.rullama.gguf.quant.Q6KBlock;
import dev.rullama.gguf.quant.Q8KBlock;
import dev.rullama.gguf.quant.Q8_0Block;
import dev.rullama.gguf.quant.QuantBlock;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A ggml tensor type: its id in GGUF tensor infos ({@code ggml.h}), elements per block and bytes per block
 * ({@code ggml-common.h}). Every id ggml currently assigns is listed, so a file using, say, IQ2_XXS still opens and
 * its sizes are right; only {@link #isSupported() supported} types can be decoded. Ids ggml never assigned or has
 * retired (4, 5, 31–33, 36–38) are unknown and rejected when a file is opened.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    /** An activation-only type of ggml; block_q8_1 is {f16 d; f16 s; i8 qs[32]}. */
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, true),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, false),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, false),
    I8(24, 1, 1, true),
    I16(25, 1, 2, true),
    I32(26, 1, 4, true),
    I64(27, 1, 8, true),
    F64(28, 1, 8, true),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, true),
    NVFP4(40, 64, 36, true),
    Q1_0(41, 128, 18, false),
    Q2_0(42, 64, 18, false);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) BY_ID[t.id] = t;
    }

    private final int id;
    private final int blockElements;
    private final int blockBytes;
    private final boolean supported;

    GgmlType(int id, int blockElements, int blockBytes, boolean supported) {
        this.id = id;
        this.blockElements = blockElements;
        this.blockBytes = blockBytes;
        this.supported = supported;
    }

    /** The type id stored in a GGUF tensor info. */
    public int id() { return id; }

    /** Elements per block; a row length ({@code ne0}) must be a multiple of it. */
    public int blockElements() { return blockElements; }

    /** Bytes per block. */
    public int blockBytes() { return blockBytes; }

    /** Whether rullama can decode this type (has a {@link QuantBlock} for it). */
    public boolean isSupported() { return supported; }

    /** Whether the type packs several elements per block with scales (everything but the plain float/int types). */
    public boolean isQuantized() { return blockElements > 1; }

    /** Bits per weight, e.g. 4.5 for Q4_K. */
    public double bitsPerWeight() { return blockBytes * 8.0 / blockElements; }

    /**
     * Bytes taken by {@code elements} elements; {@code elements} must be a multiple of the block size.
     *
     * @throws ArithmeticException on overflow
     */
    public long byteSize(long elements) {
        if (elements % blockElements != 0) throw new IllegalArgumentException(elements + " elements is not a whole number of " + name() + " blocks");
        return Math.multiplyExact(elements / blockElements, (long) blockBytes);
    }

    /** The type with this id, if ggml defines one. */
    public static Optional<GgmlType> fromId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.ofNullable(BY_ID[(int) id]) : Optional.empty();
    }

    /** Names of the decodable types, for error messages: "F32, F16, BF16, Q4_0, ...". */
    public static String supportedNames() {
        return Arrays.stream(values()).filter(GgmlType::isSupported).map(Enum::name).collect(Collectors.joining(", "));
    }

    /**
     * The block layout and reference decoder of this type.
     *
     * @throws UnsupportedOperationException for a type that is not {@link #isSupported() supported}; callers that
     *     hold a tensor should go through {@code GgufTensor.quantBlock()}, which turns that into a ModelFormatException
     */
    public QuantBlock quantBlock() {
        return switch (this) {
            case F32 -> PlainBlock.F32;
            case F16 -> PlainBlock.F16;
            case BF16 -> PlainBlock.BF16;
            case F64 -> PlainBlock.F64;
            case I8 -> PlainBlock.I8;
            case I16 -> PlainBlock.I16;
            case I32 -> PlainBlock.I32;
            case I64 -> PlainBlock.I64;
            case Q4_0 -> Q4_0Block.INSTANCE;
            case Q4_1 -> Q4_1Block.INSTANCE;
            case Q5_0 -> Q5_0Block.INSTANCE;
            case Q5_1 -> Q5_1Block.INSTANCE;
            case Q8_0 -> Q8_0Block.INSTANCE;
            case Q2_K -> Q2KBlock.INSTANCE;
            case Q3_K -> Q3KBlock.INSTANCE;
            case Q4_K -> Q4KBlock.INSTANCE;
            case Q5_K -> Q5KBlock.INSTANCE;
            case Q6_K -> Q6KBlock.INSTANCE;
            case Q8_K -> Q8KBlock.INSTANCE;
            case MXFP4 -> Mxfp4Block.INSTANCE;
            case NVFP4 -> Nvfp4Block.INSTANCE;
            default -> throw new UnsupportedOperationException(
                    "ggml type " + name() + " (id " + id + ") cannot be decoded by rullama; supported: " + supportedNames());
        };
    }
}
