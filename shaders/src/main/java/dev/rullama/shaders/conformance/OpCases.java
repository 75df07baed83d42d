package dev.rullama.shaders.conformance;

import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.ops.AddRmsNorm;
import dev.rullama.shaders.ops.Argmax;
import dev.rullama.shaders.ops.CopyVec4;
import dev.rullama.shaders.ops.Elementwise;
import dev.rullama.shaders.ops.EmbeddingGather;
import dev.rullama.shaders.ops.FlashAttention;
import dev.rullama.shaders.ops.KvCacheWrite;
import dev.rullama.shaders.ops.MoeRouter;
import dev.rullama.shaders.ops.NormRope;
import dev.rullama.shaders.ops.Rope;
import dev.rullama.shaders.ops.StepWords;
import dev.rullama.shaders.ops.TopKSampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.rullama.shaders.conformance.ChainCase.Buffer;
import static dev.rullama.shaders.conformance.ChainCase.Dispatch;

/**
 * Conformance cases of the Gemma decode/prefill kernels other than the matrix products: per-head norms, RoPE,
 * elementwise ops, the fused residual norm, the KV cache write, flash attention (decode with split-K, prefill),
 * embedding gather, argmax, top-k sampling and the MoE router. {@link #all()} are single out-of-place dispatches for
 * {@link ConformanceHarness}; {@link #chains()} need several dispatches, in-place operands or exact integer outputs and
 * run on {@link ChainHarness}. Shapes are Gemma's (head dims 256/512, E2B's 8:1 GQA, V = 262144) plus small ones with
 * tails, windows that wrap their ring, and dispatches folded over two dimensions.
 */
public final class OpCases {
    private OpCases() {}

    // ---------------------------------------------------------------- tolerances (each says why)

    private static final Tolerance SUM_F32 = new Tolerance(2e-5,
            "f32 sums of squares in another order than the double reference; n <= 5376");
    private static final Tolerance ELEMENT_F32 = new Tolerance(1e-6,
            "a few f32 operations per element (GELU and tanh: one exp, one division; relative to the largest output, "
                    + "which hides exp's growing error where GELU is tiny)");
    private static final Tolerance EXACT = new Tolerance(0,
            "copies and bit-exact dequantization (the WGSL repeats gguf-loader's f32 operations in the same order)");
    private static final Tolerance ATTENTION = new Tolerance(4e-5,
            "f32 dot products over head_dim (scores up to ~30 carry ~1e-5 absolute error, which exp turns into that "
                    + "relative error of the weights) and an online softmax over <= 5001 keys, against a double reference; "
                    + "<= 1.1e-5 seen on lavapipe, while one key too many in a window of 512 already costs 5e-4");
    private static final Tolerance ROUTER = new Tolerance(2e-6,
            "k <= 8 f32 exps and one division against a double reference; ids exact");

    /** RoPE: the f32 angle pos * inv_freq carries ~2^-24 relative error, so the bound grows with the position. */
    private static Tolerance rope(int maxPos) {
        double bound = 4e-6 + maxPos * 5e-7;
        return new Tolerance(bound, "cos/sin of an f32 angle pos * inv_freq (as HF and ggml compute it): rounding the "
                + "angle and exp2's few-ulp error make |error| ~ position * 1e-7 on lavapipe; bound position * 5e-7 for "
                + "GPUs with coarser exp2; max position " + maxPos);
    }

    // ---------------------------------------------------------------- lists

    /** Single out-of-place dispatches, for {@link ConformanceHarness}. */
    public static List<KernelCase> all() {
        List<KernelCase> out = new ArrayList<>();
        // Q/K norms: the existing rmsnorm.wgsl with rows = heads and the shared [head_dim] weight; V-norm without weight
        out.add(headNorm(8, 256, true, 64));    // E2B sliding q-norm
        out.add(headNorm(8, 512, true, 128));   // E2B full q-norm
        out.add(headNorm(1, 256, true, 256));   // k-norm, one kv head
        out.add(headNorm(16, 512, false, 256)); // V-norm, 31B full layers
        out.add(headNorm(32, 72, true, 64));    // a small head with a tail
        out.add(headNorm(5, 9, false, 64));     // V-norm, tiny heads (most invocations idle)
        // embedding gathers of every table type, odd row sizes that leave rows unaligned to words
        out.add(embed(GgmlType.F32, 33, 300, new int[]{299, 0, 17, 17}, 1f));
        out.add(embed(GgmlType.F16, 37, 257, new int[]{5, 256, 1}, (float) Math.sqrt(37)));
        out.add(embed(GgmlType.BF16, 5, 100, new int[]{99}, 2f));
        out.add(embed(GgmlType.Q8_0, 96, 211, new int[]{210, 3, 3, 0, 157}, (float) Math.sqrt(1536)));
        out.add(embed(GgmlType.Q6_K, 1536, 97, new int[]{96}, (float) Math.sqrt(1536)));
        out.add(embed(GgmlType.Q6_K, 512, 61, new int[]{0, 60, 33, 7, 7, 59, 1, 2, 3}, 16f));
        out.add(embed(GgmlType.Q8_0, 32, 70_001, firstAndLast(70_001), 1f));
        return out;
    }

