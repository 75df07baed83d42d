package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.gguf.quant.QuantBlock;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A weight matrix left where it is, in the mapped GGUF file: {@code rows} rows of {@code cols} elements in the
 * tensor's own block format, decoded a row at a time by gguf-loader's reference dequantizer. For a ggml matrix
 * {@code [in, out]} a row is one output's input weights, so {@code y[r] = row(r) · x}. A window of rows of a bigger
 * tensor (one expert of an expert stack, the gate half of a fused gate/up) is a view, not a copy.
 */
public final class WeightMatrix {
    /** Longest row and most rows a matrix may have here (rows are decoded into float[]). */
    public static final long MAX_DIM = Integer.MAX_VALUE - 16;

    private final GgufTensor tensor;
    private final MemorySegment data;
    private final QuantBlock block;
    private final long firstRow;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    private WeightMatrix(GgufTensor tensor, MemorySegment data, QuantBlock block, long firstRow, int rows) {
        this.tensor = tensor;
        this.data = data;
        this.block = block;
        this.firstRow = firstRow;
        this.rows = rows;
        this.cols = (int) tensor.rowLength();
        this.rowBytes = tensor.rowBytes();
    }

    /**
     * All rows of {@code tensor} ({@code ne1·ne2·ne3} of them). {@link GemmaTensorLayout} has already rejected tensors
     * whose rows or row count do not fit an int, naming the file.
     */
    public static WeightMatrix of(GgufTensor tensor) throws ModelFormatException {
        if (tensor.rowLength() > MAX_DIM || tensor.rowCount() > MAX_DIM) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' " + tensor.shapeString() + " is too large for the CPU reference");
        }
        return new WeightMatrix(tensor, tensor.data(), tensor.quantBlock(), 0, (int) tensor.rowCount());
    }

    /** Rows {@code [first, first + count)} of this matrix, as a matrix of its own. */
    public WeightMatrix rows(long first, int count) {
        Objects.checkFromIndexSize(first, count, rows);
        return new WeightMatrix(tensor, data, block, firstRow + first, count);
    }

    public int rows() { return rows; }

    public int cols() { return cols; }

    /** The tensor this matrix reads from. */
    public GgufTensor tensor() { return tensor; }

    public String name() { return tensor.name(); }

    /** Decodes row {@code r} into {@code dst[0 .. cols)}. */
    public void dequantizeRow(int r, float[] dst) {
        Objects.checkIndex(r, rows);
        block.dequantize(data, (firstRow + r) * rowBytes, dst, 0, cols);
    }

    /** Row {@code r} as a new array. */
    public float[] row(int r) {
        float[] out = new float[cols];
        dequantizeRow(r, out);
        return out;
    }

    @Override
    public String toString() {
        return tensor.name() + " " + tensor.type() + " rows " + firstRow + ".." + (firstRow + rows) + " × " + cols;
    }
}
