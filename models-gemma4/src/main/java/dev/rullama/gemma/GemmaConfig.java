package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufMetadata;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.gguf.GgufValue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every hyper-parameter of a Gemma 4 or Gemma 3 text decoder, read from the GGUF keys (spec §5.1) and the text tensors'
 * shapes, never from the model's name. {@link #from} also checks that the keys agree with each other and with every
 * tensor's shape ({@link GemmaTensorLayout#resolve}), so a broken or mislabelled file fails here, from its header
 * alone, before anything reads tensor data or allocates a buffer sized by the model.
 *
 * @param file                   the file, for messages
 * @param architecture           {@code general.architecture}
 * @param blockCount             decoder layers
 * @param embeddingLength        hidden width d
 * @param vocabSize              rows of {@code token_embd}
 * @param contextLength          trained context ({@code context_length}); 0 when the file does not say
 * @param rmsEps                 RMSNorm epsilon ({@code attention.layer_norm_rms_epsilon}, 1e-6 when absent)
 * @param slidingWindow          keys a sliding-layer query sees, itself included
 * @param sharedKvLayers         the last this-many layers reuse an earlier layer's KV
 * @param perLayerInputLength    PLE width P (0: no per-layer embeddings)
 * @param finalLogitSoftcap      {@code logits = c·tanh(logits/c)} when positive; 0 for none
 * @param expertCount            MoE experts (0: dense)
 * @param expertUsedCount        experts per token
 * @param expertFeedForwardLength expert FFN width
 * @param attentionScale         multiplies q·k: 1.0 on Gemma 4, 1/sqrt(head_dim) on Gemma 3
 * @param valueNorm              V goes through a weightless RMSNorm (Gemma 4)
 * @param embeddingScale         token embeddings are multiplied by this: sqrt(d)
 * @param layers                 one entry per layer
 */
