package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Attention of T queries (decode: T = 1) over a KV cache, flash style with split-K ({@code attention_flash.wgsl}).
 * Query t sits at position {@code pos0 + t} (pos0 from the {@link StepWords} tensor) and sees the keys at positions
 * {@code first .. pos}, {@code first = window > 0 ? max(0, pos - window + 1) : 0}, each in cache slot
 * {@code key % ring}; GQA maps query head h to kv head {@code h / (heads / kvHeads)}; scores are
 * {@code scale * q.k} (1.0 for Gemma 4, 1/sqrt(head_dim) for Gemma 3).
 *
 * <p>Dispatch {@link #partialSpec} on {@link #partialWorkgroups} workgroups; with {@code splits > 1} follow it with
 * {@link #combineSpec} on {@link #combineWorkgroups}. Both take the same seven bindings: params, step, q, k_cache,
 * v_cache, part ({@link #partWords} floats; any non-empty tensor when splits is 1), out.
 *
 * <p>Choosing the shape: decode uses {@code queriesPerGroup = 1} and enough splits to fill the GPU (heads * splits
 * workgroups, each over ~context / splits keys, e.g. splits = ceil(capacity / 512)); prefill uses 4-8 queries per
 * workgroup (they share each K/V row read) and splits = 1.
 */
public final class FlashAttention {
    public static final String FILE = "attention_flash";
    /** Per-invocation accumulator slots in the WGSL (MAX_DPT): head_dim may be at most this times WG / BQ. */
    public static final int MAX_DIMS_PER_INVOCATION = 16;

    private FlashAttention() {}

    private static final String[] BINDINGS = {"params:U", "step:R", "q:R", "k_cache:R", "v_cache:R", "part:W", "out:W"};

    /** The scoring pass; {@code queriesPerGroup} (BQ) and {@code workgroupSize} powers of two, BQ < WG. */
    public static KernelSpec partialSpec(int headDim, int queriesPerGroup, int workgroupSize) {
        Bindings.require(Bindings.powerOfTwo(queriesPerGroup) && Bindings.powerOfTwo(workgroupSize) && queriesPerGroup < workgroupSize,
                "queries per workgroup (" + queriesPerGroup + ") and workgroup size (" + workgroupSize + ") must be powers of two, BQ < WG");
        int keysPerTile = workgroupSize / queriesPerGroup;
        Bindings.require(headDim >= 1 && headDim <= MAX_DIMS_PER_INVOCATION * keysPerTile,
                "head_dim " + headDim + " needs WG / BQ >= " + Bindings.ceilDiv(headDim, MAX_DIMS_PER_INVOCATION));
        return new KernelSpec("attention_partial", WgslSource.load(FILE), "partial",
                Map.of("HD", (double) headDim, "BQ", (double) queriesPerGroup, "WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    /** The merge of the splits. */
    public static KernelSpec combineSpec(int headDim, int workgroupSize) {
        return new KernelSpec("attention_combine", WgslSource.load(FILE), "combine",
                Map.of("HD", (double) headDim, "WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    /**
     * The uniform block: tokens, heads, kv_heads, window (0 = full attention), ring, splits, scale, padding.
     * For a sliding window the ring must hold {@code window + tokens - 1} slots.
     */
    public static int[] params(int tokens, int heads, int kvHeads, int window, int ring, int splits, float scale) {
        Bindings.require(tokens >= 1 && heads >= 1 && kvHeads >= 1 && heads % kvHeads == 0, "heads " + heads + " / kv heads " + kvHeads);
        Bindings.require(splits >= 1, "splits must be >= 1");
        Bindings.require(window == 0 || ring >= window + tokens - 1,
                "a ring of " + ring + " slots cannot serve window " + window + " for a batch of " + tokens + " (needs window + tokens - 1)");
        return new int[]{tokens, heads, kvHeads, window, ring, splits, Bindings.f(scale), 0};
    }

    public static long partialWorkgroups(int tokens, int heads, int splits, int queriesPerGroup) {
        return Bindings.ceilDiv(tokens, queriesPerGroup) * heads * splits;
    }

    public static long combineWorkgroups(int tokens, int heads) {
        return (long) tokens * heads;
    }

    /** Floats of the split scratch tensor. */
    public static int partWords(int tokens, int heads, int splits, int headDim) {
        return Math.toIntExact((long) tokens * heads * splits * (headDim + 2));
    }

    /** Reference in double: out [tokens][heads][headDim]. */
    public static float[] reference(float[] q, float[] kCache, float[] vCache, int tokens, int heads, int kvHeads, int headDim,
                                    int window, int ring, int pos0, double scale) {
        float[] out = new float[tokens * heads * headDim];
        int group = heads / kvHeads;
        for (int t = 0; t < tokens; t++) {
            int pos = pos0 + t;
            int first = window > 0 ? Math.max(0, pos - window + 1) : 0;
            for (int h = 0; h < heads; h++) {
                int kvh = h / group, qb = (t * heads + h) * headDim;
                int n = pos - first + 1;
                double[] s = new double[n];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    int kb = (((first + j) % ring) * kvHeads + kvh) * headDim;
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) dot += (double) q[qb + d] * kCache[kb + d];
                    s[j] = scale * dot;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) sum += s[j] = Math.exp(s[j] - max);
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) acc += s[j] * vCache[(((first + j) % ring) * kvHeads + kvh) * headDim + d];
                    out[qb + d] = (float) (acc / sum);
                }
            }
        }
        return out;
    }
}
