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
import dev.rullama.gguf.quant.QuantBlock;
import dev.rullama.shaders.quant.RowWindow;
import dev.rullama.shaders.quant.UnitLayout;
import dev.rullama.shaders.quant.WindowedMatVec;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Matrix products over weights that stay quantized on the GPU exactly as the GGUF bytes: {@code matvec_quant.wgsl}
 * for decode ({@code y[r] = Σ_c W[r,c]·x[c]}) and {@code matmul_quant.wgsl} for prefill
 * ({@code Y[t][r] = Σ_c W[r,c]·X[t][c]}), both decoding the weights on the fly with {@code matvec_blocks.wgsl}.
 * Types: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, MXFP4, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K ({@link UnitLayout}).
 *
 * <p>Upload: the tensor's bytes as they are in the file into a {@link DType#U32} tensor of
 * {@code ceil(bytes / 4)} words; no repacking. A weight larger than one storage binding is bound as several
 * {@link RowWindow row windows} ({@link #plan}); {@link #bind} does all of it and returns the bound kernels for
 * reuse every token.
 *
 * <p>The {@link #reference references} decode with gguf-loader's dequantizers (bit-exact with ggml) and sum in
 * double, rounding once.
 */
public final class QuantMatVec {
    public static final String FILE = "matvec_quant";
    public static final String MATMUL_FILE = "matmul_quant";
    /** Bindings above this are never used, whatever the adapter allows: a 2 GiB binding was seen to do part of its work silently. */
    public static final long MAX_WINDOW_BYTES = 1L << 30;
    /** Workgroup size of the decode kernel unless chosen otherwise. */
    public static final int DEFAULT_WG = 128;
    /** Workgroup size of the prefill kernel (16 lanes per row, so 16 rows per tile). */
    public static final int DEFAULT_MATMUL_WG = 256;
    /** Tokens per prefill tile (TN in matmul_quant.wgsl). */
    public static final int MATMUL_TOKENS_PER_TILE = 16;
    /** Threads per row in the prefill kernel (LANES in matmul_quant.wgsl). */
    public static final int MATMUL_LANES = 16;
    private static final int PARAM_WORDS = 8;

    private QuantMatVec() {}

    public static boolean supports(GgmlType type) { return UnitLayout.supports(type); }

    // ---- decode: matrix-vector ----

    /** The decode kernel for {@code type} with the default thread shape for rows of {@code cols} columns. */
    public static KernelSpec spec(GgmlType type, long cols) {
        int tpr = defaultThreadsPerRow(type, cols);
        return spec(type, tpr, Math.max(DEFAULT_WG, tpr));
    }

    /**
     * The decode kernel: {@code threadsPerRow} threads share a row (a power of two), {@code workgroupSize / threadsPerRow}
     * rows per workgroup ({@code workgroupSize} a multiple of it, at most the adapter's invocation limit), one row
     * per thread.
     */
    public static KernelSpec spec(GgmlType type, int threadsPerRow, int workgroupSize) {
        return spec(type, threadsPerRow, workgroupSize, 1);
    }

    /** As {@link #spec(GgmlType, int, int)} with {@code rowsPerThread} (1 or 2) rows per thread sharing their x loads. */
    public static KernelSpec spec(GgmlType type, int threadsPerRow, int workgroupSize, int rowsPerThread) {
        return spec(type, threadsPerRow, workgroupSize, rowsPerThread, Epilogue.NONE);
    }

    /**
     * The GeGLU decode kernel: {@code y[r] = gelu_tanh(gate_r·x) · (up_r·x)}, gate rows then up rows back to back in one
     * weight binding ({@link #gluParams}); one dispatch instead of gate, up and the elementwise product.
     */
    public static KernelSpec gluSpec(GgmlType type, long cols) {
        int tpr = defaultThreadsPerRow(type, cols);
        return spec(type, tpr, Math.max(DEFAULT_WG, tpr), 1, Epilogue.GLU);
    }

    /**
     * The gated decode kernel: {@code y[r] = gelu_tanh(W_r·x) · y[r]}, y holding the multiplier on entry (Gemma 4's
     * per-layer-input gate in one dispatch instead of the product and an elementwise GeGLU).
     */
    public static KernelSpec geluMulSpec(GgmlType type, long cols) {
        int tpr = defaultThreadsPerRow(type, cols);
        return spec(type, tpr, Math.max(DEFAULT_WG, tpr), 1, Epilogue.GELU_MUL);
    }

    private enum Epilogue { NONE, GLU, GELU_MUL }

    private static KernelSpec spec(GgmlType type, int threadsPerRow, int workgroupSize, int rowsPerThread, Epilogue epilogue) {
        if (Integer.bitCount(threadsPerRow) != 1 || workgroupSize % threadsPerRow != 0)
            throw new IllegalArgumentException("threads per row " + threadsPerRow + " must be a power of two dividing the workgroup size " + workgroupSize);
        if (rowsPerThread != 1 && rowsPerThread != 2) throw new IllegalArgumentException("rows per thread must be 1 or 2, not " + rowsPerThread);
        UnitLayout layout = UnitLayout.of(type);
        Map<String, Double> c = new HashMap<>(layout.constants());
        c.put("WG", (double) workgroupSize);
        c.put("TPR", (double) threadsPerRow);
        c.put("RPT", (double) rowsPerThread);
        if (epilogue == Epilogue.GLU) c.put("GLU", 1.0);
        if (epilogue == Epilogue.GELU_MUL) c.put("GELU_MUL", 1.0);
        String prefix = switch (epilogue) {
            case NONE -> "matvec_quant_";
            case GLU -> "matvec_geglu_";
            case GELU_MUL -> "matvec_gelu_mul_";
        };
        return new KernelSpec(prefix + type.name().toLowerCase(java.util.Locale.ROOT), WgslSource.load(FILE), "main", c,
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "W", Access.READ),
                        new KernelSpec.Binding(2, "x", Access.READ), new KernelSpec.Binding(3, "y", Access.READ_WRITE)));
    }

    /**
     * Threads per row so that each takes about 4 quads (32 weights each) of a quantized row or 16 groups of 4
     * elements of a plain one, between 4 and 32: on an H200, fewer threads per row leave the row's memory latency
     * exposed, more make the final reduction dominate (a sweep on an H200, QuantGpuRun in the tests).
     */
    public static int defaultThreadsPerRow(GgmlType type, long cols) {
        UnitLayout l = UnitLayout.of(type);
        long perThread = l.tail() ? Math.max(1, (cols + 3) / 4 / 16) : Math.max(1, (l.unitsPerRow(cols) + 3) / 4 / 4);
        return (int) Math.max(4, Math.min(32, Long.highestOneBit(perThread)));
    }

    /** The decode kernel's uniform block: rows of this window, cols, y index of its first row, bytes per row. */
    public static int[] params(GgmlType type, long rows, long cols, long rowBase) {
        return new int[]{toU32(rows, "rows"), toU32(cols, "cols"), toU32(rowBase, "row base"),
                toU32(UnitLayout.of(type).rowBytes(cols), "row bytes"), 0, 0, 0, 0};
    }

    /** The GeGLU kernel's uniform block: {@code rows} gate rows (the up rows follow them), cols. */
    public static int[] gluParams(GgmlType type, long rows, long cols) {
        int[] p = params(type, rows, cols, 0);
        p[4] = toU32(rows, "rows");
        return p;
    }

    /** The decode dispatch for {@code rows} rows, one row per thread. */
    public static Grid grid(long rows, int threadsPerRow, int workgroupSize, DeviceLimits limits) {
        return grid(rows, threadsPerRow, workgroupSize, 1, limits);
    }

    /** The decode dispatch for {@code rows} rows. */
    public static Grid grid(long rows, int threadsPerRow, int workgroupSize, int rowsPerThread, DeviceLimits limits) {
        long perGroup = (long) workgroupSize / threadsPerRow * rowsPerThread;
        return Grid.fold((rows + perGroup - 1) / perGroup, limits);
    }

    // ---- prefill: matrix-matrix ----

    public static KernelSpec matmulSpec(GgmlType type) {
        return matmulSpec(type, DEFAULT_MATMUL_WG);
    }

    /** The prefill kernel; {@code workgroupSize} is a power of two from 16 to 256 ({@code workgroupSize / 16} rows per tile). */
    public static KernelSpec matmulSpec(GgmlType type, int workgroupSize) {
        if (Integer.bitCount(workgroupSize) != 1 || workgroupSize < MATMUL_LANES || workgroupSize > 256)
            throw new IllegalArgumentException("the prefill workgroup size must be a power of two from " + MATMUL_LANES + " to 256, not " + workgroupSize);
        UnitLayout layout = UnitLayout.of(type);
        Map<String, Double> c = new HashMap<>(layout.constants());
        c.put("WG", (double) workgroupSize);
        return new KernelSpec("matmul_quant_" + type.name().toLowerCase(java.util.Locale.ROOT), WgslSource.load(MATMUL_FILE), "main", c,
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "W", Access.READ),
                        new KernelSpec.Binding(2, "X", Access.READ), new KernelSpec.Binding(3, "Y", Access.READ_WRITE)));
    }

    /** The prefill kernel's uniform block. {@code yStride} is floats per token in Y (all rows of the weight). */
    public static int[] matmulParams(GgmlType type, long rows, long cols, long rowBase, int tokens, long yStride) {
        return new int[]{toU32(rows, "rows"), toU32(cols, "cols"), toU32(rowBase, "row base"),
                toU32(UnitLayout.of(type).rowBytes(cols), "row bytes"), toU32(tokens, "tokens"), toU32(yStride, "y stride"), 0, 0};
    }

    /** The prefill dispatch: one workgroup per tile of {@code workgroupSize/16} rows × 16 tokens. */
    public static Grid matmulGrid(long rows, int tokens, int workgroupSize, DeviceLimits limits) {
        long rowsPerTile = workgroupSize / MATMUL_LANES;
        long rowTiles = (rows + rowsPerTile - 1) / rowsPerTile;
        long tokenTiles = (tokens + MATMUL_TOKENS_PER_TILE - 1) / MATMUL_TOKENS_PER_TILE;
        return Grid.fold(rowTiles * Math.max(1, tokenTiles), limits);
    }

    // ---- windows ----

    /** Bytes of one row as GGUF stores it. */
    public static long rowBytes(GgmlType type, long cols) { return UnitLayout.of(type).rowBytes(cols); }

    /**
     * Cuts a [rows][cols] weight of {@code type} into row windows that each fit one storage binding: at most
     * min(maxStorageBufferBindingSize, {@link #MAX_WINDOW_BYTES}) bytes, every window starting at a row whose byte
     * offset is a multiple of minStorageBufferOffsetAlignment (so a window holds a multiple of
     * {@code align / gcd(rowBytes, align)} rows, except the last). One window when the whole tensor fits.
     *
     * @throws IllegalArgumentException when not even that many rows fit a binding
     */
    public static List<RowWindow> plan(GgmlType type, long rows, long cols, DeviceLimits limits) {
        if (rows <= 0) throw new IllegalArgumentException("a weight needs at least one row, not " + rows);
        long rowBytes = rowBytes(type, cols);
        long total = Math.multiplyExact(rows, rowBytes);
        long cap = Math.min(limits.maxStorageBufferBindingSize(), MAX_WINDOW_BYTES) & ~3L;
        if ((total + 3 & ~3L) <= cap) return List.of(new RowWindow(0, rows, 0, total));
        long align = Math.max(4, limits.minStorageBufferOffsetAlignment());
        long granule = align / gcd(rowBytes, align);
        long perWindow = cap / rowBytes / granule * granule;
        if (perWindow == 0)
            throw new IllegalArgumentException(type + " rows of " + cols + " columns (" + rowBytes + " bytes) cannot be windowed into bindings of "
                    + cap + " bytes at " + align + "-byte offsets: " + granule + " rows take " + granule * rowBytes + " bytes");
        List<RowWindow> out = new ArrayList<>();
        for (long first = 0; first < rows; first += perWindow) {
            long n = Math.min(perWindow, rows - first);
            out.add(new RowWindow(first, n, first * rowBytes, n * rowBytes));
        }
        return out;
    }

    private static long gcd(long a, long b) {
        while (b != 0) {
            long t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    /**
     * Binds the decode product {@code y = W·x} once: W ({@code rows × cols} of {@code type}, the raw GGUF bytes in a
     * tensor of at least {@code ceil(bytes/4)} words), x ({@code cols} f32), y ({@code rows} f32). Windows follow
     * {@link #plan} with the device's own limits.
     */
    public static WindowedMatVec bind(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y) throws RullamaException {
        return bind(device, type, rows, cols, w, x, y, device.limits());
    }

    /** As {@link #bind(Device, GgmlType, long, long, Tensor, Tensor, Tensor)}, windowed for {@code planLimits} (tests force small windows). */
    public static WindowedMatVec bind(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y,
                                      DeviceLimits planLimits) throws RullamaException {
        int tpr = defaultThreadsPerRow(type, cols);
        int wg = Math.max(DEFAULT_WG, tpr);
        Kernel kernel = device.compile(spec(type, tpr, wg));
        return bindWindows(device, type, rows, cols, w, x, y, planLimits, kernel,
                win -> params(type, win.rows(), cols, win.firstRow()), win -> grid(win.rows(), tpr, wg, device.limits()), null);
    }

    /**
     * Binds the GeGLU decode product over {@code pair}, a tensor holding the gate's {@code rows × cols} raw bytes and
     * then the up's: {@code y[r] = gelu_tanh(gate_r·x)·(up_r·x)}. Returns null when the pair does not fit one storage
     * binding (the caller then runs gate, up and the product separately).
     */
    public static WindowedMatVec bindGlu(Device device, GgmlType type, long rows, long cols, Tensor pair, Tensor x, Tensor y) throws RullamaException {
        if (plan(type, 2 * rows, cols, device.limits()).size() != 1) return null;
        KernelSpec spec = gluSpec(type, cols);
        int tpr = (int) (double) spec.constants().get("TPR"), wg = (int) (double) spec.constants().get("WG");
        Kernel kernel = device.compile(spec);
        return bindWindows(device, type, 2 * rows, cols, pair, x, y, device.limits(), kernel,
                win -> gluParams(type, rows, cols), win -> grid(rows, tpr, wg, device.limits()), null);
    }

    /**
     * Binds the gated decode product over {@code w} ({@code rows × cols}): {@code y[r] = gelu_tanh(W_r·x)·y[r]}, y
     * holding the multiplier when it runs. Windowed like {@link #bind}.
     */
    public static WindowedMatVec bindGeluMul(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y) throws RullamaException {
        KernelSpec spec = geluMulSpec(type, cols);
        int tpr = (int) (double) spec.constants().get("TPR"), wg = (int) (double) spec.constants().get("WG");
        Kernel kernel = device.compile(spec);
        return bindWindows(device, type, rows, cols, w, x, y, device.limits(), kernel,
                win -> params(type, win.rows(), cols, win.firstRow()), win -> grid(win.rows(), tpr, wg, device.limits()), null);
    }

    /** Reference of the gated product: {@code gelu_tanh(W·x) ⊙ multiplier}. */
    public static float[] referenceGeluMul(GgmlType type, MemorySegment w, int rows, int cols, float[] x, float[] multiplier) {
        return dev.rullama.shaders.ops.Elementwise.reference(dev.rullama.shaders.ops.Elementwise.Op.GEGLU,
                reference(type, w, rows, cols, x), multiplier, 0f);
    }

    /** Reference of the GeGLU product: gate rows then up rows in {@code pair}. */
    public static float[] referenceGlu(GgmlType type, MemorySegment pair, int rows, int cols, float[] x) {
        float[] both = reference(type, pair, 2 * rows, cols, x);
        float[] gate = java.util.Arrays.copyOf(both, rows), up = java.util.Arrays.copyOfRange(both, rows, 2 * rows);
        return dev.rullama.shaders.ops.Elementwise.reference(dev.rullama.shaders.ops.Elementwise.Op.GEGLU, gate, up, 0f);
    }

    /**
     * Binds the prefill product {@code Y[t] = W·X[t]} for {@code tokens} tokens: X is [tokens][cols] f32, Y is
     * [tokens][rows] f32, both sized for the largest token count that will be used ({@link WindowedMatVec#setTokens}
     * changes it later).
     */
    public static WindowedMatVec bindMatmul(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y, int tokens)
            throws RullamaException {
        return bindMatmul(device, type, rows, cols, w, x, y, tokens, device.limits());
    }

    public static WindowedMatVec bindMatmul(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y, int tokens,
                                            DeviceLimits planLimits) throws RullamaException {
        int wg = DEFAULT_MATMUL_WG;
        Kernel kernel = device.compile(matmulSpec(type, wg));
        return bindWindows(device, type, rows, cols, w, x, y, planLimits, kernel,
                win -> matmulParams(type, win.rows(), cols, win.firstRow(), tokens, rows),
                win -> matmulGrid(win.rows(), tokens, wg, device.limits()),
                (dev, win, slot, t) -> {
                    dev.write(slot, matmulParams(type, win.rows(), cols, win.firstRow(), t, rows));
                    return matmulGrid(win.rows(), t, wg, dev.limits());
                });
    }

    private interface PerWindow<T> {
        T apply(RowWindow w);
    }

    private static WindowedMatVec bindWindows(Device device, GgmlType type, long rows, long cols, Tensor w, Tensor x, Tensor y,
                                              DeviceLimits planLimits, Kernel kernel, PerWindow<int[]> params,
                                              PerWindow<Grid> grid, WindowedMatVec.Retarget retarget) throws RullamaException {
        List<RowWindow> windows = plan(type, rows, cols, planLimits);
        long weightBytes = rows * rowBytes(type, cols);
        if (w.byteSize() < weightBytes)
            throw new IllegalArgumentException(w.label() + " holds " + w.byteSize() + " bytes; " + type + " [" + rows + "][" + cols + "] needs " + weightBytes);
        int slotBytes = Math.max(256, device.limits().minStorageBufferOffsetAlignment());
        Tensor paramTensor = device.createTensor(kernel.spec().name() + ".params", DType.U32, (long) windows.size() * slotBytes / 4);
        List<WindowedMatVec.Dispatch> dispatches = new ArrayList<>();
        List<Tensor> slots = new ArrayList<>();
        try {
            for (int i = 0; i < windows.size(); i++) {
                RowWindow win = windows.get(i);
                Tensor slot = paramTensor.window((long) i * slotBytes, DType.U32, PARAM_WORDS);
                device.write(slot, params.apply(win));
                Tensor weights = windows.size() == 1 && w.dtype() == DType.U32 && w.byteSize() == win.words() * 4
                        ? w : w.window(win.byteOffset(), DType.U32, win.words());
                BoundKernel bound = device.bind(kernel, slot, weights, x, y);
                dispatches.add(new WindowedMatVec.Dispatch(win, bound, grid.apply(win)));
                slots.add(slot);
            }
        } catch (RullamaException | RuntimeException e) {
            for (WindowedMatVec.Dispatch d : dispatches) d.kernel().close();
            paramTensor.close();
            throw e;
        }
        return new WindowedMatVec(dispatches, slots, paramTensor, retarget);
    }

    private static int toU32(long v, String what) {
        if (v < 0 || v > 0xFFFF_FFFFL) throw new IllegalArgumentException(what + " " + v + " does not fit the kernel's u32");
        return (int) v;
    }

    // ---- references ----

    /**
     * {@code y[r] = Σ_c W[r,c]·x[c]} for W the {@code rows × cols} weight of {@code type} at byte 0 of {@code w}:
     * each row dequantized by gguf-loader's reference decoder, the dot product summed in double and rounded once.
     */
    public static float[] reference(GgmlType type, MemorySegment w, int rows, int cols, float[] x) {
        return referenceMatmul(type, w, rows, cols, x, 1);
    }

    /** {@code Y[t][r] = Σ_c W[r,c]·X[t][c]}, X [tokens][cols], Y [tokens][rows]; as {@link #reference}. */
    public static float[] referenceMatmul(GgmlType type, MemorySegment w, int rows, int cols, float[] x, int tokens) {
        QuantBlock block = type.quantBlock();
        long rowBytes = rowBytes(type, cols);
        float[] row = new float[cols];
        float[] y = new float[rows * tokens];
        for (int r = 0; r < rows; r++) {
            block.dequantize(w, r * rowBytes, row, 0, cols);
            for (int t = 0; t < tokens; t++) {
                double acc = 0;
                for (int c = 0; c < cols; c++) acc += (double) row[c] * x[t * cols + c];
                y[t * rows + r] = (float) acc;
            }
        }
        return y;
    }
}
