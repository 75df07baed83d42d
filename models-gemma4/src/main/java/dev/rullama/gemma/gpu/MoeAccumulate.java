package dev.rullama.gemma.gpu;

import dev.rullama.api.Access;
import dev.rullama.api.KernelSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The weighted sum of expert outputs on the all-experts path of {@code ForwardPass.experts} ({@code moe_accumulate.wgsl},
 * private to this package): {@code acc[t] += c[t] · y[t]} with {@code c[t]} the router weight of {@code expert} for
 * token t (0 when t did not route to it). The by-id path needs no such kernel: its down projection sums the weighted
 * slots itself ({@code ExpertMatVec.Mode.WEIGHTED_SUM}). Checked against {@link #reference} by {@code MoeAccumulateTest}.
 */
final class MoeAccumulate {
    static final String RESOURCE = "moe_accumulate.wgsl";
    private static final String WGSL = load();

    private MoeAccumulate() {}

    /** Bindings: params, ids (u32 [T][k]), weight (f32 [T][k]), y (f32 [T][dim]), acc (f32 [T][dim], updated). */
    static KernelSpec spec(int workgroupSize) {
        return new KernelSpec("gemma_moe_accumulate", WGSL, "main", Map.of("WG", (double) workgroupSize),
                List.of(new KernelSpec.Binding(0, "params", Access.UNIFORM), new KernelSpec.Binding(1, "ids", Access.READ),
                        new KernelSpec.Binding(2, "weight", Access.READ), new KernelSpec.Binding(3, "y", Access.READ),
                        new KernelSpec.Binding(4, "acc", Access.READ_WRITE)));
    }

    /** The uniform block: dim, tokens, k, expert. */
    static int[] params(int dim, int tokens, int k, int expert) {
        return new int[]{dim, tokens, k, expert};
    }

    static long workgroups(int dim, int tokens, int workgroupSize) {
        return Math.max(1, ((long) dim * tokens + workgroupSize - 1) / workgroupSize);
    }

    /** Reference: a new acc. */
    static float[] reference(float[] acc, int[] ids, float[] weight, float[] y, int dim, int tokens, int k, int expert) {
        float[] out = acc.clone();
        for (int t = 0; t < tokens; t++) {
            float c = 0;
            for (int j = 0; j < k; j++) if (ids[t * k + j] == expert) c += weight[t * k + j];
            if (c != 0) for (int i = 0; i < dim; i++) out[t * dim + i] = out[t * dim + i] + c * y[t * dim + i];
        }
        return out;
    }

    private static String load() {
        try (InputStream in = MoeAccumulate.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException(RESOURCE + " is missing from the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
