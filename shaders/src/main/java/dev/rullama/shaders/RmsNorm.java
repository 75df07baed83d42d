package dev.rullama.shaders;

import dev.rullama.api.Access;
import dev.rullama.api.KernelSpec;

import java.util.List;
import java.util.Map;

/**
 * RMSNorm ({@code rmsnorm.wgsl}): per row, {@code y = x / sqrt(mean(x^2) + eps) * w}; without weight for Gemma 4's
 * V-norm. The {@link #reference} is the numeric oracle the conformance suite compares the WGSL with.
 */
public final class RmsNorm {
    public static final String FILE = "rmsnorm";

    private RmsNorm() {}

    /** The kernel; {@code workgroupSize} must be a power of two ≤ the adapter's invocation limit. */
    public static KernelSpec spec(boolean withWeight, int workgroupSize) {
        return new KernelSpec(withWeight ? "rmsnorm" : "rmsnorm_noweight", WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "HAS_WEIGHT", withWeight ? 1.0 : 0.0),
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "x", Access.READ),
                        new KernelSpec.Binding(2, "w", Access.READ), new KernelSpec.Binding(3, "y", Access.READ_WRITE)));
    }

    /** The uniform block: n, rows, eps (as f32 bits), padding. */
    public static int[] params(int n, int rows, float eps) {
        return new int[]{n, rows, Float.floatToRawIntBits(eps), 0};
    }

    /** Reference: accumulates in double, rounds once. {@code w} may be null (no weight). */
    public static float[] reference(float[] x, float[] w, int rows, int n, float eps) {
        float[] y = new float[rows * n];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (double) x[r * n + i] * x[r * n + i];
            double scale = 1.0 / Math.sqrt(ss / n + eps);
            for (int i = 0; i < n; i++) y[r * n + i] = (float) (x[r * n + i] * scale * (w == null ? 1.0 : w[i]));
        }
        return y;
    }
}
