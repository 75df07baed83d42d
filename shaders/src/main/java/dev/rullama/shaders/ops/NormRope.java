package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.RmsNorm;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Per-head RMSNorm fused with RoPE ({@code norm_rope.wgsl}), one dispatch instead of the chain
 * {@link RmsNorm} → {@link Rope} (queries) or {@link RmsNorm} → {@link Rope} → V-norm → {@link KvCacheWrite} (keys
 * and values): {@link #querySpec} writes {@code rope(rmsnorm(x) · w)} for [tokens][heads][head_dim]; {@link #kvSpec}
 * writes the same of the keys into the key cache and {@code rmsnorm_noweight(v)} (or v itself) into the value cache,
 * at slot {@code (pos0 + t) % ring}. The f32 operations per element are those of the unfused kernels.
 */
public final class NormRope {
    public static final String FILE = "norm_rope";

    private NormRope() {}

    /** Bindings: params, step, factor, w, x, y. Without factors, bind any non-empty tensor as {@code factor}. */
    public static KernelSpec querySpec(boolean withFactors, int workgroupSize) {
        require(workgroupSize);
        return new KernelSpec(withFactors ? "norm_rope_q_factors" : "norm_rope_q", WgslSource.load(FILE), "main_q",
                Map.of("WG", (double) workgroupSize, "HAS_FACTORS", withFactors ? 1.0 : 0.0),
                Bindings.of("params:U", "step:R", "factor:R", "w:R", "x:R", "y:W"));
    }

    /** Bindings: params, step, factor, w (k_norm), k, k_cache, v, v_cache. K = V layers bind the raw keys as v. */
    public static KernelSpec kvSpec(boolean withFactors, boolean valueNorm, int workgroupSize) {
        require(workgroupSize);
        return new KernelSpec("norm_rope_kv" + (withFactors ? "_factors" : "") + (valueNorm ? "" : "_vcopy"), WgslSource.load(FILE), "main_kv",
                Map.of("WG", (double) workgroupSize, "HAS_FACTORS", withFactors ? 1.0 : 0.0, "V_NORM", valueNorm ? 1.0 : 0.0),
                Bindings.of("params:U", "step:R", "factor:R", "w:R", "x:R", "k_cache:W", "v:R", "v_cache:W"));
    }

    private static void require(int workgroupSize) {
        Bindings.require(Bindings.powerOfTwo(workgroupSize), "the workgroup size must be a power of two, not " + workgroupSize);
    }

    /**
     * The uniform block: tokens, heads, head_dim, n_rot, log2(theta_base) (from the double base), pos_scale, eps,
     * ring (the cache's slots for {@link #kvSpec}; ignored by {@link #querySpec}).
     */
    public static int[] params(int tokens, int heads, int headDim, int nRot, double thetaBase, float posScale, float eps, int ring) {
        Bindings.require(nRot > 0 && nRot % 2 == 0 && nRot <= headDim, "rotary dims must be even, positive and <= head_dim, not " + nRot);
        Bindings.require(ring >= tokens, "a batch of " + tokens + " tokens does not fit a ring of " + ring + " slots");
        return new int[]{tokens, heads, headDim, nRot, Bindings.f((float) (Math.log(thetaBase) / Math.log(2))), Bindings.f(posScale),
                Bindings.f(eps), ring};
    }

    /** One workgroup per (token, head); fold with {@link dev.rullama.shaders.Grid#fold}. */
    public static long workgroups(int tokens, int heads) {
        return Math.max(1, (long) tokens * heads);
    }

    /** Reference: {@link Rope#reference} of {@link RmsNorm#reference} per head. */
    public static float[] reference(float[] x, float[] w, int tokens, int heads, int headDim, int nRot, double thetaBase,
                                    double posScale, float[] factors, int pos0, float eps) {
        float[] n = RmsNorm.reference(x, w, tokens * heads, headDim, eps);
        return Rope.reference(n, tokens, heads, headDim, nRot, thetaBase, posScale, factors, pos0);
    }
}
