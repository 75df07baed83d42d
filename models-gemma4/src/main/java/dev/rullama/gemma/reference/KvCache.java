package dev.rullama.gemma.reference;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.LayerConfig;

/**
 * A session's KV cache: a {@link SlidingWindowKvCache} for each KV-owning sliding layer, a {@link FullKvCache} for
 * each KV-owning full layer, and nothing for KV-shared layers, which read their donor's (spec §3.2). Prefill chunks
 * and single-token decodes write and read the same structures.
 */
final class KvCache {
    private final LayerKvCache[] byLayer;

    /**
     * @param chunk the most tokens one forward step processes at once; sliding rings are sized {@code window + chunk − 1}
     */
    KvCache(GemmaConfig config, int contextLength, int chunk) {
        byLayer = new LayerKvCache[config.blockCount()];
        for (LayerConfig l : config.layers()) {
            if (!l.ownsKv()) continue;
            byLayer[l.index()] = l.sliding()
                    ? new SlidingWindowKvCache(l.window(), chunk, contextLength, l.kvHeads(), l.headDim())
                    : new FullKvCache(contextLength, l.kvHeads(), l.headDim());
        }
        for (LayerConfig l : config.layers()) {
            if (!l.ownsKv()) byLayer[l.index()] = byLayer[l.kvDonor()];
        }
    }

    /** The cache layer {@code layer} writes (if it owns KV) and reads: its own, or its donor's. */
    LayerKvCache forLayer(int layer) { return byLayer[layer]; }

    /** Floats held, for tests and diagnostics. */
    long floats() {
        return java.util.Arrays.stream(byLayer).distinct().mapToLong(c -> 2L * c.keys.length).sum();
    }
}
