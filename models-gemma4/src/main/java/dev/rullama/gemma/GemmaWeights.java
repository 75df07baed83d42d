package dev.rullama.gemma;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The text weights of a Gemma model, bound by name ({@link GemmaTensorLayout}, current and older Ollama names) and
 * left in the memory-mapped file: every matrix is a {@link WeightMatrix} decoded row by row on demand. Only the small
 * 1-D vectors (norm weights, scales, RoPE factors) are decoded once into {@code float[]}.
 *
 * <p>Valid while the {@link GgufFile} is open.
 */
public final class GemmaWeights {

    /** Per-layer embeddings (E models): the token table [V rows of L·P], the projection from d, and its norm [P]. */
    public record PerLayerInputs(WeightMatrix tokenEmbedding, WeightMatrix modelProjection, float[] projectionNorm) {}

    /** A layer's PLE block: gate d→P, projection P→d, post norm [d]. */
    public record PerLayerBlock(WeightMatrix inputGate, WeightMatrix projection, float[] postNorm) {}

    /** One expert's FFN: gate and up [F rows of d], down [d rows of F]. */
    public record Expert(WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    /**
     * A layer's sparse block (spec §4): router [E rows of d] with its input scale [d], the experts, the per-expert
     * output scale [E] (ones when the file has none), and the three extra norms.
     */
    public record Experts(WeightMatrix router, float[] routerScale, List<Expert> experts, float[] perExpertScale,
                          float[] preNorm2, float[] postNorm1, float[] postNorm2) {}

    /** One decoder layer. {@code k}, {@code v}, {@code kNorm} are null where unused (shared layer; v null for K=V). */
    public record Layer(float[] attnNorm, WeightMatrix q, WeightMatrix k, WeightMatrix v, float[] qNorm, float[] kNorm,
                        WeightMatrix attnOutput, float[] postAttentionNorm, float[] ffnNorm, WeightMatrix ffnGate,
                        WeightMatrix ffnUp, WeightMatrix ffnDown, float[] postFfwNorm, float outputScale,
                        PerLayerBlock perLayer, Experts experts) {}

    private final GemmaConfig config;
    private final WeightMatrix tokenEmbedding;
    private final WeightMatrix lmHead;
    private final float[] outputNorm;
    private final float[] ropeFreqs;
    private final PerLayerInputs perLayerInputs;
    private final List<Layer> layers;

    private GemmaWeights(GemmaConfig config, WeightMatrix tokenEmbedding, WeightMatrix lmHead, float[] outputNorm,
                         float[] ropeFreqs, PerLayerInputs perLayerInputs, List<Layer> layers) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.lmHead = lmHead;
        this.outputNorm = outputNorm;
        this.ropeFreqs = ropeFreqs;
        this.perLayerInputs = perLayerInputs;
        this.layers = List.copyOf(layers);
    }

    /** Reads the config ({@link GemmaConfig#from}, which validates the whole layout first) and binds the weights. */
    public static GemmaWeights load(GgufFile file) throws ModelFormatException {
        return bind(file, GemmaConfig.from(file));
    }

    /** Binds the weights of {@code file} for {@code config} (which must come from the same file). */
    public static GemmaWeights bind(GgufFile file, GemmaConfig config) throws ModelFormatException {
        GemmaTensorLayout t = GemmaTensorLayout.resolve(file, config);
        WeightMatrix embd = WeightMatrix.of(t.tokenEmbedding());
        WeightMatrix head = t.output() != null ? WeightMatrix.of(t.output()) : embd;
        PerLayerInputs ple = null;
        if (t.perLayerInputs() != null) {
            ple = new PerLayerInputs(WeightMatrix.of(t.perLayerInputs().tokenEmbedding()),
                    WeightMatrix.of(t.perLayerInputs().modelProjection()), vector(t.perLayerInputs().projectionNorm()));
        }
        List<Layer> layers = new ArrayList<>(config.blockCount());
        for (int i = 0; i < config.blockCount(); i++) layers.add(bindLayer(config, config.layer(i), t.layer(i)));
        return new GemmaWeights(config, embd, head, vector(t.outputNorm()), vectorOrNull(t.ropeFreqs()), ple, layers);
    }

