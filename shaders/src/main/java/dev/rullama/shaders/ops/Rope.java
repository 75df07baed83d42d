package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Rotary position embedding, NeoX pairing, in place ({@code rope.wgsl}): dims i and i + n/2 of each head rotate by
 * {@code theta_i = pos * posScale * base^(-2i/n) / factor[i]}. One kernel serves Gemma 4 sliding layers (n = 256,
 * base 1e4), Gemma 4 full layers (n = 512, base 1e6, {@code rope_freqs} factors 1 / 1e30, i.e. proportional RoPE),
 * and Gemma 3 (base 1e4 / 1e6, linear scaling x8 on globals as posScale = 1/8). The position of token 0 is read from
 * the {@link StepWords} tensor.
 */
public final class Rope {
    public static final String FILE = "rope";

    private Rope() {}

    /** Bindings: params, step, factor, x. Without factors, bind any non-empty tensor as {@code factor}. */
    public static KernelSpec spec(boolean withFactors, int workgroupSize) {
        return new KernelSpec(withFactors ? "rope_factors" : "rope", WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "HAS_FACTORS", withFactors ? 1.0 : 0.0),
                Bindings.of("params:U", "step:R", "factor:R", "x:W"));
    }

    /** The uniform block: tokens, heads, head_dim, n_rot, log2(theta_base), pos_scale, padding. */
    public static int[] params(int tokens, int heads, int headDim, int nRot, float thetaBase, float posScale) {
        Bindings.require(nRot > 0 && nRot % 2 == 0 && nRot <= headDim, "rotary dims must be even, positive and <= head_dim, not " + nRot);
        return new int[]{tokens, heads, headDim, nRot, Bindings.f((float) (Math.log(thetaBase) / Math.log(2))), Bindings.f(posScale), 0, 0};
    }

    /** Workgroups of one dispatch (fold with {@link dev.rullama.shaders.Grid#fold}). */
    public static long workgroups(int tokens, int heads, int nRot, int workgroupSize) {
        return Math.max(1, Bindings.ceilDiv((long) tokens * heads * (nRot / 2), workgroupSize));
    }

    /**
     * Reference in double: returns a rotated copy of {@code x} [tokens][heads][headDim] for positions pos0 + t.
     * {@code factors} may be null.
     */
    public static float[] reference(float[] x, int tokens, int heads, int headDim, int nRot, double thetaBase,
                                    double posScale, float[] factors, int pos0) {
        float[] y = x.clone();
        int half = nRot / 2;
        for (int t = 0; t < tokens; t++) {
            double pos = (double) (pos0 + t) * posScale;
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * headDim;
                for (int i = 0; i < half; i++) {
                    double theta = pos * Math.pow(thetaBase, -2.0 * i / nRot);
                    if (factors != null) theta /= factors[i];
                    double c = Math.cos(theta), s = Math.sin(theta);
                    double a = x[base + i], b = x[base + i + half];
                    y[base + i] = (float) (a * c - b * s);
                    y[base + i + half] = (float) (b * c + a * s);
                }
            }
        }
        return y;
    }
}
