package dev.rullama.gemma.reference;

/** The cache of a full-attention layer: linear, position p in slot p, every earlier position visible. */
final class FullKvCache extends LayerKvCache {
    FullKvCache(int contextLength, int kvHeads, int headDim) {
        super(contextLength, kvHeads, headDim);
    }

    @Override
    int slotOf(int position) {
        if (position < 0 || position >= capacity) {
            throw new IllegalStateException("position " + position + " is outside the context of " + capacity);
        }
        return position;
    }

    @Override
    int firstVisible(int position) { return 0; }
}
