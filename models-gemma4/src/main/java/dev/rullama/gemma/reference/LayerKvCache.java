package dev.rullama.gemma.reference;

/**
 * The keys and values one KV-owning layer has written, after k_norm/RoPE and V-norm, as {@code [slot][kvHead][headDim]}
 * float arrays. Subclasses decide which slot a position lives in and how far back a query may look; every slot
 * remembers the position it holds, so reading a position that is not (or no longer) there fails loudly instead of
 * silently attending to the wrong key.
 */
abstract sealed class LayerKvCache permits FullKvCache, SlidingWindowKvCache {
    final int kvHeads;
    final int headDim;
    final int capacity;
    final float[] keys;
    final float[] values;
    private final int[] slotPosition;

    LayerKvCache(int capacity, int kvHeads, int headDim) {
        this.capacity = capacity;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.keys = new float[Math.multiplyExact(Math.multiplyExact(capacity, kvHeads), headDim)];
        this.values = new float[keys.length];
        this.slotPosition = new int[capacity];
        java.util.Arrays.fill(slotPosition, -1);
    }

    /** The slot {@code position} is stored in. */
    abstract int slotOf(int position);

    /** The first position a query at {@code position} attends to (the last is {@code position} itself). */
    abstract int firstVisible(int position);

    /** Stores one position's K and V ({@code kvHeads · headDim} each). */
    final void write(int position, float[] k, float[] v) {
        int slot = slotOf(position);
        int w = kvHeads * headDim;
        System.arraycopy(k, 0, keys, slot * w, w);
        System.arraycopy(v, 0, values, slot * w, w);
        slotPosition[slot] = position;
    }

    /** Offset in {@link #keys}/{@link #values} of {@code position}'s head {@code kvHead}. */
    final int offset(int position, int kvHead) {
        int slot = slotOf(position);
        if (slotPosition[slot] != position) {
            throw new IllegalStateException("KV cache slot " + slot + " holds position " + slotPosition[slot]
                    + ", not " + position + " (evicted or never written)");
        }
        return (slot * kvHeads + kvHead) * headDim;
    }
}