    /** Multi-dispatch, in-place and integer-output cases, for {@link ChainHarness}. */
    public static List<ChainCase> chains() {
        List<ChainCase> out = new ArrayList<>();
        // RoPE
        out.add(rope(1, 8, 256, 256, 1e4f, 1f, false, 0, 64));
        out.add(rope(1, 8, 256, 256, 1e4f, 1f, false, 4099, 64));
        out.add(rope(1, 1, 512, 512, 1e6f, 1f, true, 300, 64));        // Gemma 4 full layer: proportional via rope_freqs
        out.add(rope(5, 3, 40, 40, 1e4f, 1f, false, 1021, 32));        // tails
        out.add(rope(7, 2, 64, 32, 1e6f, 0.125f, false, 77, 64));      // partial rotary, Gemma 3 linear x8
        out.add(rope(512, 8, 256, 256, 1e4f, 1f, false, 3, 256));      // a prefill batch
        out.add(rope(1, 4, 256, 256, 1e4f, 1f, false, 131_000, 64));   // long context: the f32 angle's error shows
        // per-head norm fused with RoPE (queries) and with V-norm and the cache write (keys, values)
        out.add(normRopeQuery(1, 8, 256, 256, 1e4f, 1f, false, 700, 128));   // E2B sliding layer, decode
        out.add(normRopeQuery(1, 8, 512, 512, 1e6f, 1f, true, 300, 128));    // E2B full layer: proportional RoPE
        out.add(normRopeQuery(5, 3, 40, 32, 1e6f, 0.125f, false, 77, 32));   // tails, partial rotary, linear x8
        out.add(normRopeQuery(64, 4, 256, 256, 1e4f, 1f, false, 3, 256));   // a prefill chunk
        out.add(normRopeKv(1, 1, 256, 256, 1e4f, false, true, 512, 1300, 128));  // sliding ring, wrapped
        out.add(normRopeKv(1, 2, 512, 512, 1e6f, true, true, 1000, 999, 128));   // full layer, last slot
        out.add(normRopeKv(1, 4, 512, 512, 1e6f, true, false, 64, 10, 64));      // V = raw K without V-norm
        out.add(normRopeKv(64, 2, 256, 256, 1e4f, false, true, 575, 540, 256));  // prefill chunk wrapping the ring
        out.add(normRopeKv(3, 3, 40, 40, 1e4f, false, true, 5, 4, 32));          // tails, tiny ring
        // elementwise
        for (Elementwise.Op op : Elementwise.Op.values()) {
            out.add(elementwise(op, 1, 256));
            out.add(elementwise(op, 1000, 64));
        }
        for (Elementwise.Op op : List.of(Elementwise.Op.GEGLU, Elementwise.Op.GELU, Elementwise.Op.SOFTCAP)) out.add(elementwiseExtremes(op));
        out.add(elementwiseEven(Elementwise.Op.SOFTCAP, 30f));
        out.add(elementwiseEven(Elementwise.Op.GELU, 4f));
        out.add(elementwise(Elementwise.Op.SOFTCAP, 262_144 + 3, 64)); // the logits, folded over two dimensions
        out.add(elementwise(Elementwise.Op.GEGLU, 12_288 * 3 + 1, 256));
        // fused residual add + norms
        out.add(addRmsNorm(1, 1536, true, true, 256));
        out.add(addRmsNorm(3, 1000, true, false, 64));
        out.add(addRmsNorm(2, 2816, false, false, 128));
        out.add(addRmsNorm(1, 5376, true, true, 256));
        // KV cache write
        out.add(kvWrite(1, 256, 512, 700));      // sliding ring, decode
        out.add(kvWrite(5, 3 * 40, 8, 6));       // a batch that wraps the ring
        out.add(kvWrite(1, 512, 1000, 999));     // linear cache, last slot
        out.add(kvWrite(64, 2 * 256, 575, 540)); // prefill chunk into a ring of W + T - 1
        // embedding tables bound in windows
        out.add(embedWindows(GgmlType.Q6_K, 512, 40, 17, new int[]{16, 17, 39, 0, 20}));
        out.add(embedWindows(GgmlType.Q8_0, 96, 50, 23, new int[]{22, 23, 24, 49}));
        out.add(embedWindows(GgmlType.F16, 37, 30, 11, new int[]{10, 11, 29}));
        // attention, decode (T = 1)
        out.add(attention("decode first token", 1, 8, 1, 256, 0, 512, 0, 1, 1f, 1, 256, 1f));
        out.add(attention("decode full F-layer", 1, 8, 1, 512, 0, 1200, 1000, 4, 1f, 1, 256, 1f));
        out.add(attention("decode sliding wrapped", 1, 8, 1, 256, 512, 512, 1300, 3, 1f, 1, 256, 1f));
        // near-uniform weights: one key too many or too few at the window's edge moves the output by ~1/W
        out.add(attention("decode sliding flat scores", 1, 8, 1, 256, 512, 575, 1300, 2, 1f, 1, 256, 0.05f));
        out.add(attention("decode gqa tiny ring", 1, 4, 2, 8, 5, 7, 20, 2, (float) (1 / Math.sqrt(8)), 1, 64, 1f));
        out.add(attention("decode long split-k", 1, 2, 1, 256, 0, 8192, 5000, 16, 1f, 1, 128, 1f));
        out.add(attention("decode gemma3 scale", 1, 4, 1, 256, 0, 64, 40, 2, 1f / 16, 1, 256, 3f));
        out.add(attention("decode large scores", 1, 2, 1, 256, 0, 300, 299, 5, 1f, 1, 64, 4f));
        // attention, prefill
        out.add(attention("prefill from 0", 13, 4, 2, 64, 0, 64, 0, 1, 0.125f, 4, 64, 1f));
        out.add(attention("prefill after history", 9, 8, 1, 256, 0, 256, 100, 1, 1f, 8, 256, 1f));
        out.add(attention("prefill sliding wrap split", 20, 2, 1, 40, 16, 35, 50, 2, 1f, 4, 64, 1f));
        out.add(attention("prefill head 512", 3, 2, 1, 512, 0, 32, 10, 1, 1f, 2, 64, 1f));
        out.add(attention("prefill 64 sliding", 64, 8, 1, 256, 512, 575, 700, 1, 1f, 8, 256, 1f));
        // argmax and sampling
        out.add(argmax("vocab with ties, NaN, -inf", 262_144, 256, 0, tiesAt(262_144, 70_000, 200_000)));
        out.add(argmax("tail, one group", 262_147, 64, 1, tiesAt(262_147, 262_146, -1)));
        out.add(argmax("all equal", 1000, 64, 0, a -> Arrays.fill(a, 0.5f)));
        out.add(argmax("single", 1, 64, 0, a -> a[0] = -3f));
        out.add(argmax("NaN first", 50, 64, 0, a -> a[0] = Float.NaN));
        out.add(argmax("nothing selectable", 70, 64, 0, a -> { Arrays.fill(a, Float.NEGATIVE_INFINITY); a[9] = Float.NaN; }));
        out.add(sampleGreedy("top-k 1 is argmax", 262_144, 1, 0.7f, 0.9f, tiesAt(262_144, 1234, 99_999)));
        out.add(sampleGreedy("top-p below the best token's share", 262_144, 40, 1f, 1e-6f, tiesAt(262_144, 5, -1)));
        out.add(sampleGreedy("min-p 1 keeps the best", 5000, 64, 0.8f, 1f, tiesAt(5000, 4000, -1)));
        // MoE router
        out.add(moe(1, 128, 8, true, 128, false));
        out.add(moe(5, 128, 8, true, 64, true));
        out.add(moe(3, 10, 3, false, 64, false));
        out.add(moe(2, 128, 1, true, 256, false));
        // the bandwidth probe of rullama bench
        out.add(copy(1, 256));
        out.add(copy(1000, 64));
        out.add(copy(70_001, 1)); // more workgroups than one dimension holds: folded over (x, y)
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private static float[] rnd(Random r, int n, float scale) {
        return KernelCase.randomFloats(r, n, scale);
    }

    private static Grid fold(long workgroups, DeviceLimits limits) {
        return Grid.fold(workgroups, limits);
    }

    private static int[] firstAndLast(int rows) {
        return new int[]{rows - 1, 0, rows / 2};
    }

    private static Map<Integer, float[]> floats(Object... pairs) {
        Map<Integer, float[]> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((Integer) pairs[i], (float[]) pairs[i + 1]);
        return m;
    }

    private static Map<Integer, int[]> ints(Object... pairs) {
        Map<Integer, int[]> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put((Integer) pairs[i], (int[]) pairs[i + 1]);
        return m;
    }

    private abstract static class Chain implements ChainCase {
        private final String kernel, shape, dtype;
        private final Tolerance tolerance;

        Chain(String kernel, String shape, String dtype, Tolerance tolerance) {
            this.kernel = kernel;
            this.shape = shape;
            this.dtype = dtype;
            this.tolerance = tolerance;
        }

        public String kernel() { return kernel; }
        public String shape() { return shape; }
        public String dtype() { return dtype; }
        public Tolerance tolerance() { return tolerance; }
    }

    // ---------------------------------------------------------------- per-head norm (existing kernel)

    public static KernelCase headNorm(int heads, int headDim, boolean weight, int wg) {
        KernelCase base = StandardCases.rmsNorm(heads, headDim, weight, wg);
        return new KernelCase() {
            public String kernel() { return weight ? "head_rmsnorm" : "head_rmsnorm_noweight"; }
            public String shape() { return "heads=" + heads + " head_dim=" + headDim + " wg=" + wg + " (rmsnorm.wgsl, rows = heads)"; }
            public String dtype() { return "f32"; }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return base.spec(); }
            public Prepared prepare(Random r, DeviceLimits limits) { return base.prepare(r, limits); }
        };
    }

