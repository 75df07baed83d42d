package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The text tensors a Gemma file must hold for its config, found by their current name or an older Ollama one
 * (spec §5.2) and each checked against the shape the keys imply. Only the file's header is consulted: resolving reads
 * no tensor data, so a file whose keys and tensors disagree fails before anything is allocated.
 *
 * <p>Vision, audio and projector tensors ({@code v.}, {@code a.}, {@code mm.} prefixes, in Ollama's monolithic blobs)
 * are invisible here: only {@link GgufFile#textTensors()} is searched. The K/V projections a KV-shared layer may still
 * carry are ignored (they are never used).
 *
 * <p>Shapes are ggml's {@code ne} order: {@code [in, out]} for a matrix, {@code [in, out, experts]} for expert stacks.
 */
public final class GemmaTensorLayout {
    public static final String TOKEN_EMBD = "token_embd.weight";
    public static final String OUTPUT = "output.weight";
    public static final String OUTPUT_NORM = "output_norm.weight";
    public static final String ROPE_FREQS = "rope_freqs.weight";
    public static final String PER_LAYER_TOKEN_EMBD = "per_layer_token_embd.weight";
    public static final String PER_LAYER_MODEL_PROJ = "per_layer_model_proj.weight";
    public static final String PER_LAYER_PROJ_NORM = "per_layer_proj_norm.weight";

    /** Per-layer embedding tables (E models). */
    public record PerLayerInputs(GgufTensor tokenEmbedding, GgufTensor modelProjection, GgufTensor projectionNorm) {}

    /** A layer's PLE block. */
    public record PerLayerBlock(GgufTensor inputGate, GgufTensor projection, GgufTensor postNorm) {}

    /**
     * A layer's sparse block. Exactly one of {@code gateUp} (fused, current) or {@code gate}+{@code up} (split, older
     * Ollama blobs) is set. {@code perExpertScale} is {@code ffn_down_exps.scale} or, in older blobs,
     * {@code ffn_gate_inp.per_expert_scale}; null when the file has neither (scale 1).
     */
    public record Experts(GgufTensor router, GgufTensor routerScale, GgufTensor gateUp, GgufTensor gate, GgufTensor up,
                          GgufTensor down, GgufTensor perExpertScale, GgufTensor preNorm2, GgufTensor postNorm1,
                          GgufTensor postNorm2) {}

    /** One decoder layer's tensors; {@code attnK}, {@code attnV}, {@code kNorm} are null where unused. */
    public record Layer(GgufTensor attnNorm, GgufTensor attnQ, GgufTensor attnK, GgufTensor attnV, GgufTensor qNorm,
                        GgufTensor kNorm, GgufTensor attnOutput, GgufTensor postAttentionNorm, GgufTensor ffnNorm,
                        GgufTensor ffnGate, GgufTensor ffnUp, GgufTensor ffnDown, GgufTensor postFfwNorm,
                        GgufTensor outputScale, PerLayerBlock perLayer, Experts experts) {}

    private final GgufTensor tokenEmbedding;
    private final GgufTensor output;
    private final GgufTensor outputNorm;
    private final GgufTensor ropeFreqs;
    private final PerLayerInputs perLayerInputs;
    private final List<Layer> layers;

    private GemmaTensorLayout(GgufTensor tokenEmbedding, GgufTensor output, GgufTensor outputNorm, GgufTensor ropeFreqs,
                              PerLayerInputs perLayerInputs, List<Layer> layers) {
        this.tokenEmbedding = tokenEmbedding;
        this.output = output;
        this.outputNorm = outputNorm;
        this.ropeFreqs = ropeFreqs;
        this.perLayerInputs = perLayerInputs;
        this.layers = List.copyOf(layers);
    }

    /** {@code token_embd.weight} [d, V]. */
    public GgufTensor tokenEmbedding() { return tokenEmbedding; }

    /** {@code output.weight} [d, V] when the file has an untied LM head; null for Gemma's usual tied one. */
    public GgufTensor output() { return output; }

    public GgufTensor outputNorm() { return outputNorm; }

    /** {@code rope_freqs.weight} when the config uses it; null otherwise. */
    public GgufTensor ropeFreqs() { return ropeFreqs; }

    /** Null unless the model has per-layer embeddings. */
    public PerLayerInputs perLayerInputs() { return perLayerInputs; }

    public List<Layer> layers() { return layers; }

    public Layer layer(int i) { return layers.get(i); }

    /** {@code blk.<i>.<suffix>}. */
    public static String blk(int layer, String suffix) { return "blk." + layer + "." + suffix; }

    static Map<String, GgufTensor> textTensorsByName(GgufFile file) {
        Map<String, GgufTensor> m = new HashMap<>();
        for (GgufTensor t : file.textTensors()) m.put(t.name(), t);
        return m;
    }

    /**
     * Finds every tensor {@code config} needs and checks its shape and type.
     *
     * @throws ModelFormatException naming the tensor and the keys its expected shape comes from
     */
    public static GemmaTensorLayout resolve(GgufFile file, GemmaConfig config) throws ModelFormatException {
        Binder b = new Binder(file.path(), textTensorsByName(file), config);
        int d = config.embeddingLength();
        int v = config.vocabSize();
        String dWhy = config.key("embedding_length") + "=" + d;
        String vWhy = "vocab " + v + " = rows of " + TOKEN_EMBD;

        GgufTensor embd = b.require(TOKEN_EMBD, dims(d, v), dWhy + ", " + vWhy);
        GgufTensor output = b.optional(OUTPUT, dims(d, v), dWhy + ", " + vWhy);
        GgufTensor outNorm = b.require(OUTPUT_NORM, dims(d), dWhy);

        GgufTensor ropeFreqs = null;
        LayerConfig firstFreqLayer = config.layers().stream()
                .filter(l -> l.ropeFrequencies() == RopeFrequencies.FREQ_FACTORS_TENSOR).findFirst().orElse(null);
        if (firstFreqLayer != null) {
            ropeFreqs = b.require(ROPE_FREQS, dims(firstFreqLayer.ropeDims() / 2),
                    "half of " + config.key("rope.dimension_count") + "=" + firstFreqLayer.ropeDims());
        }

        PerLayerInputs ple = null;
        int p = config.perLayerInputLength();
        int n = config.blockCount();
        if (p > 0) {
            String pWhy = config.key("embedding_length_per_layer_input") + "=" + p;
            String lpWhy = config.key("block_count") + "=" + n + " × " + pWhy;
            ple = new PerLayerInputs(
                    b.require(PER_LAYER_TOKEN_EMBD, dims((long) n * p, v), lpWhy + ", " + vWhy),
                    b.require(PER_LAYER_MODEL_PROJ, dims(d, (long) n * p), dWhy + ", " + lpWhy),
                    b.require(PER_LAYER_PROJ_NORM, dims(p), pWhy));
        }

        List<Layer> layers = new ArrayList<>(n);
        for (LayerConfig lc : config.layers()) layers.add(resolveLayer(b, config, lc));
        return new GemmaTensorLayout(embd, output, outNorm, ropeFreqs, ple, layers);
    }

    private static Layer resolveLayer(Binder b, GemmaConfig c, LayerConfig l) throws ModelFormatException {
        int i = l.index();
        int d = c.embeddingLength();
        String dWhy = c.key("embedding_length") + "=" + d;
        String hdKey = c.architecture() == GemmaArchitecture.GEMMA4 && l.sliding() ? "attention.key_length_swa" : "attention.key_length";
        String hdWhy = c.key(hdKey) + "=" + l.headDim() + " (layer " + i + " is " + (l.sliding() ? "sliding" : "full") + ")";
        String qWhy = dWhy + ", " + c.key("attention.head_count") + "=" + l.headCount() + " × " + hdWhy;
        String kvWhy = dWhy + ", " + c.key("attention.head_count_kv") + "=" + l.kvHeads() + " × " + hdWhy;
        String ffWhy = dWhy + ", " + c.key("feed_forward_length") + "[" + i + "]=" + l.ffnWidth();

        GgufTensor attnNorm = b.require(blk(i, "attn_norm.weight"), dims(d), dWhy);
        GgufTensor q = b.require(blk(i, "attn_q.weight"), dims(d, l.queryWidth()), qWhy);
        GgufTensor qNorm = b.require(blk(i, "attn_q_norm.weight"), dims(l.headDim()), hdWhy);
        GgufTensor k = null, vv = null, kNorm = null;
        if (l.ownsKv()) {
            k = b.require(blk(i, "attn_k.weight"), dims(d, l.kvWidth()), kvWhy);
            kNorm = b.require(blk(i, "attn_k_norm.weight"), dims(l.headDim()), hdWhy);
            if (!l.kEqualsV()) vv = b.require(blk(i, "attn_v.weight"), dims(d, l.kvWidth()), kvWhy);
        }
        GgufTensor o = b.require(blk(i, "attn_output.weight"), dims(l.queryWidth(), d), qWhy);
        GgufTensor postAttn = b.requireAny(dims(d), dWhy, blk(i, "post_attention_norm.weight"), blk(i, "attn_post_norm.weight"));
        GgufTensor ffnNorm = b.requireAny(dims(d), dWhy, blk(i, "ffn_norm.weight"), blk(i, "ffn_pre_norm.weight"));
        GgufTensor gate = b.require(blk(i, "ffn_gate.weight"), dims(d, l.ffnWidth()), ffWhy);
        GgufTensor up = b.require(blk(i, "ffn_up.weight"), dims(d, l.ffnWidth()), ffWhy);
        GgufTensor down = b.require(blk(i, "ffn_down.weight"), dims(l.ffnWidth(), d), ffWhy);
        GgufTensor postFfw = b.requireAny(dims(d), dWhy, blk(i, "post_ffw_norm.weight"), blk(i, "ffn_post_norm.weight"));
        GgufTensor scale = b.optionalAny(dims(1), "one scalar per layer",
                blk(i, "layer_output_scale.weight"), blk(i, "layer_scalar"), blk(i, "layer_scalar.weight"));

        PerLayerBlock ple = null;
        if (c.hasPerLayerInputs()) {
            int p = c.perLayerInputLength();
            String pWhy = dWhy + ", " + c.key("embedding_length_per_layer_input") + "=" + p;
            ple = new PerLayerBlock(
                    b.require(blk(i, "inp_gate.weight"), dims(d, p), pWhy),
                    b.require(blk(i, "proj.weight"), dims(p, d), pWhy),
                    b.require(blk(i, "post_norm.weight"), dims(d), dWhy));
        }

        Experts experts = null;
        if (l.moe()) {
            int e = c.expertCount();
            int f = c.expertFeedForwardLength();
            String eWhy = c.key("expert_count") + "=" + e;
            String efWhy = dWhy + ", " + c.key("expert_feed_forward_length") + "=" + f + ", " + eWhy;
            GgufTensor router = b.require(blk(i, "ffn_gate_inp.weight"), dims(d, e), dWhy + ", " + eWhy);
            GgufTensor routerScale = b.require(blk(i, "ffn_gate_inp.scale"), dims(d), dWhy);
            GgufTensor gateUp = b.optional(blk(i, "ffn_gate_up_exps.weight"), dims(d, 2L * f, e), efWhy + " (gate and up fused: 2 × " + f + ")");
            GgufTensor eGate = null, eUp = null;
            if (gateUp == null) {
                eGate = b.optional(blk(i, "ffn_gate_exps.weight"), dims(d, f, e), efWhy);
                eUp = b.optional(blk(i, "ffn_up_exps.weight"), dims(d, f, e), efWhy);
                if (eGate == null || eUp == null) {
                    throw b.missing(blk(i, "ffn_gate_up_exps.weight") + "' (or the older split '" + blk(i, "ffn_gate_exps.weight")
                            + "' + '" + blk(i, "ffn_up_exps.weight"), "layer " + i + " has a router, so it needs expert FFNs");
                }
            } else if (b.has(blk(i, "ffn_gate_exps.weight")) || b.has(blk(i, "ffn_up_exps.weight"))) {
                throw new ModelFormatException(b.path, gateUp.infoOffset(), "layer " + i + " has both the fused '"
                        + gateUp.name() + "' and the split ffn_gate_exps/ffn_up_exps; which one is meant is ambiguous");
            }
            GgufTensor eDown = b.require(blk(i, "ffn_down_exps.weight"), dims(f, d, e), efWhy);
            GgufTensor perExpert = b.optionalAny(dims(e), eWhy, blk(i, "ffn_down_exps.scale"), blk(i, "ffn_gate_inp.per_expert_scale"));
            experts = new Experts(router, routerScale, gateUp, eGate, eUp, eDown, perExpert,
                    b.requireAny(dims(d), dWhy, blk(i, "pre_ffw_norm_2.weight"), blk(i, "ffn_pre_norm_2.weight")),
                    b.requireAny(dims(d), dWhy, blk(i, "post_ffw_norm_1.weight"), blk(i, "ffn_post_norm_1.weight")),
                    b.requireAny(dims(d), dWhy, blk(i, "post_ffw_norm_2.weight"), blk(i, "ffn_post_norm_2.weight")));
        }
        return new Layer(attnNorm, q, k, vv, qNorm, kNorm, o, postAttn, ffnNorm, gate, up, down, postFfw, scale, ple, experts);
    }

    private static long[] dims(long... ne) { return ne; }

    /** Looks tensors up by name and checks shape and type, with messages that say where the expectation came from. */
    private static final class Binder {
        final Path path;
        final Map<String, GgufTensor> tensors;
        final GemmaConfig config;

        Binder(Path path, Map<String, GgufTensor> tensors, GemmaConfig config) {
            this.path = path;
            this.tensors = tensors;
            this.config = config;
        }

        boolean has(String name) { return tensors.containsKey(name); }

        ModelFormatException missing(String name, String why) {
            return new ModelFormatException(path, "missing tensor '" + name + "' (" + why + ")");
        }

        GgufTensor require(String name, long[] shape, String why) throws ModelFormatException {
            GgufTensor t = optional(name, shape, why);
            if (t == null) throw missing(name, "expected shape " + Arrays.toString(shape) + " from " + why);
            return t;
        }

        GgufTensor optional(String name, long[] shape, String why) throws ModelFormatException {
            GgufTensor t = tensors.get(name);
            if (t == null) return null;
            check(t, shape, why);
            return t;
        }

        /** The one of {@code names} (current name first, then older ones) the file has; two present is an error. */
        GgufTensor optionalAny(long[] shape, String why, String... names) throws ModelFormatException {
            GgufTensor found = null;
            for (String nm : names) {
                GgufTensor t = tensors.get(nm);
                if (t == null) continue;
                if (found != null) {
                    throw new ModelFormatException(path, t.infoOffset(), "tensors '" + found.name() + "' and '" + nm
                            + "' are two names for the same weight; a file must carry only one");
                }
                found = t;
            }
            if (found != null) check(found, shape, why);
            return found;
        }

        GgufTensor requireAny(long[] shape, String why, String... names) throws ModelFormatException {
            GgufTensor t = optionalAny(shape, why, names);
            if (t == null) {
                throw missing(names[0], (names.length > 1 ? "older name" + (names.length > 2 ? "s " : " ")
                        + String.join(", ", Arrays.asList(names).subList(1, names.length)) + " also absent; " : "")
                        + "expected shape " + Arrays.toString(shape) + " from " + why);
            }
            return t;
        }

        private void check(GgufTensor t, long[] shape, String why) throws ModelFormatException {
            boolean ok = t.nDims() <= 4;
            for (int i = 0; ok && i < 4; i++) ok = t.dim(i) == (i < shape.length ? shape[i] : 1);
            if (!ok) {
                throw new ModelFormatException(path, t.infoOffset(), "tensor '" + t.name() + "' has shape " + t.shapeString()
                        + " but the metadata implies " + Arrays.toString(shape) + " (" + why + ")");
            }
            if (t.rowLength() > WeightMatrix.MAX_DIM || t.rowCount() > WeightMatrix.MAX_DIM) {
                throw new ModelFormatException(path, t.infoOffset(), "tensor '" + t.name() + "' " + t.shapeString()
                        + " has rows too long or too many for the CPU reference");
            }
            t.quantBlock(); // a type rullama cannot decode fails here, naming the tensor
        }
    }
}
