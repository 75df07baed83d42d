package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Elementwise operations in place on x ({@code elementwise.wgsl}): residual add, product, GeGLU with the tanh GELU,
 * a scalar scale read from a [1] tensor (layer_output_scale), the final-logit softcap, plain GELU, and an add followed
 * by a constant factor (PLE's {@code (proj + tokp) / sqrt(2)}).
 */
public final class Elementwise {
    public static final String FILE = "elementwise";

    /** The operation, with its OP override value. */
    public enum Op {
        /** x += b */
        ADD(0),
        /** x *= b */
        MUL(1),
        /** x = gelu_tanh(x) * b */
        GEGLU(2),
        /** x *= b[0] */
        SCALE(3),
        /** x = cap * tanh(x / cap) */
        SOFTCAP(4),
        /** x = gelu_tanh(x) */
        GELU(5),
        /** x = (x + b) * c */
        ADD_SCALE(6);

        final int id;

        Op(int id) { this.id = id; }
    }

    private Elementwise() {}

    /** Bindings: params, b, x. For SOFTCAP and GELU bind any non-empty tensor as b; for SCALE b is the [1] scalar. */
    public static KernelSpec spec(Op op, int workgroupSize) {
        return new KernelSpec("elementwise_" + op.name().toLowerCase(java.util.Locale.ROOT), WgslSource.load(FILE), "main",
                Map.of("WG", (double) workgroupSize, "OP", (double) op.id), Bindings.of("params:U", "b:R", "x:W"));
    }

    /** The uniform block: n, c (the cap of SOFTCAP, the factor of ADD_SCALE; unread otherwise), padding. */
    public static int[] params(int n, float c) {
        return new int[]{n, Bindings.f(c), 0, 0};
    }

    public static long workgroups(int n, int workgroupSize) {
        return Math.max(1, Bindings.ceilDiv(n, workgroupSize));
    }

    /** gelu_pytorch_tanh: 0.5 v (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3))). */
    public static double geluTanh(double v) {
        return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
    }

    /** Reference in double; returns the new x. */
    public static float[] reference(Op op, float[] x, float[] b, float c) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            y[i] = (float) switch (op) {
                case ADD -> v + b[i];
                case MUL -> v * b[i];
                case GEGLU -> geluTanh(v) * b[i];
                case SCALE -> v * b[0];
                case SOFTCAP -> c * Math.tanh(v / c);
                case GELU -> geluTanh(v);
                case ADD_SCALE -> (v + b[i]) * c;
            };
        }
        return y;
    }
}
