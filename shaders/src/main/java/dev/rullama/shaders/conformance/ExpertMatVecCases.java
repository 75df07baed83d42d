package dev.rullama.shaders.conformance;

import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.ExpertMatVec;
import dev.rullama.shaders.ExpertMatVec.Mode;
import dev.rullama.shaders.ExpertMatVec.Shape;
import dev.rullama.shaders.QuantMatVec;
import dev.rullama.shaders.quant.RandomWeights;
import dev.rullama.shaders.quant.RandomWeights.Scales;
import dev.rullama.shaders.quant.UnitLayout;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Conformance cases of the id-indexed expert product ({@link ExpertMatVec}): the types real expert stacks use (Q4_K,
 * Q6_K, Q5_0, Q8_0, Q4_0, MXFP4) and the plain ones, in both modes, with row counts that are not a multiple of the
 * rows per workgroup, a run of rows inside each expert (the up half of a fused gate/up stack), the same expert in
 * several slots and tokens, the first and the last expert, an id past the stack (adds 0), and odd 32-element block
 * counts so that rows of the stack start mid-word. The harness poisons the output and guards every binding.
 */
public final class ExpertMatVecCases {
    private ExpertMatVecCases() {}

    /**
     * As {@link QuantMatVecCases#SUM_F32}: weights decoded exactly, f32 sums in another order than the double
     * reference; a weighted sum over k slots adds k·cols terms with weights in [0, 1), still far below n = 16384.
     */
    public static final Tolerance SUM_F32 = QuantMatVecCases.SUM_F32;

    /** The types of the expert stacks in real blobs first, then the plain ones. */
    public static final List<GgmlType> TYPES = List.of(GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.MXFP4, GgmlType.F16, GgmlType.BF16, GgmlType.F32);

    public static List<KernelCase> all() {
        List<KernelCase> out = new ArrayList<>();
        for (GgmlType t : TYPES) {
            UnitLayout l = UnitLayout.of(t);
            int be = l.tail() ? 1 : l.blockElements();
            // 3 blocks (odd rows of 32-element types start mid-word); the plain types a partial pseudo-block
            int cols = l.tail() ? 100 : 3 * be;
            // 5 experts of 40 rows, rows 3..32 of each: 30 rows, not a multiple of the 4 or 32 rows per workgroup
            out.add(perSlot(t, 5, 40, 3, 30, cols, 3, 2, new int[]{0, 4, 4, 2, 0, 0}));
            // down-like: the router-weighted sum over each token's 3 slots, an id past the stack in token 1
            out.add(weightedSum(t, 6, 37, cols, 3, 3, new int[]{5, 0, 5, 2, 6, 0, 1, 1, 5}));
        }
        // Gemma 4 26B-A4B widths, decode: gate (Q4_K, 704 of 1408 rows of 2816) for 8 slots, down (Q8_0, 704 columns)
        out.add(perSlot(GgmlType.Q4_K, 9, 1408, 704, 704, 2816, 1, 8, new int[]{8, 0, 3, 5, 1, 7, 2, 6}));
        out.add(weightedSum(GgmlType.Q8_0, 9, 2816, 704, 2, 8, new int[]{8, 0, 3, 5, 1, 7, 2, 6, 0, 8, 8, 4, 4, 2, 1, 3}));
        return out;
    }

    public static KernelCase perSlot(GgmlType type, int experts, int expertRows, int firstRow, int rows, int cols, int tokens, int k, int[] ids) {
        return of(new Shape(type, experts, expertRows, firstRow, rows, cols, k, Mode.PER_SLOT), tokens, ids);
    }

    public static KernelCase weightedSum(GgmlType type, int experts, int rows, int cols, int tokens, int k, int[] ids) {
        return of(new Shape(type, experts, rows, 0, rows, cols, k, Mode.WEIGHTED_SUM), tokens, ids);
    }

    /** One dispatch of {@code shape} for {@code tokens} tokens routed to {@code ids} ([tokens·k]). */
    public static KernelCase of(Shape shape, int tokens, int[] ids) {
        if (ids.length != tokens * shape.k()) throw new IllegalArgumentException(ids.length + " ids for " + tokens + " tokens of " + shape.k() + " slots");
        int tpr = ExpertMatVec.defaultThreadsPerRow(shape);
        int wg = Math.max(QuantMatVec.DEFAULT_WG, tpr);
        boolean sum = shape.mode() == Mode.WEIGHTED_SUM;
        return new KernelCase() {
            public String kernel() { return spec().name(); }
            public String shape() {
                return "experts=" + shape.experts() + "x" + shape.expertRows() + " rows=" + shape.firstRow() + "+" + shape.rows() + " cols=" + shape.cols()
                        + " tokens=" + tokens + " k=" + shape.k() + " tpr=" + tpr;
            }
            public String dtype() { return shape.type().name(); }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return ExpertMatVec.spec(shape.type(), tpr, wg, shape.mode()); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                int cols = Math.toIntExact(shape.cols());
                byte[] w = RandomWeights.of(shape.type(), Math.toIntExact(shape.experts() * shape.expertRows()), cols, Scales.MODERATE, r);
                int xRows = sum ? tokens * shape.k() : tokens;
                float[] x = KernelCase.randomFloats(r, xRows * cols, 1f);
                float[] weights = new float[ids.length];
                for (int i = 0; i < weights.length; i++) weights[i] = r.nextFloat();
                float[] y = ExpertMatVec.reference(shape, MemorySegment.ofArray(w), ids, weights, x, tokens);
                int outputs = shape.outputs(tokens);
                return new Prepared(List.of(ExpertMatVec.params(shape, tokens), RandomWeights.words(w), KernelCase.bits(x), ids.clone(),
                        KernelCase.bits(weights), new int[Math.toIntExact(outputs * shape.rows())]),
                        ExpertMatVec.grid(shape, tokens, tpr, wg, limits), Map.of(5, y));
            }
        };
    }
}
