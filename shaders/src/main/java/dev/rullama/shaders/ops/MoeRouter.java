package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * The MoE router's tail on the GPU ({@code moe_router.wgsl}), Gemma 4 26B-A4B: from each row of router logits
 * [experts], the top-k expert ids (ties to the lower id) and weights {@code softmax-renormalised over the k * per-expert
 * scale}. One workgroup per row.
 */
public final class MoeRouter {
    public static final String FILE = "moe_router";
    public static final int MAX_K = 64;

    private MoeRouter() {}

    /** Bindings: params, logits, expert_scale, ids (u32), weight. Without a scale bind any non-empty tensor. */
    public static KernelSpec spec(boolean expertScale, int workgroupSize) {
        return new KernelSpec(expertScale ? "moe_router" : "moe_router_noscale", WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "HAS_EXPERT_SCALE", expertScale ? 1.0 : 0.0),
                Bindings.of("params:U", "logits:R", "expert_scale:R", "ids:W", "weight:W"));
    }

    /** The uniform block: experts, k, rows, padding. */
    public static int[] params(int experts, int k, int rows) {
        Bindings.require(k >= 1 && k <= MAX_K && k <= experts, "k must be 1.." + Math.min(MAX_K, experts) + ", not " + k);
        return new int[]{experts, k, rows, 0};
    }

    /** Ids [rows][k] and weights [rows][k]. */
    public record Result(int[] ids, float[] weights) {}

    /** Reference in double; {@code scale} may be null. */
    public static Result reference(float[] logits, float[] scale, int rows, int experts, int k) {
        int[] ids = new int[rows * k];
        float[] weights = new float[rows * k];
        for (int r = 0; r < rows; r++) {
            float[] row = java.util.Arrays.copyOfRange(logits, r * experts, (r + 1) * experts);
            int[] top = TopKSampler.topK(row, k);
            double total = 0;
            for (int t : top) total += Math.exp((double) row[t] - row[top[0]]);
            for (int j = 0; j < k; j++) {
                if (j >= top.length) { ids[r * k + j] = -1; continue; }
                double w = Math.exp((double) row[top[j]] - row[top[0]]) / total;
                ids[r * k + j] = top[j];
                weights[r * k + j] = (float) (w * (scale == null ? 1 : scale[top[j]]));
            }
        }
        return new Result(ids, weights);
    }
}