    private static Layer bindLayer(GemmaConfig c, LayerConfig lc, GemmaTensorLayout.Layer t) throws ModelFormatException {
        PerLayerBlock ple = null;
        if (t.perLayer() != null) {
            ple = new PerLayerBlock(WeightMatrix.of(t.perLayer().inputGate()), WeightMatrix.of(t.perLayer().projection()),
                    vector(t.perLayer().postNorm()));
        }
        Experts experts = null;
        if (t.experts() != null) experts = bindExperts(c, t.experts());
        float scale = t.outputScale() == null ? 1f : vector(t.outputScale())[0];
        return new Layer(vector(t.attnNorm()), WeightMatrix.of(t.attnQ()), matrixOrNull(t.attnK()), matrixOrNull(t.attnV()),
                vector(t.qNorm()), vectorOrNull(t.kNorm()), WeightMatrix.of(t.attnOutput()), vector(t.postAttentionNorm()),
                vector(t.ffnNorm()), WeightMatrix.of(t.ffnGate()), WeightMatrix.of(t.ffnUp()), WeightMatrix.of(t.ffnDown()),
                vector(t.postFfwNorm()), scale, ple, experts);
    }

    /**
     * Expert e of a stack {@code [in, out, E]} is rows {@code [e·out, (e+1)·out)}. In the fused gate/up stack
     * {@code [d, 2F, E]} the first F of an expert's rows are its gate and the next F its up (HF {@code chunk(2)}).
     */
    private static Experts bindExperts(GemmaConfig c, GemmaTensorLayout.Experts t) throws ModelFormatException {
        int e = c.expertCount();
        int f = c.expertFeedForwardLength();
        int d = c.embeddingLength();
        WeightMatrix down = WeightMatrix.of(t.down());
        WeightMatrix gateUp = t.gateUp() == null ? null : WeightMatrix.of(t.gateUp());
        WeightMatrix gate = t.gate() == null ? null : WeightMatrix.of(t.gate());
        WeightMatrix up = t.up() == null ? null : WeightMatrix.of(t.up());
        List<Expert> experts = new ArrayList<>(e);
        for (int x = 0; x < e; x++) {
            WeightMatrix g = gateUp != null ? gateUp.rows(2L * f * x, f) : gate.rows((long) f * x, f);
            WeightMatrix u = gateUp != null ? gateUp.rows(2L * f * x + f, f) : up.rows((long) f * x, f);
            experts.add(new Expert(g, u, down.rows((long) d * x, d)));
        }
        float[] perExpert = t.perExpertScale() == null ? ones(e) : vector(t.perExpertScale());
        return new Experts(WeightMatrix.of(t.router()), vector(t.routerScale()), experts, perExpert,
                vector(t.preNorm2()), vector(t.postNorm1()), vector(t.postNorm2()));
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    private static float[] vector(GgufTensor t) throws ModelFormatException { return t.dequantize(); }

    private static float[] vectorOrNull(GgufTensor t) throws ModelFormatException { return t == null ? null : t.dequantize(); }

    private static WeightMatrix matrixOrNull(GgufTensor t) throws ModelFormatException { return t == null ? null : WeightMatrix.of(t); }

    public GemmaConfig config() { return config; }

    /** {@code token_embd} as V rows of d. */
    public WeightMatrix tokenEmbedding() { return tokenEmbedding; }

    /** The LM head: {@code output.weight} if the file has one, else the tied {@code token_embd}. */
    public WeightMatrix lmHead() { return lmHead; }

    public float[] outputNorm() { return outputNorm; }

    /** {@code rope_freqs.weight} (divisors of the full layers' RoPE frequencies), or null. */
    public float[] ropeFreqs() { return ropeFreqs; }

    /** Null unless the model has per-layer embeddings. */
    public PerLayerInputs perLayerInputs() { return perLayerInputs; }

    public List<Layer> layers() { return layers; }

    public Layer layer(int i) { return layers.get(i); }
}
