package dev.rullama.gemma.synth;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The text-decoder shapes of a real Gemma 4 model (spec gemma4.md §1, §3, §4), everything {@link SyntheticModel} needs
 * to write a GGUF with the real tensor names, shapes and types: layer count and pattern, widths, heads, head dims, FFN
 * widths, per-layer embeddings, KV sharing, K=V full layers and the MoE block.
 *
 * <p>Known sizes: {@link #E2B}, {@link #E4B}, {@link #G12B}, {@link #A26B}, {@link #B31B}. The 12B column of the spec is
 * the least certain (its full-layer KV head count of 1, its 5S+F pattern and the absence of {@code layer_output_scale}
 * come from third-party notes, not from reference code), so its synthetic file is a best guess at its shapes.
 *
 * <p>{@link #reduced} keeps the real widths and head dims (so every tensor keeps its real row length and quant type)
 * and cuts the depth and vocabulary, for tests.
 *
 * @param kind                 short name: e2b, e4b, 12b, 26b, 31b (with a suffix for a reduced variant)
 * @param title                human name, e.g. "Gemma 4 E2B"
 * @param pattern              one letter per layer, S (sliding window) or F (full attention); ends on F
 * @param embedding            hidden width d
 * @param heads                query heads (every layer)
 * @param kvHeadsSliding       KV heads of S layers
 * @param kvHeadsFull          KV heads of F layers
 * @param headDimSliding       head dim of S layers (256)
 * @param headDimFull          head dim of F layers (512)
 * @param ffn                  dense FFN width (the shared expert's on the MoE model)
 * @param doubleWideShared     KV-shared layers have a 2×{@code ffn} FFN (E2B's {@code use_double_wide_mlp})
 * @param perLayerInput        PLE width P (0: none)
 * @param sharedKvLayers       the last this-many layers reuse an earlier layer's KV
 * @param sharedLayersCarryKv  KV-shared layers still carry (unused) attn_k, attn_v and attn_k_norm, as Ollama's E-model
 *                             blobs do (see {@link SyntheticModel})
 * @param kEqualsV             F layers have no attn_v (V is the raw K projection)
 * @param layerOutputScale     every layer has {@code layer_output_scale.weight}
 * @param slidingWindow        keys an S-layer query sees
 * @param contextLength        trained context
 * @param experts              MoE experts (0: dense)
 * @param expertsUsed          experts per token
 * @param expertFfn            expert FFN width
 * @param vocab                vocabulary size (262144 for every real Gemma 4)
 */
public record RealShapes(String kind, String title, String pattern, int embedding, int heads, int kvHeadsSliding, int kvHeadsFull,
                         int headDimSliding, int headDimFull, int ffn, boolean doubleWideShared, int perLayerInput,
                         int sharedKvLayers, boolean sharedLayersCarryKv, boolean kEqualsV, boolean layerOutputScale,
                         int slidingWindow, long contextLength, int experts, int expertsUsed, int expertFfn, int vocab) {

    /** Gemma 4's vocabulary. */
    public static final int GEMMA4_VOCAB = 262_144;
    /** Smallest vocabulary {@link #reduced} accepts: the special tokens and the 256 byte tokens (ids up to 493) fit. */
    public static final int MIN_VOCAB = 512;

    public static final RealShapes E2B = new RealShapes("e2b", "Gemma 4 E2B", "SSSSF".repeat(7), 1536, 8, 1, 1, 256, 512,
            6144, true, 256, 20, true, false, true, 512, 131_072, 0, 0, 0, GEMMA4_VOCAB);
    public static final RealShapes E4B = new RealShapes("e4b", "Gemma 4 E4B", "SSSSSF".repeat(7), 2560, 8, 2, 2, 256, 512,
            10240, false, 256, 18, true, false, true, 512, 131_072, 0, 0, 0, GEMMA4_VOCAB);
    public static final RealShapes G12B = new RealShapes("12b", "Gemma 4 12B", "SSSSSF".repeat(8), 3840, 16, 8, 1, 256, 512,
            15360, false, 0, 0, false, true, false, 1024, 262_144, 0, 0, 0, GEMMA4_VOCAB);
    public static final RealShapes A26B = new RealShapes("26b", "Gemma 4 26B-A4B", "SSSSSF".repeat(5), 2816, 16, 8, 2, 256, 512,
            2112, false, 0, 0, false, true, true, 1024, 262_144, 128, 8, 704, GEMMA4_VOCAB);
    public static final RealShapes B31B = new RealShapes("31b", "Gemma 4 31B", "SSSSSF".repeat(10), 5376, 32, 16, 4, 256, 512,
            21504, false, 0, 0, false, true, true, 1024, 262_144, 0, 0, 0, GEMMA4_VOCAB);

    /** Every known size, smallest first. */
    public static final List<RealShapes> ALL = List.of(E2B, E4B, G12B, A26B, B31B);

    public RealShapes {
        if (pattern.isEmpty() || !pattern.matches("[SF]+") || !pattern.endsWith("F")) {
            throw new IllegalArgumentException(kind + ": layer pattern '" + pattern + "' must be S/F letters ending on F");
        }
        if (sharedKvLayers < 0 || sharedKvLayers >= pattern.length()) throw new IllegalArgumentException(kind + ": " + sharedKvLayers + " shared KV layers of " + pattern.length());
        if (vocab < MIN_VOCAB) throw new IllegalArgumentException(kind + ": vocabulary " + vocab + " is below " + MIN_VOCAB);
    }

    /**
     * The shapes named {@code name}: e2b, e4b, 12b, 26b (also 26b-a4b, a4b), 31b, with or without a {@code gemma4:} prefix,
     * any case.
     */
    public static Optional<RealShapes> byName(String name) {
        String n = name.toLowerCase(Locale.ROOT).replaceFirst("^gemma4[:-]?", "");
        if (n.equals("26b-a4b") || n.equals("a4b")) n = "26b";
        for (RealShapes s : ALL) if (s.kind.equals(n)) return Optional.of(s);
        return Optional.empty();
    }

    /** "e2b, e4b, 12b, 26b, 31b", for messages. */
    public static String names() { return ALL.stream().map(RealShapes::kind).collect(Collectors.joining(", ")); }

    public int layers() { return pattern.length(); }

    public boolean sliding(int layer) { return pattern.charAt(layer) == 'S'; }

    public int headDim(int layer) { return sliding(layer) ? headDimSliding : headDimFull; }

    public int kvHeads(int layer) { return sliding(layer) ? kvHeadsSliding : kvHeadsFull; }

    public int firstSharedLayer() { return layers() - sharedKvLayers; }

    public boolean ownsKv(int layer) { return layer < firstSharedLayer(); }

    /** Whether layer {@code layer} has attn_v: not on a K=V full layer, not on a shared layer that carries no K/V. */
    public boolean hasAttnV(int layer) { return hasAttnK(layer) && !(kEqualsV && !sliding(layer)); }

    /** Whether layer {@code layer} has attn_k and attn_k_norm. */
    public boolean hasAttnK(int layer) { return ownsKv(layer) || sharedLayersCarryKv; }

    public int ffn(int layer) { return doubleWideShared && !ownsKv(layer) ? 2 * ffn : ffn; }

    public boolean moe() { return experts > 0; }

    /** Per-layer FFN widths (an array key in the GGUF when they differ). */
    public int[] ffnWidths() {
        int[] w = new int[layers()];
        for (int i = 0; i < w.length; i++) w[i] = ffn(i);
        return w;
    }

    /** Per-layer KV head counts (an array key in the GGUF when S and F layers differ). */
    public int[] kvHeadCounts() {
        int[] w = new int[layers()];
        for (int i = 0; i < w.length; i++) w[i] = kvHeads(i);
        return w;
    }

    /**
     * The same widths with {@code layers} layers and a {@code vocab}-token vocabulary. The pattern is the real one's
     * first {@code layers} letters with the last forced to F. KV sharing keeps about the real share of shared layers,
     * but never fewer than one KV-owning layer of each type before the first shared one (a shared layer reads the last
     * owning layer of its type); with too few layers for that there is no sharing.
     *
     * @throws IllegalArgumentException when {@code layers} is not in [1, layers()] or {@code vocab} is below
     *     {@link #MIN_VOCAB} or above the real vocabulary
     */
    public RealShapes reduced(int layers, int vocab) {
        if (layers < 1 || layers > layers()) throw new IllegalArgumentException(kind + " has " + layers() + " layers; the layer count must be in 1.." + layers() + ", not " + layers);
        if (vocab < MIN_VOCAB || vocab > this.vocab) throw new IllegalArgumentException("the vocabulary size must be in " + MIN_VOCAB + ".." + this.vocab + ", not " + vocab);
        if (layers == layers() && vocab == this.vocab) return this;
        String p = pattern.substring(0, layers - 1) + "F";
        int shared = 0;
        if (sharedKvLayers > 0) {
            int firstF = p.indexOf('F');
            int firstShared = Math.max((int) Math.round(layers * (double) firstSharedLayer() / layers()), firstF + 1);
            shared = layers - Math.min(firstShared, layers);
        }
        String k = kind + (layers != layers() ? "-" + layers + "l" : "") + (vocab != this.vocab ? "-v" + vocab : "");
        return new RealShapes(k, title + " (" + layers + " layers, " + vocab + " tokens)", p, embedding, heads, kvHeadsSliding,
                kvHeadsFull, headDimSliding, headDimFull, ffn, doubleWideShared, perLayerInput, shared, sharedLayersCarryKv,
                kEqualsV, layerOutputScale, slidingWindow, contextLength, experts, expertsUsed, expertFfn, vocab);
    }

    @Override
    public String toString() {
        return title + " [" + layers() + " layers " + pattern + ", d " + embedding + ", heads " + heads + ", kv " + kvHeadsSliding + "/"
                + kvHeadsFull + ", head dim " + headDimSliding + "/" + headDimFull + ", ffn " + Arrays.stream(ffnWidths()).distinct()
                .mapToObj(Integer::toString).collect(Collectors.joining("/"))
                + (perLayerInput > 0 ? ", PLE " + perLayerInput : "") + (sharedKvLayers > 0 ? ", " + sharedKvLayers + " KV-shared" : "")
                + (moe() ? ", " + experts + " experts top-" + expertsUsed + " × " + expertFfn : "") + ", vocab " + vocab + "]";
    }
}
