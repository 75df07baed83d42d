package dev.rullama.gemma.synth;

import dev.rullama.gguf.GgmlType;

import java.util.List;

/**
 * llama.cpp's {@code Q4_K_M} rule ({@code llama_tensor_get_type} in {@code llama-quant.cpp}), which Ollama's quantizer
 * ports, applied to Gemma 4's text tensors as they come from a BF16 conversion:
 * <ul>
 *   <li>1-D tensors (norms, scales, {@code rope_freqs}) and the router {@code ffn_gate_inp.weight} stay F32;</li>
 *   <li>{@code per_layer_token_embd.weight} stays BF16 (Ollama's quantizer skips it);</li>
 *   <li>{@code token_embd.weight} is Q6_K: the LM head is tied, and with no {@code output.weight} the rule for the
 *       output matrix applies to the embedding;</li>
 *   <li>{@code attn_v} is Q6_K on "more bits" layers, {@code i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2}, where i counts
 *       the attn_v tensors in file order and n is their number (K=V layers have none, so they shift the count);</li>
 *   <li>{@code ffn_down} and {@code ffn_down_exps} are Q6_K on the same rule over the layer index and the layer count
 *       (llama.cpp reads the layer from the name on MoE models; on dense ones its running count is the layer
 *       index);</li>
 *   <li>every other 2-D or 3-D weight is Q4_K;</li>
 *   <li>where a row ({@code ne0}) is not a multiple of 256, K-quants fall back: Q4_K to Q5_0, Q6_K to Q8_0
 *       (26B's dense {@code ffn_down} rows of 2112 and expert {@code ffn_down_exps} rows of 704).</li>
 * </ul>
 */
final class QuantMix {
    private QuantMix() {}

    /** A tensor's name and ggml shape, in file order. */
    record Named(String name, long[] shape) {}

    /** Whether layer {@code i} of {@code n} gets more bits ({@code use_more_bits} in llama.cpp). */
    static boolean moreBits(int i, int n) {
        return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    }

    /** The types of {@code tensors} (in file order) for a model of {@code layers} layers. */
    static GgmlType[] q4KM(List<Named> tensors, int layers) {
        int attnV = (int) tensors.stream().filter(t -> t.name.endsWith(".attn_v.weight")).count();
        int iAttnV = 0;
        GgmlType[] out = new GgmlType[tensors.size()];
        for (int k = 0; k < out.length; k++) {
            Named t = tensors.get(k);
            String n = t.name;
            GgmlType type;
            if (t.shape.length < 2 || n.endsWith(".ffn_gate_inp.weight")) type = GgmlType.F32;
            else if (n.equals("per_layer_token_embd.weight")) type = GgmlType.BF16;
            else if (n.equals("token_embd.weight")) type = GgmlType.Q6_K;
            else if (n.endsWith(".attn_v.weight")) type = moreBits(iAttnV++, attnV) ? GgmlType.Q6_K : GgmlType.Q4_K;
            else if (n.endsWith(".ffn_down.weight") || n.endsWith(".ffn_down_exps.weight")) type = moreBits(layerOf(n), layers) ? GgmlType.Q6_K : GgmlType.Q4_K;
            else type = GgmlType.Q4_K;
            if (type.blockElements() == 256 && t.shape[0] % 256 != 0) type = type == GgmlType.Q6_K ? GgmlType.Q8_0 : GgmlType.Q5_0;
            out[k] = type;
        }
        return out;
    }

    static int layerOf(String name) {
        if (!name.startsWith("blk.")) throw new IllegalArgumentException(name + " is not a layer tensor");
        return Integer.parseInt(name.substring(4, name.indexOf('.', 4)));
    }
}
