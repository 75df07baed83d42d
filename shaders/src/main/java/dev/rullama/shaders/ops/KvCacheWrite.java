package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * Writes a batch's keys and values into a KV cache ({@code kv_write.wgsl}): token t goes to slot
 * {@code (pos0 + t) % ring}. Sliding layers keep a ring of at least the window (window + batch - 1 for a prefill
 * batch, see {@link FlashAttention}); full layers pass their capacity as the ring.
 */
public final class KvCacheWrite {
    public static final String FILE = "kv_write";

    private KvCacheWrite() {}

    /** Bindings: params, step, k, v, k_cache, v_cache. */
    public static KernelSpec spec(int workgroupSize) {
        return new KernelSpec("kv_write", WgslSource.load(FILE), "main", Map.of("WG", (double) workgroupSize),
                Bindings.of("params:U", "step:R", "k:R", "v:R", "k_cache:W", "v_cache:W"));
    }

    /** The uniform block: row (= kv_heads * head_dim), tokens, ring, padding. */
    public static int[] params(int row, int tokens, int ring) {
        Bindings.require(tokens >= 1 && tokens <= ring, "a batch of " + tokens + " tokens does not fit a ring of " + ring + " slots");
        return new int[]{row, tokens, ring, 0};
    }

    public static long workgroups(int row, int tokens, int workgroupSize) {
        return Math.max(1, Bindings.ceilDiv((long) row * tokens, workgroupSize));
    }

    /** Reference: a copy of {@code cache} [ring][row] with rows[t] stored at slot (pos0 + t) % ring. */
    public static float[] reference(float[] cache, float[] rows, int row, int tokens, int ring, int pos0) {
        float[] out = cache.clone();
        for (int t = 0; t < tokens; t++)
            System.arraycopy(rows, t * row, out, ((pos0 + t) % ring) * row, row);
        return out;
    }
}
