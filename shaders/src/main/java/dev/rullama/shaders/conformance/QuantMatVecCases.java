package dev.rullama.shaders.conformance;

import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.QuantMatVec;
import dev.rullama.shaders.quant.RandomWeights;
import dev.rullama.shaders.quant.RandomWeights.Scales;
import dev.rullama.shaders.quant.RowWindow;
import dev.rullama.shaders.quant.UnitLayout;
import dev.rullama.shaders.quant.WindowedMatVec;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Conformance cases of the quantized matrix kernels ({@link QuantMatVec}): every type, decode and prefill, at
 * shapes that exercise the edges — one row, one block, rows that are not a multiple of the rows per workgroup,
 * rows that start mid-word (34-byte Q8_0 and 17-byte MXFP4 blocks, odd F16 rows), partial pseudo-blocks of the
 * plain types, token counts that are not a multiple of the prefill tile, more than 65535 workgroups (folded
 * dispatch), and subnormal binary16 scales and weights. {@link #windowed()} adds whole-device checks that split
 * a weight into several row windows by planning with a small fake binding limit.
 */
public final class QuantMatVecCases {
    private QuantMatVecCases() {}

    /**
     * The GPU decodes every weight exactly as the reference (f16 exact, the same f32 operations; a fused
     * multiply-add the compiler may form in {@code d*q+m} changes a weight by at most 1/2 ulp), so the only
     * difference is the f32 sum in another order than the double reference: as matvec_f32, relative error
     * ~sqrt(n)·2^-24 typically, n·2^-24 at worst; 2e-5 covers n ≤ 16384 while a wrong nibble, scale or index is an
     * error of order 1/n or more.
     */
    public static final Tolerance SUM_F32 = new Tolerance(2e-5,
            "weights decoded exactly; f32 accumulation in another order than the double reference; n <= 16384");

    /** Every type the kernels decode, in the order the report lists them. */
    public static final List<GgmlType> TYPES = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.MXFP4, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.Q2_K,
            GgmlType.Q3_K);

    /**
     * Two decode thread shapes (4 threads per row with 16 rows per workgroup; 32 threads per row with 4 rows) and one
     * prefill shape per type, plus a few others on single types: each distinct pipeline costs seconds to compile on
     * lavapipe.
     */
    public static List<KernelCase> all() {
        List<KernelCase> out = new ArrayList<>();
        for (GgmlType t : TYPES) {
            UnitLayout l = UnitLayout.of(t);
            boolean plain = l.tail();
            int be = plain ? 1 : l.blockElements();
            // one block; three blocks (a partial pseudo-block for the plain types); many blocks, an odd count for the
            // 32-element types so that odd rows of Q8_0/Q5_0/Q4_0 and MXFP4 start mid-word
            int few = plain ? 257 : 3 * be;
            int many = plain ? 1001 : be == 256 ? 4096 : 49 * be;
            out.add(matVec(t, 1, be, 4, 64, Scales.MODERATE));
            out.add(matVec(t, 130, plain ? 60 : 2 * be, 4, 64, Scales.MODERATE));
            out.add(matVec(t, 7, few, 32, 128, Scales.MODERATE));
            out.add(matVec(t, 37, many, 32, 128, Scales.MODERATE));
            out.add(matVec(t, 5, plain ? 100 : 12 * be, 32, 128, Scales.MODERATE));
            out.add(matMul(t, 1, be, 1, 64));
            out.add(matMul(t, 19, few, 5, 64));
            out.add(matMul(t, 33, plain ? 1001 : be == 256 ? 2048 : 49 * be, 21, 64));
        }
        // the largest prefill tile (16 rows) and the default decode shapes at Gemma widths
        out.add(matMul(GgmlType.Q4_K, 40, 1536, 37, 256));
        out.add(matMul(GgmlType.F16, 17, 77, 16, 256));
        out.add(matVec(GgmlType.Q6_K, 64, 2560, Scales.MODERATE));
        out.add(matVec(GgmlType.Q4_K, 33, 10240, Scales.MODERATE));
        // two rows per thread, with an odd row count (the last thread has one row)
        out.add(matVec(GgmlType.Q4_K, 37, 2048, 16, 128, 2, Scales.MODERATE));
        out.add(matVec(GgmlType.Q4_0, 9, 96, 4, 64, 2, Scales.MODERATE));
        out.add(matVec(GgmlType.Q3_K, 5, 512, 8, 64, 2, Scales.MODERATE));
        out.add(matVec(GgmlType.F16, 7, 257, 8, 64, 2, Scales.MODERATE));
        // the GeGLU epilogue: gate and up rows back to back, the types Gemma's FFNs use, a row count with a tail
        out.add(matVecGlu(GgmlType.Q4_K, 37, 1536));
        out.add(matVecGlu(GgmlType.Q6_K, 64, 512));
        out.add(matVecGlu(GgmlType.Q8_0, 9, 96));
        out.add(matVecGlu(GgmlType.Q4_0, 5, 64));
        out.add(matVecGlu(GgmlType.BF16, 7, 257));
        out.add(matVecGlu(GgmlType.F32, 3, 100));
        // the gated epilogue (y read as the multiplier, then written): Gemma 4's per-layer-input gate (256 rows) at
        // E2B's width in the types Ollama gives it, and tails
        out.add(matVecGeluMul(GgmlType.BF16, 256, 1536));
        out.add(matVecGeluMul(GgmlType.Q4_K, 37, 512));
        out.add(matVecGeluMul(GgmlType.Q8_0, 9, 96));
        out.add(matVecGeluMul(GgmlType.F32, 3, 100));
        // more than 65535 workgroups: the dispatch is folded into two dimensions
        out.add(matVec(GgmlType.Q4_0, 70_001, 32, 4, 4, Scales.MODERATE));
        out.add(matVec(GgmlType.MXFP4, 280_001, 32, 4, 16, Scales.MODERATE));
        out.add(matMul(GgmlType.Q8_0, 70_001, 32, 1, 16));
        // subnormal binary16: converted exactly, or the output is visibly wrong
        out.add(matVec(GgmlType.F16, 9, 300, 32, 128, Scales.SUBNORMAL));
        out.add(matVec(GgmlType.Q8_0, 9, 256, 32, 128, Scales.SUBNORMAL));
        out.add(matVec(GgmlType.Q4_K, 4, 512, 32, 128, Scales.SUBNORMAL));
        return out;
    }

    /** Decode with the default thread shape for {@code cols}. */
    public static KernelCase matVec(GgmlType type, int rows, int cols, Scales scales) {
        int tpr = QuantMatVec.defaultThreadsPerRow(type, cols);
        return matVec(type, rows, cols, tpr, Math.max(QuantMatVec.DEFAULT_WG, tpr), scales);
    }

    public static KernelCase matVec(GgmlType type, int rows, int cols, int tpr, int wg, Scales scales) {
        return matVec(type, rows, cols, tpr, wg, 1, scales);
    }

    public static KernelCase matVec(GgmlType type, int rows, int cols, int tpr, int wg, int rpt, Scales scales) {
        return new KernelCase() {
            public String kernel() { return spec().name(); }
            public String shape() {
                return "rows=" + rows + " cols=" + cols + " tpr=" + tpr + " wg=" + wg + (rpt > 1 ? " rpt=" + rpt : "")
                        + (scales == Scales.SUBNORMAL ? " subnormal" : "");
            }
            public String dtype() { return type.name(); }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return QuantMatVec.spec(type, tpr, wg, rpt); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                byte[] w = RandomWeights.of(type, rows, cols, scales, r);
                float[] x = alignedWithRow0(type, w, cols, KernelCase.randomFloats(r, cols, 1f));
                float[] y = QuantMatVec.reference(type, MemorySegment.ofArray(w), rows, cols, x);
                return new Prepared(List.of(QuantMatVec.params(type, rows, cols, 0), RandomWeights.words(w), KernelCase.bits(x), new int[rows]),
                        QuantMatVec.grid(rows, tpr, wg, rpt, limits), Map.of(3, y));
            }
        };
    }

    /**
     * GeGLU decode over gate and up rows back to back. The tolerance adds GELU's few f32 operations to the dot
     * products' rounding; the output is normalized by its largest element like every case.
     */
    public static KernelCase matVecGlu(GgmlType type, int rows, int cols) {
        return new KernelCase() {
            public String kernel() { return spec().name(); }
            public String shape() { return "rows=" + rows + " cols=" + cols; }
            public String dtype() { return type.name(); }
            public Tolerance tolerance() { return GLU_F32; }
            public KernelSpec spec() { return QuantMatVec.gluSpec(type, cols); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                byte[] w = RandomWeights.of(type, 2 * rows, cols, Scales.MODERATE, r);
                float[] x = alignedWithRow0(type, w, cols, KernelCase.randomFloats(r, cols, 1f));
                float[] y = QuantMatVec.referenceGlu(type, MemorySegment.ofArray(w), rows, cols, x);
                KernelSpec s = spec();
                int tpr = (int) (double) s.constants().get("TPR"), wg = (int) (double) s.constants().get("WG");
                return new Prepared(List.of(QuantMatVec.gluParams(type, rows, cols), RandomWeights.words(w), KernelCase.bits(x), new int[rows]),
                        QuantMatVec.grid(rows, tpr, wg, limits), Map.of(3, y));
            }
        };
    }

    /** {@code y = gelu_tanh(W·x) ⊙ y}: y starts as random multipliers (an initialized read-write binding). */
    public static KernelCase matVecGeluMul(GgmlType type, int rows, int cols) {
        return new KernelCase() {
            public String kernel() { return spec().name(); }
            public String shape() { return "rows=" + rows + " cols=" + cols; }
            public String dtype() { return type.name(); }
            public Tolerance tolerance() { return GELU_MUL_F32; }
            public KernelSpec spec() { return QuantMatVec.geluMulSpec(type, cols); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                byte[] w = RandomWeights.of(type, rows, cols, Scales.MODERATE, r);
                float[] x = alignedWithRow0(type, w, cols, KernelCase.randomFloats(r, cols, 1f));
                float[] m = KernelCase.randomFloats(r, rows, 2f);
                m[0] = 2f; // keeps output 0 large (see alignedWithRow0)
                float[] y = QuantMatVec.referenceGeluMul(type, MemorySegment.ofArray(w), rows, cols, x, m);
                KernelSpec s = spec();
                int tpr = (int) (double) s.constants().get("TPR"), wg = (int) (double) s.constants().get("WG");
                return new Prepared(List.of(QuantMatVec.params(type, rows, cols, 0), RandomWeights.words(w), KernelCase.bits(x), KernelCase.bits(m)),
                        QuantMatVec.grid(rows, tpr, wg, limits), Map.of(3, y), java.util.Set.of(3));
            }
        };
    }

    /** One f32 dot product (SUM_F32) through GELU (1e-6), times a multiplier read exactly. */
    public static final Tolerance GELU_MUL_F32 = new Tolerance(3e-5,
            "one f32 dot product in another order than the double reference (2e-5, n <= 16384) through GELU's f32 exp "
                    + "and division (1e-6), times an exact multiplier");

    /** Two f32 dot products (SUM_F32 each) through GELU (a few f32 operations, 1e-6) and a product. */
    public static final Tolerance GLU_F32 = new Tolerance(5e-5,
            "two f32 dot products in another order than the double reference (2e-5 each, n <= 16384) multiplied, "
                    + "plus GELU's f32 exp and division (1e-6)");

    public static KernelCase matMul(GgmlType type, int rows, int cols, int tokens, int wg) {
        return new KernelCase() {
            public String kernel() { return spec().name(); }
            public String shape() { return "rows=" + rows + " cols=" + cols + " tokens=" + tokens + " wg=" + wg; }
            public String dtype() { return type.name(); }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return QuantMatVec.matmulSpec(type, wg); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                byte[] w = RandomWeights.of(type, rows, cols, Scales.MODERATE, r);
                float[] x = alignedWithRow0(type, w, cols, KernelCase.randomFloats(r, tokens * cols, 1f));
                float[] y = QuantMatVec.referenceMatmul(type, MemorySegment.ofArray(w), rows, cols, x, tokens);
                return new Prepared(List.of(QuantMatVec.matmulParams(type, rows, cols, 0, tokens, rows), RandomWeights.words(w),
                        KernelCase.bits(x), new int[tokens * rows]), QuantMatVec.matmulGrid(rows, tokens, wg, limits), Map.of(3, y));
            }
        };
    }

    /**
     * Gives every token's x the signs of row 0's weights, so that output 0 is Σ|w||x|, far from zero. The error is
     * normalized by the largest output; with independent signs a case with one or few rows can land on an output
     * that cancels to near zero by chance, and then an ordinary f32 rounding looks like a large relative error.
     * The other rows keep independent signs.
     */
    static float[] alignedWithRow0(GgmlType type, byte[] w, int cols, float[] x) {
        float[] row0 = new float[cols];
        type.quantBlock().dequantize(MemorySegment.ofArray(w), 0, row0, 0, cols);
        for (int i = 0; i < x.length; i++) {
            float wv = row0[i % cols];
            if (wv != 0) x[i] = Math.copySign(x[i], wv);
        }
        return x;
    }

    // ---- whole-device checks of the windowed binding ----

    /** A check that needs the device itself (several dispatches, a helper that binds), not one kernel dispatch. */
    public interface DeviceCheck {
        String name();

        CaseReport run(Device device, Random random) throws RullamaException;
    }

    /**
     * Weights split into several row windows by planning with a small fake binding limit, bound and recorded by
     * {@link QuantMatVec#bind}/{@link QuantMatVec#bindMatmul}; the prefill one also changes its token count after
     * binding. Row sizes are chosen so that window boundaries need the row-granule rule (17-, 34-, 102-, 210- and
     * 514-byte rows), and the last window ends mid-word.
     */
    public static List<DeviceCheck> windowed() {
        return List.of(
                windowed(GgmlType.Q4_K, 100, 512, 4096, 0, 0),
                windowed(GgmlType.MXFP4, 600, 64, 8192, 0, 0),
                windowed(GgmlType.MXFP4, 601, 32, 6000, 0, 0),
                windowed(GgmlType.Q8_0, 300, 96, 16384, 0, 0),
                windowed(GgmlType.F16, 300, 257, 70_000, 0, 0),
                windowed(GgmlType.Q6_K, 300, 256, 30_000, 9, 6),
                windowed(GgmlType.Q5_0, 260, 64, 6000, 4, 4));
    }

    /**
     * @param tokens 0 for decode; else the prefill token count bound, then {@code useTokens} set before the run
     */
    public static DeviceCheck windowed(GgmlType type, int rows, int cols, long bindingLimit, int tokens, int useTokens) {
        boolean prefill = tokens > 0;
        String kernel = (prefill ? "matmul_quant_" : "matvec_quant_") + type.name().toLowerCase(java.util.Locale.ROOT) + "_windowed";
        return new DeviceCheck() {
            public String name() { return kernel + " rows=" + rows + " cols=" + cols + " limit=" + bindingLimit + (prefill ? " tokens=" + useTokens + "/" + tokens : ""); }

            public CaseReport run(Device device, Random random) throws RullamaException {
                DeviceLimits real = device.limits();
                DeviceLimits fake = new DeviceLimits(bindingLimit, real.maxBufferSize(), real.maxStorageBuffersPerShaderStage(),
                        real.maxComputeWorkgroupStorageSize(), real.maxComputeInvocationsPerWorkgroup(), real.maxComputeWorkgroupSizeX(),
                        real.maxComputeWorkgroupsPerDimension(), real.minStorageBufferOffsetAlignment(), real.maxUniformBufferBindingSize());
                List<RowWindow> plan = QuantMatVec.plan(type, rows, cols, fake);
                if (plan.size() < 2) throw new IllegalStateException(name() + ": the plan has " + plan.size() + " window; the check needs several");
                int t = prefill ? tokens : 1;
                int used = prefill ? useTokens : 1;
                byte[] w = RandomWeights.of(type, rows, cols, Scales.MODERATE, random);
                float[] x = alignedWithRow0(type, w, cols, KernelCase.randomFloats(random, t * cols, 1f));
                float[] ref = QuantMatVec.referenceMatmul(type, MemorySegment.ofArray(w), rows, cols, x, used);
                int guard = ConformanceHarness.GUARD_WORDS;
                try (Tensor wt = poisoned(device, "W", RandomWeights.words(w), guard);
                     Tensor xt = poisoned(device, "x", KernelCase.bits(x), guard);
                     Tensor yt = poisoned(device, "y", new int[0], t * rows + guard);
                     WindowedMatVec mv = prefill
                             ? QuantMatVec.bindMatmul(device, type, rows, cols, wt, xt, yt, tokens, fake)
                             : QuantMatVec.bind(device, type, rows, cols, wt, xt, yt, fake)) {
                    if (prefill) mv.setTokens(device, useTokens);
                    try (CommandBatch batch = device.newBatch()) {
                        mv.record(batch);
                        batch.submitAndWait();
                    }
                    return compare(device, kernel, name().substring(kernel.length() + 1) + " windows=" + plan.size(), type, ref,
                            device.readInts(yt));
                }
            }
        };
    }

    private static Tensor poisoned(Device device, String label, int[] words, int guard) throws RullamaException {
        int[] init = Arrays.copyOf(words, words.length + guard);
        Arrays.fill(init, words.length, init.length, ConformanceHarness.POISON);
        Tensor t = device.createTensor(label, DType.U32, init.length);
        device.write(t, init);
        return t;
    }

    /** The harness's verdict on one output: error against the reference, unwritten outputs, words written past it. */
    private static CaseReport compare(Device device, String kernel, String shape, GgmlType type, float[] ref, int[] got) {
        double maxAbs = 0, maxRef = 0;
        int clobbered = 0, unwritten = 0;
        boolean finite = true;
        for (int i = 0; i < ref.length; i++) {
            if (got[i] == ConformanceHarness.POISON) unwritten++;
            float g = Float.intBitsToFloat(got[i]);
            if (!Float.isFinite(g)) finite = false;
            maxAbs = Math.max(maxAbs, Math.abs((double) g - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        for (int i = ref.length; i < got.length; i++) if (got[i] != ConformanceHarness.POISON) clobbered++;
        double norm = finite ? maxAbs / Math.max(maxRef, 1e-30) : Double.NaN;
        boolean passed = finite && clobbered == 0 && unwritten == 0 && norm <= SUM_F32.maxNormalizedError();
        return new CaseReport(device.backendName(), kernel, shape, type.name(), finite ? maxAbs : Double.NaN, norm, SUM_F32, clobbered,
                unwritten, passed);
    }
}
