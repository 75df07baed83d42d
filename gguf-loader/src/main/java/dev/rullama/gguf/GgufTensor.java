package dev.rullama.gguf;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.quant.QuantBlock;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor of a GGUF file: its info (name, type, shape, offset) and a zero-copy view of its bytes in the mapped file.
 * The shape is ggml's {@code ne}: {@code ne[0]} is the innermost, contiguous dimension, so a matrix {@code [ne0, ne1]}
 * is {@code ne1} rows of {@code ne0} elements, each row {@code ne0 / blockElements} whole blocks.
 *
 * <p>{@link #data()} is valid while the owning {@link GgufFile} is open; after it closes, access throws
 * {@link IllegalStateException}.
 */
public final class GgufTensor {
    private final Path file;
    private final MemorySegment fileSegment;
    private final String name;
    private final GgmlType type;
    private final long[] ne;
    private final long elements;
    private final long byteSize;
    private final long offset;
    private final long fileOffset;
    private final long infoOffset;
    private final Modality modality;

    GgufTensor(Path file, MemorySegment fileSegment, String name, GgmlType type, long[] ne, long elements,
               long byteSize, long offset, long fileOffset, long infoOffset) {
        this.file = file;
        this.fileSegment = fileSegment;
        this.name = name;
        this.type = type;
        this.ne = ne;
        this.elements = elements;
        this.byteSize = byteSize;
        this.offset = offset;
        this.fileOffset = fileOffset;
        this.infoOffset = infoOffset;
        this.modality = Modality.of(name);
    }

    public String name() { return name; }

    public GgmlType type() { return type; }

    /** Number of dimensions as stored (0..4). */
    public int nDims() { return ne.length; }

    /** A copy of {@code ne[0..nDims)}. */
    public long[] shape() { return ne.clone(); }

    /** {@code ne[i]}, or 1 for {@code i >= nDims()} (ggml's convention). */
    public long dim(int i) { return i < ne.length ? ne[i] : 1; }

    public long elementCount() { return elements; }

    public long byteSize() { return byteSize; }

    /** Offset of the data relative to the start of the tensor data section, as stored in the tensor info. */
    public long offset() { return offset; }

    /** Absolute byte offset of the data in the file. */
    public long fileOffset() { return fileOffset; }

    /** Byte offset of this tensor's info record in the header. */
    public long infoOffset() { return infoOffset; }

    public Modality modality() { return modality; }

    /** Whether the tensor belongs to the text model (not vision, audio or a projector). */
    public boolean isText() { return modality == Modality.TEXT; }

    /** Elements per row ({@code ne[0]}). */
    public long rowLength() { return dim(0); }

    /** Number of rows ({@code ne[1]·ne[2]·ne[3]}); 0 for an empty tensor. */
    public long rowCount() { return ne.length == 0 ? 1 : (ne[0] == 0 ? 0 : elements / ne[0]); }

    /** Bytes per row. */
    public long rowBytes() { return rowLength() / type.blockElements() * type.blockBytes(); }

    /** The tensor's bytes: a read-only slice of the mapped file, no copy. */
    public MemorySegment data() { return fileSegment.asSlice(fileOffset, byteSize); }

    /** This tensor's block decoder; a type rullama cannot decode is a ModelFormatException naming the tensor. */
    public QuantBlock quantBlock() throws ModelFormatException {
        if (!type.isSupported()) {
            throw new ModelFormatException(file, infoOffset, "tensor '" + name + "' has type " + type + " (id " + type.id()
                    + "), which rullama cannot decode; supported types: " + GgmlType.supportedNames());
        }
        return type.quantBlock();
    }

    /** Dequantizes row {@code row} into {@code dst[dstOff .. dstOff + rowLength())}. */
    public void dequantizeRow(long row, float[] dst, int dstOff) throws ModelFormatException {
        Objects.checkIndex(row, rowCount());
        long len = rowLength();
        if (len > Integer.MAX_VALUE) throw new ModelFormatException(file, infoOffset, "tensor '" + name + "' rows of " + len + " elements are too long for a float[]");
        quantBlock().dequantize(fileSegment, fileOffset + row * rowBytes(), dst, dstOff, (int) len);
    }

    /** The whole tensor as floats; for small tensors (norms, biases) and tests. */
    public float[] dequantize() throws ModelFormatException {
        if (elements > Integer.MAX_VALUE - 16) throw new ModelFormatException(file, infoOffset, "tensor '" + name + "' has " + elements + " elements, too many for one float[]");
        float[] out = new float[(int) elements];
        quantBlock().dequantize(fileSegment, fileOffset, out, 0, out.length);
        return out;
    }

    /** {@code [2560, 262144]}. */
    public String shapeString() { return Arrays.toString(ne); }

    @Override
    public String toString() { return name + " " + type + " " + shapeString() + " @" + fileOffset + " (" + byteSize + " bytes)"; }
}
