package dev.rullama.gemma;

/**
 * One decoder layer as the file describes it. Everything per layer that the forward pass needs is here, so no code
 * downstream re-derives it from the layer index.
 *
 * @param index            layer number, 0-based
 * @param sliding          a sliding-window ("S", local) layer; otherwise full ("F", global) causal attention
 * @param window           keys a query sees on a sliding layer, itself included (0 on full layers)
 * @param headCount        query heads
 * @param kvHeads          key/value heads (GQA: query head h reads kv head h / (headCount / kvHeads))
 * @param headDim          per-head width of Q, K and V
 * @param ffnWidth         dense FFN (gate/up) width of this layer
 * @param ownsKv           computes and caches its own K/V; false for a KV-shared layer
 * @param kvDonor          the layer whose cache this layer reads: itself when {@code ownsKv}, otherwise the last
 *                         KV-owning layer of the same type (spec §3.2)
 * @param kEqualsV         no {@code attn_v} on a KV-owning layer: V is the raw K projection (before k_norm and RoPE)
 * @param moe              has a router and experts beside the dense FFN ({@code ffn_gate_inp} present)
 * @param ropeTheta        RoPE base
 * @param ropeDims         rotated span: dims i and i + ropeDims/2 pair for i < ropeDims/2; dims beyond stay as is
 * @param ropePositionScale positions are multiplied by this before RoPE (1 / linear scaling factor; 1 for none)
 * @param ropeFrequencies  shaping of the per-pair frequencies
 * @param ropePartialFactor for {@link RopeFrequencies#PROPORTIONAL}: fraction of the pairs that rotate
 */
public record LayerConfig(
        int index,
        boolean sliding,
        int window,
        int headCount,
        int kvHeads,
        int headDim,
        int ffnWidth,
        boolean ownsKv,
        int kvDonor,
        boolean kEqualsV,
        boolean moe,
        double ropeTheta,
        int ropeDims,
        double ropePositionScale,
        RopeFrequencies ropeFrequencies,
        double ropePartialFactor) {

    /** Width of all query heads together ({@code attn_q} output). */
    public int queryWidth() { return headCount * headDim; }

    /** Width of all K (or V) heads together ({@code attn_k} output). */
    public int kvWidth() { return kvHeads * headDim; }

    /** "S" or "F", as the spec writes layer types. */
    public String typeLetter() { return sliding ? "S" : "F"; }
}