    // ---------------------------------------------------------------- embedding

    /** Random table bytes of a type, with finite scales (and f16 subnormals among the plain values). */
    public static byte[] randomTable(Random r, GgmlType type, int dim, int rows) {
        int rb = EmbeddingGather.rowBytes(type, dim);
        byte[] t = new byte[(rb * rows + 3) & ~3];
        r.nextBytes(t);
        java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(t).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> { for (int i = 0; i < dim * rows; i++) bb.putFloat(4 * i, (r.nextFloat() * 2 - 1) * 0.1f); }
            case F16 -> { for (int i = 0; i < dim * rows; i++) bb.putShort(2 * i, finiteF16(r)); }
            case BF16 -> { for (int i = 0; i < dim * rows; i++) bb.putShort(2 * i, (short) (Float.floatToRawIntBits((r.nextFloat() * 2 - 1) * 3f) >>> 16)); }
            case Q8_0 -> { for (int b = 0; b < dim * rows / 32; b++) bb.putShort(34 * b, Float.floatToFloat16((r.nextFloat() + 0.01f) * 0.02f)); }
            case Q6_K -> { for (int b = 0; b < dim * rows / 256; b++) bb.putShort(210 * b + 208, Float.floatToFloat16((r.nextFloat() + 0.01f) * 0.005f)); }
            default -> throw new IllegalArgumentException(type.toString());
        }
        return t;
    }

    private static short finiteF16(Random r) {
        short h;
        do h = (short) r.nextInt(); while ((h & 0x7C00) == 0x7C00);
        return h;
    }

    static int[] words(byte[] bytes) {
        int[] w = new int[(bytes.length + 3) / 4];
        java.nio.ByteBuffer.wrap(Arrays.copyOf(bytes, w.length * 4)).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(w);
        return w;
    }

    public static KernelCase embed(GgmlType type, int dim, int rows, int[] ids, float scale) {
        int wg = 64;
        return new KernelCase() {
            public String kernel() { return "embed_" + type.name().toLowerCase(java.util.Locale.ROOT); }
            public String shape() { return "dim=" + dim + " rows=" + rows + " tokens=" + ids.length + " scale=" + scale; }
            public String dtype() { return type.name() + "->f32"; }
            public Tolerance tolerance() { return EXACT; }
            public KernelSpec spec() { return EmbeddingGather.spec(type, wg); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                byte[] table = randomTable(r, type, dim, rows);
                float[] ref = EmbeddingGather.reference(table, type, dim, ids, scale);
                return new Prepared(List.of(EmbeddingGather.params(type, dim, ids.length, rows, scale), ids, words(table), new int[ref.length]),
                        fold(EmbeddingGather.workgroups(dim, ids.length, wg), limits), Map.of(3, ref));
            }
        };
    }

    /** A table split over two bindings the way a windowed binding sees it (the second starts at a 256-byte boundary). */
    public static ChainCase embedWindows(GgmlType type, int dim, int rows, int split, int[] ids) {
        return new Chain("embed_" + type.name().toLowerCase(java.util.Locale.ROOT) + "_windows",
                "dim=" + dim + " rows=" + rows + " windows=[0," + split + ")+[" + split + "," + rows + ") tokens=" + ids.length,
                type.name() + "->f32", EXACT) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                int wg = 64, rb = EmbeddingGather.rowBytes(type, dim);
                byte[] table = randomTable(r, type, dim, rows);
                float[] ref = EmbeddingGather.reference(table, type, dim, ids, 1.5f);
                int start = split * rb, aligned = start / 256 * 256;
                byte[] first = Arrays.copyOf(table, start), second = Arrays.copyOfRange(table, aligned, table.length);
                List<Buffer> b = List.of(Buffer.uniform("params0", EmbeddingGather.params(type, dim, ids.length, 0, split, 0, 1.5f)),
                        Buffer.uniform("params1", EmbeddingGather.params(type, dim, ids.length, split, rows - split, start - aligned, 1.5f)),
                        Buffer.input("ids", ids), Buffer.input("window0", words(first)), Buffer.input("window1", words(second)),
                        Buffer.output("out", ref.length));
                Grid g = fold(EmbeddingGather.workgroups(dim, ids.length, wg), limits);
                KernelSpec spec = EmbeddingGather.spec(type, wg);
                return new Prepared(b, List.of(new Dispatch(spec, new int[]{0, 2, 3, 5}, g), new Dispatch(spec, new int[]{1, 2, 4, 5}, g)),
                        floats(5, ref), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- RoPE

    public static ChainCase rope(int tokens, int heads, int headDim, int nRot, float base, float posScale, boolean factors, int pos0, int wg) {
        return new Chain(factors ? "rope_factors" : "rope", "tokens=" + tokens + " heads=" + heads + " head_dim=" + headDim + " n_rot=" + nRot
                + " base=" + base + " pos_scale=" + posScale + " pos0=" + pos0 + " wg=" + wg, "f32", rope(pos0 + tokens - 1)) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float[] x = rnd(r, tokens * heads * headDim, 2f);
                float[] f = new float[nRot / 2];
                for (int i = 0; i < f.length; i++) f[i] = i < nRot / 8 ? 1f : 1e30f; // Gemma 4's rope_freqs: p = 0.25
                float[] ref = Rope.reference(x, tokens, heads, headDim, nRot, base, posScale, factors ? f : null, pos0);
                List<Buffer> b = List.of(Buffer.uniform("params", Rope.params(tokens, heads, headDim, nRot, base, posScale)),
                        Buffer.input("step", StepWords.of(pos0)), Buffer.input("factor", f), Buffer.inout("x", x));
                return new Prepared(b, List.of(new Dispatch(Rope.spec(factors, wg), new int[]{0, 1, 2, 3},
                        fold(Rope.workgroups(tokens, heads, nRot, wg), limits))), floats(3, ref), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- norm + RoPE (+ KV cache write)

    private static Tolerance normRope(int maxPos) {
        Tolerance r = rope(maxPos);
        return new Tolerance(r.maxNormalizedError() + SUM_F32.maxNormalizedError(), "the sum of the unfused kernels' bounds: " + SUM_F32.why() + "; " + r.why());
    }

    private static float[] proportional(int nRot) {
        float[] f = new float[nRot / 2];
        for (int i = 0; i < f.length; i++) f[i] = i < nRot / 8 ? 1f : 1e30f; // Gemma 4's rope_freqs: p = 0.25
        return f;
    }

    public static ChainCase normRopeQuery(int tokens, int heads, int headDim, int nRot, float base, float posScale, boolean factors, int pos0, int wg) {
        return new Chain(factors ? "norm_rope_q_factors" : "norm_rope_q", "tokens=" + tokens + " heads=" + heads + " head_dim=" + headDim
                + " n_rot=" + nRot + " base=" + base + " pos_scale=" + posScale + " pos0=" + pos0 + " wg=" + wg, "f32", normRope(pos0 + tokens - 1)) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float eps = 1e-6f;
                float[] x = rnd(r, tokens * heads * headDim, 3f), w = rnd(r, headDim, 2f), f = proportional(nRot);
                float[] ref = NormRope.reference(x, w, tokens, heads, headDim, nRot, base, posScale, factors ? f : null, pos0, eps);
                List<Buffer> b = List.of(Buffer.uniform("params", NormRope.params(tokens, heads, headDim, nRot, base, posScale, eps, tokens)),
                        Buffer.input("step", StepWords.of(pos0)), Buffer.input("factor", f), Buffer.input("w", w), Buffer.input("x", x),
                        Buffer.output("y", x.length));
                return new Prepared(b, List.of(new Dispatch(NormRope.querySpec(factors, wg), new int[]{0, 1, 2, 3, 4, 5},
                        fold(NormRope.workgroups(tokens, heads), limits))), floats(5, ref), Map.of());
            }
        };
    }

    public static ChainCase normRopeKv(int tokens, int heads, int headDim, int nRot, float base, boolean factors, boolean valueNorm, int ring,
                                       int pos0, int wg) {
        return new Chain("norm_rope_kv", "tokens=" + tokens + " kv_heads=" + heads + " head_dim=" + headDim + " n_rot=" + nRot + " base=" + base
                + " factors=" + factors + " v_norm=" + valueNorm + " ring=" + ring + " pos0=" + pos0 + " wg=" + wg, "f32", normRope(pos0 + tokens - 1)) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float eps = 1e-6f;
                int row = heads * headDim;
                float[] k = rnd(r, tokens * row, 3f), v = rnd(r, tokens * row, 3f), w = rnd(r, headDim, 2f), f = proportional(nRot);
                float[] kc = rnd(r, ring * row, 1f), vc = rnd(r, ring * row, 1f);
                float[] kRef = NormRope.reference(k, w, tokens, heads, headDim, nRot, base, 1f, factors ? f : null, pos0, eps);
                float[] vRef = valueNorm ? dev.rullama.shaders.RmsNorm.reference(v, null, tokens * heads, headDim, eps) : v;
                List<Buffer> b = List.of(Buffer.uniform("params", NormRope.params(tokens, heads, headDim, nRot, base, 1f, eps, ring)),
                        Buffer.input("step", StepWords.of(pos0)), Buffer.input("factor", f), Buffer.input("w", w), Buffer.input("k", k),
                        Buffer.inout("k_cache", kc), Buffer.input("v", v), Buffer.inout("v_cache", vc));
                return new Prepared(b, List.of(new Dispatch(NormRope.kvSpec(factors, valueNorm, wg), new int[]{0, 1, 2, 3, 4, 5, 6, 7},
                        fold(NormRope.workgroups(tokens, heads), limits))),
                        floats(5, KvCacheWrite.reference(kc, kRef, row, tokens, ring, pos0), 7, KvCacheWrite.reference(vc, vRef, row, tokens, ring, pos0)),
                        Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- elementwise

    public static ChainCase elementwise(Elementwise.Op op, int n, int wg) {
        return elementwise(op, n, wg, null);
    }

    /** Huge and tiny arguments (tanh and exp overflow): the output must stay finite; the error is relative to the huge ones. */
    public static ChainCase elementwiseExtremes(Elementwise.Op op) {
        return elementwise(op, 10, 64, new float[]{50f, -50f, 1e4f, -1e4f, 3e19f, -3e19f, 1e-4f, 0f, -1e-30f, 1e-30f});
    }

    /** 801 arguments evenly over [-range, range] (softcap: range 30 crosses tanh's polynomial / exponential switch). */
    public static ChainCase elementwiseEven(Elementwise.Op op, float range) {
        float[] x = new float[801];
        for (int i = 0; i < x.length; i++) x[i] = (i - 400) / 400f * range;
        return elementwise(op, x.length, 64, x);
    }

    private static ChainCase elementwise(Elementwise.Op op, int n, int wg, float[] fixed) {
        return new Chain("elementwise_" + op.name().toLowerCase(java.util.Locale.ROOT), "n=" + n + " wg=" + wg + (fixed == null ? "" : fixed.length == 10 ? " extremes" : " evenly over [-" + fixed[fixed.length - 1] + ", " + fixed[fixed.length - 1] + "]"),
                "f32", ELEMENT_F32) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                // one element is compared to itself, not to a vector's maximum: keep it where GELU's output is not tiny
                float scale = n == 1 ? 1.5f : op == Elementwise.Op.SOFTCAP ? 100f : op == Elementwise.Op.GEGLU || op == Elementwise.Op.GELU ? 8f : 3f;
                float[] x = fixed != null ? fixed.clone() : rnd(r, n, scale);
                float[] bv = op == Elementwise.Op.SCALE ? new float[]{0.37f} : rnd(r, n, 2f);
                float c = op == Elementwise.Op.ADD_SCALE ? (float) (1 / Math.sqrt(2)) : 30f;
                float[] ref = Elementwise.reference(op, x, bv, c);
                List<Buffer> b = List.of(Buffer.uniform("params", Elementwise.params(n, c)), Buffer.input("b", bv), Buffer.inout("x", x));
                return new Prepared(b, List.of(new Dispatch(Elementwise.spec(op, wg), new int[]{0, 1, 2},
                        fold(Elementwise.workgroups(n, wg), limits))), floats(2, ref), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- add + rmsnorm

    public static ChainCase addRmsNorm(int rows, int n, boolean post, boolean scale, int wg) {
        return new Chain("add_rmsnorm", "rows=" + rows + " n=" + n + " post=" + post + " scale=" + scale + " wg=" + wg, "f32", SUM_F32) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float eps = 1e-6f;
                float[] x = rnd(r, rows * n, 10f), f = rnd(r, rows * n, 0.5f), wp = rnd(r, n, 2f), wn = rnd(r, n, 2f), s = {0.8f};
                AddRmsNorm.Result ref = AddRmsNorm.reference(x, f, post ? wp : null, wn, scale ? s : null, rows, n, eps);
                List<Buffer> b = List.of(Buffer.uniform("params", AddRmsNorm.params(n, rows, eps)), Buffer.input("f", f), Buffer.input("w_post", wp),
                        Buffer.input("w_next", wn), Buffer.input("s", s), Buffer.inout("x", x), Buffer.output("y", rows * n));
                return new Prepared(b, List.of(new Dispatch(AddRmsNorm.spec(post, scale, wg), new int[]{0, 1, 2, 3, 4, 5, 6}, fold(rows, limits))),
                        floats(5, ref.x(), 6, ref.y()), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- KV cache write

    public static ChainCase kvWrite(int tokens, int row, int ring, int pos0) {
        return new Chain("kv_write", "tokens=" + tokens + " row=" + row + " ring=" + ring + " pos0=" + pos0, "f32", EXACT) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                int wg = 256;
                float[] k = rnd(r, tokens * row, 1f), v = rnd(r, tokens * row, 1f);
                float[] kc = rnd(r, ring * row, 1f), vc = rnd(r, ring * row, 1f);
                List<Buffer> b = List.of(Buffer.uniform("params", KvCacheWrite.params(row, tokens, ring)), Buffer.input("step", StepWords.of(pos0)),
                        Buffer.input("k", k), Buffer.input("v", v), Buffer.inout("k_cache", kc), Buffer.inout("v_cache", vc));
                return new Prepared(b, List.of(new Dispatch(KvCacheWrite.spec(wg), new int[]{0, 1, 2, 3, 4, 5},
                        fold(KvCacheWrite.workgroups(row, tokens, wg), limits))),
                        floats(4, KvCacheWrite.reference(kc, k, row, tokens, ring, pos0), 5, KvCacheWrite.reference(vc, v, row, tokens, ring, pos0)), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- copy (bandwidth probe)

    /** {@code vec4s} random vec4&lt;u32&gt; words copied into a poisoned output; every word must arrive, nothing past it. */
    public static ChainCase copy(int vec4s, int wg) {
        return new Chain("copy_vec4", "n=" + vec4s + " vec4 wg=" + wg, "u32", EXACT) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                int[] src = new int[4 * vec4s];
                for (int i = 0; i < src.length; i++) {
                    int v = r.nextInt();
                    src[i] = v == ConformanceHarness.POISON ? 0 : v;
                }
                List<Buffer> b = List.of(Buffer.uniform("params", CopyVec4.params(vec4s)), Buffer.input("src", src), Buffer.output("dst", src.length));
                return new Prepared(b, List.of(new Dispatch(CopyVec4.spec(wg), new int[]{0, 1, 2}, fold(CopyVec4.workgroups(vec4s, wg), limits))),
                        Map.of(), ints(2, CopyVec4.reference(src, vec4s)));
            }
        };
    }

    // ---------------------------------------------------------------- attention

    /**
     * @param window 0 for full attention
     * @param qScale multiplies the random q, to test larger scores
     */
    public static ChainCase attention(String what, int tokens, int heads, int kvHeads, int headDim, int window, int ring, int pos0,
                                      int splits, float scale, int bq, int wg, float qScale) {
        return new Chain(tokens == 1 ? "attention_decode" : "attention_prefill", what + ": tokens=" + tokens + " heads=" + heads + "/" + kvHeads
                + " head_dim=" + headDim + " window=" + window + " ring=" + ring + " pos0=" + pos0 + " splits=" + splits + " scale=" + scale
                + " bq=" + bq + " wg=" + wg, "f32", ATTENTION) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float[] q = rnd(r, tokens * heads * headDim, qScale);
                float[] kc = rnd(r, ring * kvHeads * headDim, 1f), vc = rnd(r, ring * kvHeads * headDim, 1f);
                float[] ref = FlashAttention.reference(q, kc, vc, tokens, heads, kvHeads, headDim, window, ring, pos0, scale);
                List<Buffer> b = List.of(Buffer.uniform("params", FlashAttention.params(tokens, heads, kvHeads, window, ring, splits, scale)),
                        Buffer.input("step", StepWords.of(pos0)), Buffer.input("q", q), Buffer.input("k_cache", kc), Buffer.input("v_cache", vc),
                        Buffer.output("part", FlashAttention.partWords(tokens, heads, splits, headDim)), Buffer.output("out", ref.length));
                int[] all = {0, 1, 2, 3, 4, 5, 6};
                List<Dispatch> d = new ArrayList<>();
                d.add(new Dispatch(FlashAttention.partialSpec(headDim, bq, wg), all, fold(FlashAttention.partialWorkgroups(tokens, heads, splits, bq), limits)));
                if (splits > 1) d.add(new Dispatch(FlashAttention.combineSpec(headDim, Math.min(wg, 256)), all, fold(FlashAttention.combineWorkgroups(tokens, heads), limits)));
                return new Prepared(b, d, floats(6, ref), Map.of());
            }
        };
    }

    // ---------------------------------------------------------------- argmax and sampling

    private static java.util.function.Consumer<float[]> tiesAt(int n, int first, int second) {
        return a -> {
            a[first] = 7f;
            if (second >= 0) a[second] = 7f;
            if (n > 10) { a[3] = Float.NaN; a[4] = Float.POSITIVE_INFINITY * -1; a[n - 2] = Float.NaN; }
        };
    }

    public static ChainCase argmax(String what, int n, int wg, int groups, java.util.function.Consumer<float[]> plant) {
        return new Chain("argmax", what + ": n=" + n + " wg=" + wg + " groups=" + (groups == 0 ? "default" : groups), "f32->u32", EXACT) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float[] logits = rnd(r, n, 5f);
                plant.accept(logits);
                int g = groups == 0 ? Argmax.groups(n, wg) : groups;
                List<Buffer> b = List.of(Buffer.uniform("params", Argmax.params(n, g)), Buffer.input("logits", logits),
                        Buffer.output("part", 2 * g), Buffer.output("token", 1));
                int[] all = {0, 1, 2, 3};
                return new Prepared(b, List.of(new Dispatch(Argmax.partialSpec(wg), all, fold(g, limits)), new Dispatch(Argmax.mergeSpec(wg), all, new Grid(1, 1, 1))),
                        Map.of(), ints(3, new int[]{Argmax.reference(logits)}));
            }
        };
    }

    /** Sampling configurations whose every draw must be the argmax. */
    public static ChainCase sampleGreedy(String what, int n, int topK, float temperature, float topP, java.util.function.Consumer<float[]> plant) {
        float minP = topP == 1f ? 1f : 0f;
        return new Chain("sample_topk", what + ": n=" + n + " k=" + topK + " T=" + temperature + " top_p=" + topP + " min_p=" + minP, "f32->u32", EXACT) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                int wg = 256, draws = 16;
                float[] logits = rnd(r, n, 5f);
                plant.accept(logits);
                int g = TopKSampler.groups(n, wg);
                List<Buffer> b = List.of(Buffer.uniform("params", TopKSampler.params(n, g, topK, temperature, topP, minP, r.nextInt(), draws)),
                        Buffer.input("step", StepWords.of(0, r.nextInt())), Buffer.input("logits", logits),
                        Buffer.output("part", TopKSampler.partWords(g, topK)), Buffer.output("token", draws));
                int[] expected = new int[draws];
                Arrays.fill(expected, Argmax.reference(logits));
                int[] all = {0, 1, 2, 3, 4};
                return new Prepared(b, List.of(new Dispatch(TopKSampler.partialSpec(wg), all, fold(g, limits)),
                        new Dispatch(TopKSampler.mergeSpec(wg), all, new Grid(1, 1, 1))), Map.of(), ints(4, expected));
            }
        };
    }

    // ---------------------------------------------------------------- MoE router

    public static ChainCase moe(int rows, int experts, int k, boolean scale, int wg, boolean ties) {
        return new Chain(scale ? "moe_router" : "moe_router_noscale", "rows=" + rows + " experts=" + experts + " k=" + k + " wg=" + wg
                + (ties ? " ties" : ""), "f32->u32,f32", ROUTER) {
            public Prepared prepare(Random r, DeviceLimits limits) {
                float[] logits = rnd(r, rows * experts, 4f);
                if (ties) for (int row = 0; row < rows; row++) {
                    logits[row * experts + 100] = 9f;
                    logits[row * experts + 7] = 9f;
                    logits[row * experts + 50] = Float.NaN;
                }
                float[] s = rnd(r, experts, 1f);
                for (int i = 0; i < s.length; i++) s[i] = 0.5f + Math.abs(s[i]);
                MoeRouter.Result ref = MoeRouter.reference(logits, scale ? s : null, rows, experts, k);
                List<Buffer> b = List.of(Buffer.uniform("params", MoeRouter.params(experts, k, rows)), Buffer.input("logits", logits),
                        Buffer.input("expert_scale", s), Buffer.output("ids", rows * k), Buffer.output("weight", rows * k));
                return new Prepared(b, List.of(new Dispatch(MoeRouter.spec(scale, wg), new int[]{0, 1, 2, 3, 4}, fold(rows, limits))),
                        floats(4, ref.weights()), ints(3, ref.ids()));
            }
        };
    }
}
