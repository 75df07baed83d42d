package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * The residual add of Gemma's sandwich fused with the norms around it ({@code add_rmsnorm.wgsl}), per row:
 * {@code x = (x + rmsnorm(f) * w_post) * s; y = rmsnorm(x) * w_next}. Replaces post-norm, add, (layer scale) and the
 * next pre-norm: one dispatch instead of three or four.
 */
public final class AddRmsNorm {
    public static final String FILE = "add_rmsnorm";

    private AddRmsNorm() {}

    /** Bindings: params, f, w_post, w_next, s, x (updated), y. Unused operands are bound to any non-empty tensor. */
    public static KernelSpec spec(boolean postNorm, boolean layerScale, int workgroupSize) {
        return new KernelSpec("add_rmsnorm" + (postNorm ? "" : "_nopost") + (layerScale ? "_scaled" : ""), WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "HAS_POST_NORM", postNorm ? 1.0 : 0.0, "HAS_SCALE", layerScale ? 1.0 : 0.0),
                Bindings.of("params:U", "f:R", "w_post:R", "w_next:R", "s:R", "x:W", "y:W"));
    }

    /** The uniform block: n, rows, eps, padding. */
    public static int[] params(int n, int rows, float eps) {
        return new int[]{n, rows, Bindings.f(eps), 0};
    }

    /** The new residual stream and the normalised input of the next sub-layer. */
    public record Result(float[] x, float[] y) {}

    /** Reference in double. {@code wPost} null: no post norm; {@code scale} null: no layer scale. */
    public static Result reference(float[] x, float[] f, float[] wPost, float[] wNext, float[] scale, int rows, int n, float eps) {
        float[] nx = new float[rows * n];
        float[] y = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            int b = r * n;
            double post = 1;
            if (wPost != null) {
                double ss = 0;
                for (int i = 0; i < n; i++) ss += (double) f[b + i] * f[b + i];
                post = 1 / Math.sqrt(ss / n + eps);
            }
            double ss = 0;
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                double g = wPost == null ? f[b + i] : f[b + i] * post * wPost[i];
                v[i] = (x[b + i] + g) * (scale == null ? 1 : scale[0]);
                nx[b + i] = (float) v[i];
                ss += v[i] * v[i];
            }
            double next = 1 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) y[b + i] = (float) (v[i] * next * wNext[i]);
        }
        return new Result(nx, y);
    }
}
