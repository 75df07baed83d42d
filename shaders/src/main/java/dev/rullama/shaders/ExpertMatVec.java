package dev.rullama.shaders;

import dev.rullama.api.Access;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.quant.RowWindow;
import dev.rullama.shaders.quant.UnitLayout;
import dev.rullama.shaders.quant.WindowedMatVec;

import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The id-indexed quantized matrix-vector product of a mixture-of-experts layer (ggml's {@code mul_mat_id},
 * {@code matvec_quant_id.wgsl}): each slot multiplies by the expert its router chose, read from a GPU tensor of ids,
 * so only the chosen experts' rows are read. The weights are the GGUF's whole 3-D expert tensor
 * {@code [cols, expertRows, experts]} uploaded as raw bytes (as {@link QuantMatVec} does for a matrix), in one
 * storage binding ({@link #fits}).
 *
 * <p>Two modes ({@link Mode}): {@link Mode#PER_SLOT} gives one output row per slot from its token's x (an expert's
 * gate or up projection); {@link Mode#WEIGHTED_SUM} gives one output row per token, the router-weighted sum of its
 * k slots' products with each slot's own x (the down projection and the expert mix in one dispatch). Types: those of
 * {@link UnitLayout}.
 *
 * <p>{@link #reference} decodes with gguf-loader's dequantizers and sums in double, like {@link QuantMatVec#reference}.
 */
public final class ExpertMatVec {
    public static final String FILE = "matvec_quant_id";
    private static final int PARAM_WORDS = 12;

    private ExpertMatVec() {}

    /** Which slots feed an output row, and which row of x each slot reads. */
    public enum Mode {
        /** {@code y[s] = W_{ids[s]} · x[s / k]}: an output per slot, x per token (gate, up). */
        PER_SLOT,
        /** {@code y[t] = Σ_j weight[t·k+j] · W_{ids[t·k+j]} · x[t·k+j]}: an output per token, x per slot (down). */
        WEIGHTED_SUM
    }

    /**
     * One product over an expert stack of {@code experts} experts of {@code expertRows} rows each ({@code cols}
     * elements of {@code type} per row): rows {@code [firstRow, firstRow + rows)} of each chosen expert, {@code k}
     * slots per token.
     */
    public record Shape(GgmlType type, int experts, long expertRows, long firstRow, long rows, long cols, int k, Mode mode) {
        public Shape {
            if (experts <= 0 || k <= 0) throw new IllegalArgumentException("experts " + experts + " and slots per token " + k + " must be positive");
            if (rows <= 0 || firstRow < 0 || firstRow + rows > expertRows)
                throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + rows) + ") are not inside an expert of " + expertRows + " rows");
            if (cols <= 0 || cols % 4 != 0)
                throw new IllegalArgumentException("the id-indexed product reads x in rows of vec4: cols " + cols + " must be a positive multiple of 4");
            UnitLayout.of(type).rowBytes(cols); // a quantized row must be whole blocks
        }

        /** Bytes of one row. */
        public long rowBytes() { return UnitLayout.of(type).rowBytes(cols); }

        /** Bytes of the whole stack. */
        public long stackBytes() { return Math.multiplyExact(Math.multiplyExact(experts, expertRows), rowBytes()); }

        /** Output rows for {@code tokens} tokens. */
        public int outputs(int tokens) { return mode == Mode.WEIGHTED_SUM ? tokens : Math.multiplyExact(tokens, k); }
    }

    /** Whether the whole stack fits one storage binding: at most min(maxStorageBufferBindingSize, {@link QuantMatVec#MAX_WINDOW_BYTES}). */
    public static boolean fits(Shape shape, DeviceLimits limits) {
        long cap = Math.min(limits.maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES) & ~3L;
        return (shape.stackBytes() + 3 & ~3L) <= cap;
    }

    /** The kernel with the default thread shape: as {@link QuantMatVec#defaultThreadsPerRow} for the work of one output row. */
    public static KernelSpec spec(Shape shape) {
        int tpr = defaultThreadsPerRow(shape);
        return spec(shape.type(), tpr, Math.max(QuantMatVec.DEFAULT_WG, tpr), shape.mode());
    }

    /** Threads per output row: the quantized matvec's rule for a row of {@code cols} (×k with {@link Mode#WEIGHTED_SUM}). */
    public static int defaultThreadsPerRow(Shape shape) {
        return QuantMatVec.defaultThreadsPerRow(shape.type(), shape.mode() == Mode.WEIGHTED_SUM ? shape.cols() * shape.k() : shape.cols());
    }

    /** The kernel: {@code threadsPerRow} threads per output row (a power of two dividing {@code workgroupSize}). */
    public static KernelSpec spec(GgmlType type, int threadsPerRow, int workgroupSize, Mode mode) {
        if (Integer.bitCount(threadsPerRow) != 1 || workgroupSize % threadsPerRow != 0)
            throw new IllegalArgumentException("threads per row " + threadsPerRow + " must be a power of two dividing the workgroup size " + workgroupSize);
        Map<String, Double> c = new HashMap<>(UnitLayout.of(type).constants());
        c.put("WG", (double) workgroupSize);
        c.put("TPR", (double) threadsPerRow);
        c.put("SUM", mode == Mode.WEIGHTED_SUM ? 1.0 : 0.0);
        String name = "matvec_quant_id_" + type.name().toLowerCase(Locale.ROOT) + (mode == Mode.WEIGHTED_SUM ? "_sum" : "");
        return new KernelSpec(name, WgslSource.load(FILE), "main", c,
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "W", Access.READ),
                        new KernelSpec.Binding(2, "x", Access.READ), new KernelSpec.Binding(3, "ids", Access.READ),
                        new KernelSpec.Binding(4, "weight", Access.READ), new KernelSpec.Binding(5, "y", Access.READ_WRITE)));
    }

    /** The uniform block for {@code tokens} tokens. */
    public static int[] params(Shape s, int tokens) {
        return new int[]{u32(s.rows(), "rows"), u32(s.cols(), "cols"), u32(s.rowBytes(), "row bytes"), u32(s.expertRows(), "expert rows"),
                u32(s.firstRow(), "first row"), s.experts(), s.outputs(tokens), s.k(), s.mode() == Mode.WEIGHTED_SUM ? 1 : s.k(), 0, 0, 0};
    }

    /** The dispatch: one workgroup per {@code workgroupSize / threadsPerRow} rows of each output. */
    public static Grid grid(Shape s, int tokens, int threadsPerRow, int workgroupSize, DeviceLimits limits) {
        long perGroup = workgroupSize / threadsPerRow;
        return Grid.fold((s.rows() + perGroup - 1) / perGroup * s.outputs(tokens), limits);
    }

    /**
     * Binds the product once for up to {@code maxTokens} tokens; {@link WindowedMatVec#setTokens} sets the token
     * count of the following submits (the default is {@code maxTokens}). {@code w}: the stack's raw bytes (at least
     * {@link Shape#stackBytes()}); {@code x}: [tokens][cols] ({@link Mode#PER_SLOT}) or [tokens·k][cols] f32;
     * {@code ids}: u32 [tokens·k]; {@code weights}: f32 [tokens·k] (only read by {@link Mode#WEIGHTED_SUM}; any
     * tensor otherwise); {@code y}: [outputs][rows] f32.
     *
     * @throws IllegalArgumentException when the stack does not {@link #fits fit} one binding or {@code w} is too small
     */
    public static WindowedMatVec bind(Device device, Shape shape, Tensor w, Tensor x, Tensor ids, Tensor weights, Tensor y, int maxTokens)
            throws RullamaException {
        if (!fits(shape, device.limits()))
            throw new IllegalArgumentException("an expert stack of " + shape.stackBytes() + " bytes does not fit one storage binding ("
                    + Math.min(device.limits().maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES) + " bytes)");
        if (w.byteSize() < shape.stackBytes())
            throw new IllegalArgumentException(w.label() + " holds " + w.byteSize() + " bytes; the expert stack needs " + shape.stackBytes());
        int tpr = defaultThreadsPerRow(shape);
        int wg = Math.max(QuantMatVec.DEFAULT_WG, tpr);
        Kernel kernel = device.compile(spec(shape.type(), tpr, wg, shape.mode()));
        RowWindow whole = new RowWindow(0, shape.experts() * shape.expertRows(), 0, shape.stackBytes());
        Tensor params = device.createTensor(kernel.spec().name() + ".params", DType.U32, PARAM_WORDS);
        try {
            device.write(params, params(shape, maxTokens));
            Tensor weightsBinding = w.dtype() == DType.U32 && w.byteSize() == whole.words() * 4 ? w : w.window(0, DType.U32, whole.words());
            BoundKernel bound = device.bind(kernel, params, weightsBinding, x, ids, weights, y);
            return new WindowedMatVec(List.of(new WindowedMatVec.Dispatch(whole, bound, grid(shape, maxTokens, tpr, wg, device.limits()))),
                    List.of(params), params, (dev, win, slot, tokens) -> {
                        dev.write(slot, params(shape, tokens));
                        return grid(shape, tokens, tpr, wg, dev.limits());
                    });
        } catch (RullamaException | RuntimeException e) {
            params.close();
            throw e;
        }
    }

    private static int u32(long v, String what) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException(what + " " + v + " does not fit the kernel's u32");
        return (int) v;
    }

    /**
     * The reference: {@code y} [outputs][rows] for {@code tokens} tokens, each slot's product by
     * {@link QuantMatVec#reference} on its expert's rows (an id outside the stack adds 0), the weighted sum in double.
     */
    public static float[] reference(Shape s, MemorySegment w, int[] ids, float[] weights, float[] x, int tokens) {
        int rows = Math.toIntExact(s.rows()), cols = Math.toIntExact(s.cols()), k = s.k();
        boolean sum = s.mode() == Mode.WEIGHTED_SUM;
        int outputs = s.outputs(tokens);
        float[] y = new float[outputs * rows];
        for (int o = 0; o < outputs; o++) {
            double[] acc = new double[rows];
            for (int j = 0; j < (sum ? k : 1); j++) {
                int slot = sum ? o * k + j : o;
                int e = ids[slot];
                if (e < 0 || e >= s.experts()) continue;
                int xRow = sum ? slot : slot / k;
                float[] xs = java.util.Arrays.copyOfRange(x, xRow * cols, (xRow + 1) * cols);
                long at = ((long) e * s.expertRows() + s.firstRow()) * s.rowBytes();
                float[] part = QuantMatVec.reference(s.type(), w.asSlice(at, rows * s.rowBytes()), rows, cols, xs);
                double c = sum ? weights[slot] : 1.0;
                for (int r = 0; r < rows; r++) acc[r] += c * part[r];
            }
            for (int r = 0; r < rows; r++) y[o * rows + r] = (float) acc[r];
        }
        return y;
    }
}
