package dev.rullama.gemma.reference;

/**
 * The cache of a sliding-window layer: a ring of {@code window + chunk − 1} slots, position p in slot
 * {@code p mod capacity}. A query at p sees the W positions {@code p−W+1 .. p}, itself included (spec §2.2, HF and
 * llama.cpp; not Ollama's old W+1).
 *
 * <p>Why the extra {@code chunk − 1} slots: a chunk of up to {@code chunk} tokens writes all its keys before any of its
 * queries attend. The chunk's last write, position {@code p0+chunk−1}, lands on the slot of
 * {@code p0+chunk−1−capacity = p0−W}, which is exactly the first position its earliest query {@code p0} no longer
 * sees. A single-token decode is a chunk of one and uses the same ring.
 */
final class SlidingWindowKvCache extends LayerKvCache {
    private final int window;

    SlidingWindowKvCache(int window, int chunk, int contextLength, int kvHeads, int headDim) {
        super(Math.min(window + chunk - 1, contextLength), kvHeads, headDim);
        this.window = window;
    }

    @Override
    int slotOf(int position) {
        if (position < 0) throw new IllegalStateException("negative position " + position);
        return position % capacity;
    }

    @Override
    int firstVisible(int position) { return Math.max(0, position - window + 1); }
}
