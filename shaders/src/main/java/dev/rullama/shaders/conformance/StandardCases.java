package dev.rullama.shaders.conformance;

import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.MatVecF32;
import dev.rullama.shaders.RmsNorm;

import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The cases every backend must pass. Shapes are chosen to exercise tails (sizes that are not multiples of the
 * workgroup size), single-element edges, Gemma's real widths, and the folding of more than 65535 rows into a
 * two-dimensional dispatch.
 */
public final class StandardCases {
    private StandardCases() {}

    // f32 sums over n terms in another order than the double reference: relative error grows like n·2^-24 in the
    // worst case, ~sqrt(n)·2^-24 typically; 2e-5 covers n ≤ 16384 with margin while catching any real bug
    // (a wrong index or a missed term is an error of order 1/n or larger).
    private static final Tolerance SUM_F32 = new Tolerance(2e-5,
            "f32 accumulation in a different order than the double reference; n <= 16384");

    public static List<KernelCase> all() {
        return List.of(
                rmsNorm(1, 1, true, 256), rmsNorm(3, 1000, true, 256), rmsNorm(2, 1536, true, 64), rmsNorm(8, 256, false, 256),
                rmsNorm(5, 512, false, 128), rmsNorm(1, 16384, true, 256),
                matVec(1, 1, 256), matVec(7, 1000, 256), matVec(64, 1536, 128), matVec(300, 257, 64), matVec(70_001, 3, 64),
                matVec(16, 16384, 256));
    }

    public static KernelCase rmsNorm(int rows, int n, boolean weight, int wg) {
        return new KernelCase() {
            public String kernel() { return weight ? "rmsnorm" : "rmsnorm_noweight"; }
            public String shape() { return "rows=" + rows + " n=" + n + " wg=" + wg; }
            public String dtype() { return "f32"; }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return RmsNorm.spec(weight, wg); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                float eps = 1e-6f;
                float[] x = KernelCase.randomFloats(r, rows * n, 3f);
                float[] w = KernelCase.randomFloats(r, n, 2f);
                float[] y = RmsNorm.reference(x, weight ? w : null, rows, n, eps);
                return new Prepared(List.of(RmsNorm.params(n, rows, eps), KernelCase.bits(x), KernelCase.bits(w), new int[y.length]),
                        Grid.fold(rows, limits), Map.of(3, y));
            }
        };
    }

    public static KernelCase matVec(int rows, int cols, int wg) {
        return new KernelCase() {
            public String kernel() { return "matvec_f32"; }
            public String shape() { return "rows=" + rows + " cols=" + cols + " wg=" + wg; }
            public String dtype() { return "f32"; }
            public Tolerance tolerance() { return SUM_F32; }
            public KernelSpec spec() { return MatVecF32.spec(wg); }
            public Prepared prepare(Random r, DeviceLimits limits) {
                float[] w = KernelCase.randomFloats(r, rows * cols, 1f);
                float[] x = KernelCase.randomFloats(r, cols, 1f);
                float[] y = MatVecF32.reference(w, x, rows, cols);
                return new Prepared(List.of(MatVecF32.params(rows, cols), KernelCase.bits(w), KernelCase.bits(x), new int[rows]),
                        Grid.fold(rows, limits), Map.of(3, y));
            }
        };
    }
}