public record GemmaConfig(
        Path file,
        GemmaArchitecture architecture,
        int blockCount,
        int embeddingLength,
        int vocabSize,
        long contextLength,
        float rmsEps,
        int slidingWindow,
        int sharedKvLayers,
        int perLayerInputLength,
        float finalLogitSoftcap,
        int expertCount,
        int expertUsedCount,
        int expertFeedForwardLength,
        float attentionScale,
        boolean valueNorm,
        float embeddingScale,
        List<LayerConfig> layers) {

    /** Gemma 3's layer pattern, hardcoded in llama.cpp and Ollama: layer i is global iff (i+1) % 6 == 0. */
    public static final int GEMMA3_GLOBAL_PERIOD = 6;
    /** Gemma 3's local RoPE base when the file does not carry one (llama.cpp and Ollama hardcode it). */
    public static final double GEMMA3_LOCAL_ROPE_BASE = 10_000.0;
    /** Gemma 4's partial rotary factor on full layers (HF {@code partial_rotary_factor}); not a GGUF key. */
    public static final double GEMMA4_PARTIAL_ROTARY_FACTOR = 0.25;
    /** Gemma 4's final logit softcap when the key is absent (llama.cpp's default, HF's config default). */
    public static final float GEMMA4_DEFAULT_SOFTCAP = 30f;
    /** RMSNorm epsilon when the key is absent (Ollama's gemma3 blobs may omit it; every Gemma uses 1e-6). */
    public static final float DEFAULT_RMS_EPS = 1e-6f;

    public GemmaConfig {
        layers = List.copyOf(layers);
    }

    public LayerConfig layer(int i) { return layers.get(i); }

    /** Whether the model has per-layer embeddings (Gemma 4 E2B/E4B). */
    public boolean hasPerLayerInputs() { return perLayerInputLength > 0; }

    /** Index of the first KV-shared layer ({@code blockCount} when none is shared). */
    public int firstSharedLayer() { return blockCount - sharedKvLayers; }

    /** {@code <architecture>.<suffix>}, the full metadata key. */
    public String key(String suffix) { return architecture.key() + "." + suffix; }

    /**
     * Reads the config of {@code file} and checks it against the file's tensors (names and shapes only; no tensor data
     * is read).
     *
     * @throws ModelFormatException naming the key or tensor when a key is missing, has the wrong type, contradicts
     *     another key, or contradicts a tensor's shape, or when a needed tensor is missing or has a type rullama
     *     cannot decode
     */
    public static GemmaConfig from(GgufFile file) throws ModelFormatException {
        GemmaConfig config = readKeys(file);
        GemmaTensorLayout.resolve(file, config);
        return config;
    }

    private static GemmaConfig readKeys(GgufFile file) throws ModelFormatException {
        Path path = file.path();
        GgufMetadata md = file.metadata();
        String archName = md.architecture();
        GemmaArchitecture arch = GemmaArchitecture.of(archName).orElseThrow(() -> new ModelFormatException(path,
                "general.architecture is '" + archName + "'; the Gemma family runs "
                        + Arrays.stream(GemmaArchitecture.values()).map(GemmaArchitecture::key).collect(Collectors.joining(", "))));
        Keys k = new Keys(path, md, arch.key());
        boolean g4 = arch == GemmaArchitecture.GEMMA4;
        Map<String, GgufTensor> tensors = GemmaTensorLayout.textTensorsByName(file);

        int n = k.positiveInt("block_count");
        int d = k.positiveInt("embedding_length");
        int[] heads = k.perLayerPositive("attention.head_count", n);
        int[] kvHeads = k.perLayerPositive("attention.head_count_kv", n);
        int[] ffn = k.perLayerPositive("feed_forward_length", n);
        float eps = (float) k.optDouble("attention.layer_norm_rms_epsilon").orElse(DEFAULT_RMS_EPS);
        if (!(eps > 0)) throw k.error("attention.layer_norm_rms_epsilon", "is " + eps + ", must be positive");
        int window = k.positiveInt("attention.sliding_window");
        long context = k.optLong("context_length", 0);

        boolean[] sliding = slidingPattern(k, arch, n);

        // Ollama's Go engine read the F-layer KV head count from this key when head_count_kv was a scalar.
        Optional<Integer> globalKv = k.optInt("attention.global_head_count_kv");
        if (globalKv.isPresent()) {
            boolean kvIsArray = md.get(k.key("attention.head_count_kv")).isArray();
            for (int i = 0; i < n; i++) {
                if (sliding[i]) continue;
                if (kvIsArray && kvHeads[i] != globalKv.get()) {
                    throw k.error("attention.global_head_count_kv", "is " + globalKv.get() + " but "
                            + k.key("attention.head_count_kv") + "[" + i + "] (a full layer) is " + kvHeads[i]);
                }
                kvHeads[i] = globalKv.get();
            }
        }

        int shared = k.optInt("attention.shared_kv_layers").orElse(0);
        if (shared < 0 || shared >= n) {
            throw k.error("attention.shared_kv_layers", "is " + shared + "; it must leave at least one of the " + n + " layers owning its KV");
        }
        int ple = k.optInt("embedding_length_per_layer_input").orElse(0);
        if (ple < 0) throw k.error("embedding_length_per_layer_input", "is negative");
        if (!g4 && shared != 0) throw k.error("attention.shared_kv_layers", "is " + shared + "; Gemma 3 has no KV sharing");
        if (!g4 && ple != 0) throw k.error("embedding_length_per_layer_input", "is " + ple + "; Gemma 3 has no per-layer embeddings");

        // Head dims: Gemma 4 has one for S layers (_swa) and one for F layers; Gemma 3 one for all.
        int headDimFull, headDimSwa;
        if (g4) {
            headDimFull = k.positiveInt("attention.key_length");
            headDimSwa = k.positiveInt("attention.key_length_swa");
            k.requireEqual("attention.value_length", headDimFull, "attention.key_length");
            k.requireEqual("attention.value_length_swa", headDimSwa, "attention.key_length_swa");
        } else {
            Optional<Integer> kl = k.optInt("attention.key_length");
            if (kl.isEmpty() && d % heads[0] != 0) throw k.error("attention.key_length", "is missing and embedding_length " + d + " is not a multiple of head_count " + heads[0]);
            headDimFull = kl.orElse(d / heads[0]); // llama.cpp's default n_embd / n_head
            if (headDimFull <= 0) throw k.error("attention.key_length", "must be positive");
            k.requireEqual("attention.value_length", headDimFull, "attention.key_length");
            headDimSwa = headDimFull;
        }

        // RoPE. Full layers: rope.freq_base (Ollama: rope.global.freq_base). Sliding: rope.freq_base_swa (rope.local.freq_base).
        double thetaFull = k.doubleOf("rope.freq_base", "rope.global.freq_base")
                .orElseThrow(() -> k.error("rope.freq_base", "is missing (nor is there " + k.key("rope.global.freq_base") + ")"));
        OptionalDouble swaBase = k.doubleOf("rope.freq_base_swa", "rope.local.freq_base");
        double thetaSwa;
        if (swaBase.isPresent()) thetaSwa = swaBase.getAsDouble();
        else if (!g4) thetaSwa = GEMMA3_LOCAL_ROPE_BASE;
        else throw k.error("rope.freq_base_swa", "is missing (nor is there " + k.key("rope.local.freq_base") + ")");
        if (!(thetaFull > 0)) throw k.error("rope.freq_base", "must be positive");
        if (!(thetaSwa > 0)) throw k.error("rope.freq_base_swa", "must be positive");
        int ropeDimsFull = k.optInt("rope.dimension_count").orElse(headDimFull);
        int ropeDimsSwa = g4 ? k.optInt("rope.dimension_count_swa").orElse(headDimSwa) : ropeDimsFull;
        checkRopeDims(k, "rope.dimension_count", ropeDimsFull, headDimFull, g4 ? "attention.key_length" : "attention.key_length");
        if (g4) checkRopeDims(k, "rope.dimension_count_swa", ropeDimsSwa, headDimSwa, "attention.key_length_swa");
        double fullPositionScale = ropeLinearPositionScale(k);
        RopeFrequencies fullFrequencies = !g4 ? RopeFrequencies.STANDARD
                : tensors.containsKey(GemmaTensorLayout.ROPE_FREQS) ? RopeFrequencies.FREQ_FACTORS_TENSOR
                : RopeFrequencies.PROPORTIONAL;
        double partial = k.optDouble("rope.partial_rotary_factor").orElse(g4 ? GEMMA4_PARTIAL_ROTARY_FACTOR : 1.0);
        if (!(partial > 0 && partial <= 1)) throw k.error("rope.partial_rotary_factor", "is " + partial + ", must be in (0, 1]");

        float softcap = 0f;
        if (g4) {
            softcap = (float) k.optDouble("final_logit_softcapping").orElse(GEMMA4_DEFAULT_SOFTCAP);
            if (!(softcap >= 0) || Float.isInfinite(softcap)) throw k.error("final_logit_softcapping", "is " + softcap + ", must be finite and >= 0");
        }
        // Gemma 3: no final softcap. Ollama's 1B blobs carry a bogus final_logit_softcapping of 30 that its own gemma3
        // code forces to 0, and llama.cpp's sliding-window gemma3 graph never applies it; the key is ignored.

        // MoE: a layer is MoE when it has a router (ffn_gate_inp); the counts then must be in the keys.
        boolean[] moe = new boolean[n];
        boolean anyMoe = false;
        for (int i = 0; i < n; i++) {
            moe[i] = tensors.containsKey(GemmaTensorLayout.blk(i, "ffn_gate_inp.weight"));
            anyMoe |= moe[i];
        }
        int experts = 0, used = 0, expertFfn = 0;
        if (anyMoe || md.contains(k.key("expert_count"))) {
            experts = k.optInt("expert_count").orElse(0);
            used = k.optInt("expert_used_count").orElse(0);
            expertFfn = k.optInt("expert_feed_forward_length").orElse(0);
            if (anyMoe) {
                if (experts <= 0) throw k.error("expert_count", (md.contains(k.key("expert_count")) ? "is " + experts : "is missing")
                        + ", but the file has router tensors (blk.N.ffn_gate_inp.weight)");
                if (used <= 0) throw k.error("expert_used_count", (md.contains(k.key("expert_used_count")) ? "is " + used : "is missing")
                        + ", but the file has router tensors");
                if (expertFfn <= 0) throw k.error("expert_feed_forward_length", (md.contains(k.key("expert_feed_forward_length")) ? "is " + expertFfn : "is missing")
                        + ", but the file has expert tensors");
            }
            if (used > experts) throw k.error("expert_used_count", "is " + used + ", more than expert_count " + experts);
        }

        // Layers.
        int firstShared = n - shared;
        List<LayerConfig> layers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            boolean s = sliding[i];
            if (heads[i] % kvHeads[i] != 0) {
                throw k.error("attention.head_count_kv", "of layer " + i + " is " + kvHeads[i] + ", which does not divide "
                        + k.key("attention.head_count") + " " + heads[i] + " (grouped-query attention)");
            }
            boolean owns = i < firstShared;
            int donor = i;
            if (!owns) {
                donor = -1;
                for (int j = firstShared - 1; j >= 0; j--) {
                    if (sliding[j] == s) { donor = j; break; }
                }
                if (donor < 0) {
                    throw k.error("attention.shared_kv_layers", "is " + shared + ", but shared layer " + i + " ("
                            + (s ? "sliding" : "full") + ") has no earlier KV-owning layer of its type to read");
                }
            }
            int hd = s ? headDimSwa : headDimFull;
            if (!owns && (kvHeads[i] != kvHeads[donor] || hd != (sliding[donor] ? headDimSwa : headDimFull))) {
                throw k.error("attention.head_count_kv", "gives shared layer " + i + " " + kvHeads[i] + " KV heads of " + hd
                        + " but its donor layer " + donor + " caches " + kvHeads[donor] + " heads");
            }
            boolean kEqualsV = g4 && owns && !tensors.containsKey(GemmaTensorLayout.blk(i, "attn_v.weight"));
            layers.add(new LayerConfig(i, s, s ? window : 0, heads[i], kvHeads[i], hd, ffn[i], owns, donor, kEqualsV, moe[i],
                    s ? thetaSwa : thetaFull,
                    s ? ropeDimsSwa : ropeDimsFull,
                    s ? 1.0 : fullPositionScale,
                    s ? RopeFrequencies.STANDARD : fullFrequencies,
                    s ? 1.0 : partial));
        }

        // Vocabulary: the rows of token_embd; the tokenizer must not name tokens beyond them.
        GgufTensor embd = tensors.get(GemmaTensorLayout.TOKEN_EMBD);
        if (embd == null) throw new ModelFormatException(path, "missing tensor '" + GemmaTensorLayout.TOKEN_EMBD + "' (token embeddings, also the tied LM head)");
        if (embd.nDims() != 2 || embd.dim(0) != d) {
            throw new ModelFormatException(path, embd.infoOffset(), "tensor '" + embd.name() + "' has shape " + embd.shapeString()
                    + " but the metadata implies [" + d + ", vocab] (" + k.key("embedding_length") + "=" + d + ")");
        }
        if (embd.dim(1) > Integer.MAX_VALUE - 8) throw new ModelFormatException(path, embd.infoOffset(), "tensor '" + embd.name() + "' has too many rows");
        int vocab = (int) embd.dim(1);
        Optional<Integer> vocabKey = k.optInt("vocab_size");
        if (vocabKey.isPresent() && vocabKey.get() != vocab) {
            throw k.error("vocab_size", "is " + vocabKey.get() + " but tensor '" + embd.name() + "' has " + vocab + " rows");
        }
        Optional<GgufValue> tokens = md.find("tokenizer.ggml.tokens");
        if (tokens.isPresent() && tokens.get().isArray() && tokens.get().asArray().size() > vocab) {
            throw new ModelFormatException(path, tokens.get().offset(), "key 'tokenizer.ggml.tokens' lists " + tokens.get().asArray().size()
                    + " tokens but tensor '" + embd.name() + "' has only " + vocab + " rows");
        }

        float attentionScale = g4 ? 1.0f : (float) (1.0 / Math.sqrt(headDimFull));
        return new GemmaConfig(path, arch, n, d, vocab, context, eps, window, shared, ple, softcap, experts, used, expertFfn,
                attentionScale, g4, (float) Math.sqrt(d), layers);
    }

    /**
     * Which layers slide. Gemma 4: the bool array {@code attention.sliding_window_pattern} (true = sliding), required.
     * Gemma 3: the same key when a file has it (an integer n means llama.cpp's "every n-th layer is global"),
     * otherwise the hardcoded rule {@code (i+1) % 6 == 0 → global}.
     */
    private static boolean[] slidingPattern(Keys k, GemmaArchitecture arch, int n) throws ModelFormatException {
        String key = k.key("attention.sliding_window_pattern");
        Optional<GgufValue> v = k.md.find(key);
        if (v.isPresent() && v.get().isInteger()) {
            int period = v.get().asInt();
            if (period <= 0) throw k.error("attention.sliding_window_pattern", "is " + period + ", must be positive");
            boolean[] out = new boolean[n];
            for (int i = 0; i < n; i++) out[i] = (i + 1) % period != 0;
            return out;
        }
        if (v.isPresent() || arch == GemmaArchitecture.GEMMA4) return k.md.getPerLayerBooleans(key, n);
        boolean[] out = new boolean[n];
        for (int i = 0; i < n; i++) out[i] = (i + 1) % GEMMA3_GLOBAL_PERIOD != 0;
        return out;
    }

    private static void checkRopeDims(Keys k, String key, int dims, int headDim, String headKey) throws ModelFormatException {
        if (dims <= 0 || dims % 2 != 0 || dims > headDim) {
            throw k.error(key, "is " + dims + "; it must be even, positive and at most " + k.key(headKey) + " " + headDim);
        }
    }

    /**
     * Linear RoPE scaling on full layers (Gemma 3 4B+: ×8): positions are divided by {@code rope.scaling.factor}.
     * Other scaling types are not part of either architecture and are rejected rather than ignored.
     */
    private static double ropeLinearPositionScale(Keys k) throws ModelFormatException {
        Optional<String> type = k.optString("rope.scaling.type");
        if (type.isPresent() && type.get().equals("none")) return 1.0;
        if (type.isPresent() && !type.get().equals("linear")) {
            throw k.error("rope.scaling.type", "is '" + type.get() + "'; only linear RoPE scaling is supported for Gemma");
        }
        OptionalDouble factor = k.optDouble("rope.scaling.factor");
        OptionalDouble legacy = k.optDouble("rope.scale_linear");
        if (factor.isPresent() && legacy.isPresent() && factor.getAsDouble() != legacy.getAsDouble()) {
            throw k.error("rope.scaling.factor", "is " + factor.getAsDouble() + " but " + k.key("rope.scale_linear") + " is " + legacy.getAsDouble());
        }
        double f = factor.isPresent() ? factor.getAsDouble() : legacy.orElse(1.0);
        if (f == 0) return 1.0; // converters write 0 for "no scaling"
        if (!(f > 0) || Double.isInfinite(f)) throw k.error("rope.scaling.factor", "is " + f + ", must be positive");
        return 1.0 / f;
    }

    /** Typed access to {@code <arch>.*} keys with messages that name the full key. */
    private static final class Keys {
        final Path path;
        final GgufMetadata md;
        final String prefix;

        Keys(Path path, GgufMetadata md, String arch) {
            this.path = path;
            this.md = md;
            this.prefix = arch + ".";
        }

        String key(String suffix) { return prefix + suffix; }

        ModelFormatException error(String suffix, String what) {
            long off = md.find(key(suffix)).map(GgufValue::offset).orElse(-1L);
            return new ModelFormatException(path, off, "key '" + key(suffix) + "' " + what);
        }

        int positiveInt(String suffix) throws ModelFormatException {
            int v = md.getInt(key(suffix));
            if (v <= 0) throw error(suffix, "is " + v + ", must be positive");
            return v;
        }

        int[] perLayerPositive(String suffix, int layers) throws ModelFormatException {
            int[] v = md.getPerLayerInts(key(suffix), layers);
            for (int i = 0; i < v.length; i++) {
                if (v[i] <= 0) throw error(suffix, "is " + v[i] + " for layer " + i + ", must be positive");
            }
            return v;
        }

        Optional<Integer> optInt(String suffix) throws ModelFormatException {
            Optional<GgufValue> v = md.find(key(suffix));
            return v.isEmpty() ? Optional.empty() : Optional.of(v.get().asInt());
        }

        long optLong(String suffix, long dflt) throws ModelFormatException {
            return md.findLong(key(suffix)).orElse(dflt);
        }

        OptionalDouble optDouble(String suffix) throws ModelFormatException {
            return md.findDouble(key(suffix));
        }

        Optional<String> optString(String suffix) throws ModelFormatException {
            return md.findString(key(suffix));
        }

        /** The first present of several spellings of one key; spellings that are both present must agree. */
        OptionalDouble doubleOf(String... suffixes) throws ModelFormatException {
            OptionalDouble found = OptionalDouble.empty();
            String foundKey = null;
            for (String s : suffixes) {
                OptionalDouble v = md.findDouble(key(s));
                if (v.isEmpty()) continue;
                if (found.isPresent() && found.getAsDouble() != v.getAsDouble()) {
                    throw error(s, "is " + v.getAsDouble() + " but " + key(foundKey) + " is " + found.getAsDouble());
                }
                if (found.isEmpty()) { found = v; foundKey = s; }
            }
            return found;
        }

        void requireEqual(String suffix, int expected, String otherSuffix) throws ModelFormatException {
            Optional<Integer> v = optInt(suffix);
            if (v.isPresent() && v.get() != expected) {
                throw error(suffix, "is " + v.get() + " but " + key(otherSuffix) + " is " + expected
                        + "; Gemma needs equal K and V head widths");
            }
        }
    }

    @Override
    public String toString() {
        Function<LayerConfig, String> letter = LayerConfig::typeLetter;
        return architecture.key() + "[layers=" + blockCount + ", d=" + embeddingLength + ", vocab=" + vocabSize
                + ", pattern=" + layers.stream().map(letter).collect(Collectors.joining())
                + ", window=" + slidingWindow + ", sharedKv=" + sharedKvLayers + ", ple=" + perLayerInputLength
                + ", experts=" + expertCount + "/" + expertUsedCount + "x" + expertFeedForwardLength
                + ", softcap=" + finalLogitSoftcap + ", attnScale=" + attentionScale + "]";
    }
}
