package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Greedy sampling on the GPU ({@code argmax.wgsl}): the index of the largest logit, ties to the lowest index, NaN and
 * -inf never chosen, as {@code dev.rullama.gemma.sampling.Sampler.argmax}. Two dispatches with the same four bindings
 * (params, logits, part [groups * 2] u32, token [1] u32): {@link #partialSpec} on {@code groups} workgroups, then
 * {@link #mergeSpec} on one.
 */
public final class Argmax {
    public static final String FILE = "argmax";

    private Argmax() {}

    private static final String[] BINDINGS = {"params:U", "logits:R", "part:W", "token:W"};

    public static KernelSpec partialSpec(int workgroupSize) {
        return new KernelSpec("argmax_partial", WgslSource.load(FILE), "partial", Map.of("WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    public static KernelSpec mergeSpec(int workgroupSize) {
        return new KernelSpec("argmax_merge", WgslSource.load(FILE), "merge", Map.of("WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    /** A default split: chunks of 16 elements per invocation, at most 1024 groups. */
    public static int groups(int n, int workgroupSize) {
        return (int) Math.min(1024, Math.max(1, Bindings.ceilDiv(n, 16L * workgroupSize)));
    }

    /** The uniform block: n, chunk, groups, padding. */
    public static int[] params(int n, int groups) {
        int chunk = (int) Bindings.ceilDiv(n, groups);
        return new int[]{n, chunk, groups, 0};
    }

    /** Reference: lowest index of the maximum; NaN and -inf skipped; -1 (0xFFFFFFFF) when nothing is selectable. */
    public static int reference(float[] logits) {
        int best = -1;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (Float.isNaN(v) || v == Float.NEGATIVE_INFINITY) continue;
            if (best < 0 || v > logits[best]) best = i;
        }
        return best;
    }
}
