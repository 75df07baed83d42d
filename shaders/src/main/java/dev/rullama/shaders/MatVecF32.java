package dev.rullama.shaders;

import dev.rullama.api.Access;
import dev.rullama.api.KernelSpec;

import java.util.List;
import java.util.Map;

/**
 * Matrix–vector product with f32 weights ({@code matvec_f32.wgsl}): {@code y[r] = Σ_c W[r,c]·x[c]}, W row-major
 * [rows][cols] as GGUF stores it. The quantized variants of later kernels reduce to this one after dequantization,
 * so its {@link #reference} is also their oracle.
 */
public final class MatVecF32 {
    public static final String FILE = "matvec_f32";

    private MatVecF32() {}

    public static KernelSpec spec(int workgroupSize) {
        return new KernelSpec("matvec_f32", WgslSource.load(FILE), "main", Map.of("WG", (double) workgroupSize),
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "W", Access.READ),
                        new KernelSpec.Binding(2, "x", Access.READ), new KernelSpec.Binding(3, "y", Access.READ_WRITE)));
    }

    /** The uniform block: rows, cols, padding. */
    public static int[] params(int rows, int cols) {
        return new int[]{rows, cols, 0, 0};
    }

    /** Reference: accumulates in double, rounds once. */
    public static float[] reference(float[] w, float[] x, int rows, int cols) {
        float[] y = new float[rows];
        for (int r = 0; r < rows; r++) {
            double acc = 0;
            for (int c = 0; c < cols; c++) acc += (double) w[r * cols + c] * x[c];
            y[r] = (float) acc;
        }
        return y;
    }
}
