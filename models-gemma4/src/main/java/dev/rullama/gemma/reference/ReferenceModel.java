package dev.rullama.gemma.reference;

import dev.rullama.api.ModelFormatException;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.LayerConfig;
import dev.rullama.gemma.WeightMatrix;
import dev.rullama.gguf.GgufFile;

import java.util.stream.IntStream;

import static dev.rullama.gemma.reference.CpuOps.addInPlace;
import static dev.rullama.gemma.reference.CpuOps.dot;
import static dev.rullama.gemma.reference.CpuOps.gelu;
import static dev.rullama.gemma.reference.CpuOps.rmsNorm;
import static dev.rullama.gemma.reference.CpuOps.rmsNormRows;
import static dev.rullama.gemma.reference.CpuOps.softmax;

/**
 * The Gemma 4 / Gemma 3 text decoder on the CPU, in float32, written to be read next to the spec
 * ({@code spec/gemma4.md} §2–§4): the numeric oracle the GPU path is checked against. Weights stay in the mapped GGUF
 * and are decoded row by row; matrix products are spread over the cores, nothing else is clever.
 *
 * <pre>{@code
 * try (GgufFile f = GgufFile.open(path)) {
 *     ReferenceModel model = ReferenceModel.load(f);
 *     Session s = model.newSession(4096);
 *     float[] next = s.prefill(promptIds);
 *     float[] after = s.decode(argmax(next));
 * }
 * }</pre>
 *
 * Thread-safe: sessions are independent; the model itself is immutable.
 */
public final class ReferenceModel {
    /** Most tokens one forward step processes together; longer inputs are split (this sizes the sliding rings). */
    public static final int DEFAULT_CHUNK = 64;

    private final GemmaConfig config;
    private final GemmaWeights weights;
    private final Arithmetic arithmetic;
    private final Rope[] rope;

    private ReferenceModel(GemmaWeights weights, Arithmetic arithmetic) {
        this.config = weights.config();
        this.weights = weights;
        this.arithmetic = arithmetic;
        this.rope = new Rope[config.blockCount()];
        for (LayerConfig l : config.layers()) rope[l.index()] = Rope.forLayer(l, weights.ropeFreqs());
    }

    /**
     * Reads the config and checks every key and tensor shape ({@link GemmaConfig#from}) before binding any weight, then
     * binds the weights. Keep {@code file} open while the model is used.
     */
    public static ReferenceModel load(GgufFile file) throws ModelFormatException {
        return load(file, Arithmetic.EXACT);
    }

    /** As {@link #load(GgufFile)}, computing with the given {@link Arithmetic}. */
    public static ReferenceModel load(GgufFile file, Arithmetic arithmetic) throws ModelFormatException {
        GemmaConfig config = GemmaConfig.from(file);
        return new ReferenceModel(GemmaWeights.bind(file, config), arithmetic);
    }

    /** A model over already bound weights. */
    public static ReferenceModel of(GemmaWeights weights, Arithmetic arithmetic) { return new ReferenceModel(weights, arithmetic); }

    public Arithmetic arithmetic() { return arithmetic; }

    public GemmaConfig config() { return config; }

    public GemmaWeights weights() { return weights; }

    /** A fresh conversation of at most {@code contextLength} positions. */
    public Session newSession(int contextLength) { return newSession(contextLength, DEFAULT_CHUNK); }

    /** As {@link #newSession(int)}, processing at most {@code chunk} tokens per forward step. */
    public Session newSession(int contextLength, int chunk) {
        if (contextLength <= 0) throw new IllegalArgumentException("context length " + contextLength);
        if (chunk <= 0) throw new IllegalArgumentException("chunk " + chunk);
        if (config.contextLength() > 0 && contextLength > config.contextLength()) {
            throw new IllegalArgumentException("context length " + contextLength + " exceeds the model's trained "
                    + config.contextLength());
        }
        return new Session(this, new KvCache(config, contextLength, chunk), contextLength, chunk);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // The forward pass. Rows of every float[][] are token positions start, start+1, ...

    /**
     * Runs {@code tokens} at positions {@code start ..} through every layer, writing their K/V into {@code cache}, and
     * returns the final-normed hidden states (the LM head's input).
     */
    float[][] hiddenStates(KvCache cache, int[] tokens, int start) {
        float[][] x = embed(tokens);
        float[][][] perLayer = config.hasPerLayerInputs() ? perLayerInputs(tokens, x) : null;
        for (LayerConfig l : config.layers()) decoderLayer(l, x, perLayer, cache, start);
        return rmsNormRows(x, weights.outputNorm(), config.rmsEps());
    }

    /** {@code logits = token_embdᵀ · y}, then the final softcap {@code c·tanh(z/c)} when the model has one. */
    float[][] logits(float[][] normed) {
        float[][] z = matmul(weights.lmHead(), normed);
        float cap = config.finalLogitSoftcap();
        if (cap > 0) {
            for (float[] row : z) {
                for (int i = 0; i < row.length; i++) row[i] = (float) (cap * Math.tanh(row[i] / cap));
            }
        }
        return z;
    }

    /** §2.6: {@code x0 = token_embd[t] · sqrt(d)}. */
    private float[][] embed(int[] tokens) {
        float[][] x = new float[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            x[i] = weights.tokenEmbedding().row(tokens[i]);
            for (int j = 0; j < x[i].length; j++) x[i][j] *= config.embeddingScale();
        }
        return x;
    }

    /**
     * §3.1, once per token before layer 0: {@code ple[l] = (RMSNorm(proj(x0)/sqrt(d))[l] + tok[l]·sqrt(P)) / sqrt(2)}.
     * Returns {@code [token][layer][P]}.
     */
    private float[][][] perLayerInputs(int[] tokens, float[][] x0) {
        GemmaWeights.PerLayerInputs w = weights.perLayerInputs();
        int n = config.blockCount();
        int p = config.perLayerInputLength();
        float projScale = (float) (1.0 / Math.sqrt(config.embeddingLength()));
        float tokScale = (float) Math.sqrt(p);
        float inputScale = (float) (1.0 / Math.sqrt(2.0));
        float[][] proj = matmul(w.modelProjection(), x0);
        float[][][] out = new float[tokens.length][n][p];
        for (int t = 0; t < tokens.length; t++) {
            float[] tok = w.tokenEmbedding().row(tokens[t]);
            for (int l = 0; l < n; l++) {
                float[] slice = new float[p];
                for (int j = 0; j < p; j++) slice[j] = proj[t][l * p + j] * projScale;
                rmsNorm(slice, 0, p, w.projectionNorm(), config.rmsEps());
                for (int j = 0; j < p; j++) out[t][l][j] = (slice[j] + tok[l * p + j] * tokScale) * inputScale;
            }
        }
        return out;
    }

    /** §2.5: attention, FFN (dense or dense+MoE), PLE, layer scale; updates {@code x} in place. */
    private void decoderLayer(LayerConfig l, float[][] x, float[][][] perLayer, KvCache cache, int start) {
        GemmaWeights.Layer w = weights.layer(l.index());
        float eps = config.rmsEps();

        float[][] a = attention(l, w, rmsNormRows(x, w.attnNorm(), eps), cache, start);
        for (int t = 0; t < x.length; t++) addInPlace(x[t], rmsNorm(a[t], w.postAttentionNorm(), eps));

        float[][] f = l.moe() ? denseAndExperts(w, x) : denseFfn(w, rmsNormRows(x, w.ffnNorm(), eps));
        for (int t = 0; t < x.length; t++) addInPlace(x[t], rmsNorm(f[t], w.postFfwNorm(), eps));

        if (perLayer != null) perLayerBlock(l, w.perLayer(), x, perLayer);

        if (w.outputScale() != 1f) {
            for (float[] row : x) for (int j = 0; j < row.length; j++) row[j] *= w.outputScale();
        }
    }

    /**
     * §2.2. Q from every layer; K/V only on layers that own them, written to the cache before any query of this chunk
     * attends, then each query reads its layer's (or donor's) cache over the positions its mask allows.
     */
    private float[][] attention(LayerConfig l, GemmaWeights.Layer w, float[][] h, KvCache cache, int start) {
        int hd = l.headDim();
        float eps = config.rmsEps();
        Rope r = rope[l.index()];

        float[][] q = matmul(w.q(), h);
        for (int t = 0; t < q.length; t++) {
            for (int head = 0; head < l.headCount(); head++) {
                rmsNorm(q[t], head * hd, hd, w.qNorm(), eps);
                r.apply(q[t], head * hd, start + t);
            }
        }

        LayerKvCache kv = cache.forLayer(l.index());
        if (l.ownsKv()) {
            float[][] k = matmul(w.k(), h);
            // K=V layers: V is the raw K projection, taken before k_norm and RoPE touch K.
            float[][] v = l.kEqualsV() ? deepCopy(k) : matmul(w.v(), h);
            for (int t = 0; t < k.length; t++) {
                for (int head = 0; head < l.kvHeads(); head++) {
                    rmsNorm(k[t], head * hd, hd, w.kNorm(), eps);
                    r.apply(k[t], head * hd, start + t);
                    if (config.valueNorm()) rmsNorm(v[t], head * hd, hd, null, eps);
                }
                kv.write(start + t, k[t], v[t]);
            }
        }

        float[][] out = new float[q.length][l.queryWidth()];
        int group = l.headCount() / l.kvHeads();
        float scale = config.attentionScale();
        IntStream.range(0, q.length * l.headCount()).parallel().forEach(job -> {
            int t = job / l.headCount();
            int head = job % l.headCount();
            int kvHead = head / group;
            int pos = start + t;
            int first = l.sliding() ? Math.max(0, pos - l.window() + 1) : 0;
            first = Math.max(first, kv.firstVisible(pos));
            int count = pos - first + 1;
            float[] score = new float[count];
            for (int j = 0; j < count; j++) {
                score[j] = dot(q[t], head * hd, kv.keys, kv.offset(first + j, kvHead), hd) * scale;
            }
            softmax(score, count);
            float[] o = out[t];
            for (int j = 0; j < count; j++) {
                int off = kv.offset(first + j, kvHead);
                float p = score[j];
                for (int i = 0; i < hd; i++) o[head * hd + i] += p * kv.values[off + i];
            }
        });
        return matmul(w.attnOutput(), out);
    }

    /** §2.4: {@code down(gelu_tanh(gate·u) ⊙ up·u)}. */
    private float[][] denseFfn(GemmaWeights.Layer w, float[][] u) {
        float[][] g = matmul(w.ffnGate(), u);
        float[][] up = matmul(w.ffnUp(), u);
        for (int t = 0; t < g.length; t++) geluGate(g[t], up[t]);
        return matmul(w.ffnDown(), g);
    }

    /**
     * §4, before the shared post_ffw_norm: {@code post_ffw_norm_1(MLP(ffn_norm(r))) + post_ffw_norm_2(experts)}, the
     * experts weighted by a router over {@code rms_norm(r)·(1/sqrt(d))⊙scale}: softmax over all experts, the top k
     * renormalised, each expert's output times its per-expert scale.
     */
    private float[][] denseAndExperts(GemmaWeights.Layer w, float[][] r) {
        GemmaWeights.Experts ex = w.experts();
        float eps = config.rmsEps();
        int d = config.embeddingLength();
        int k = config.expertUsedCount();

        float[][] m = denseFfn(w, rmsNormRows(r, w.ffnNorm(), eps));
        for (float[] row : m) rmsNorm(row, 0, d, ex.postNorm1(), eps);

        float invSqrtD = (float) (1.0 / Math.sqrt(d));
        float[][] z = rmsNormRows(r, null, eps);
        for (float[] row : z) for (int j = 0; j < d; j++) row[j] = row[j] * invSqrtD * ex.routerScale()[j];
        float[][] routerLogits = matmul(ex.router(), z);
        float[][] u = rmsNormRows(r, ex.preNorm2(), eps);

        float[][] out = new float[r.length][];
        for (int t = 0; t < r.length; t++) {
            float[] p = routerLogits[t];
            softmax(p, p.length);
            int[] top = topK(p, k);
            float sum = 0;
            for (int e : top) sum += p[e];
            float[] acc = new float[d];
            for (int e : top) {
                GemmaWeights.Expert expert = ex.experts().get(e);
                float[][] ut = {u[t]};
                float[][] g = matmul(expert.gate(), ut);
                float[][] up = matmul(expert.up(), ut);
                geluGate(g[0], up[0]);
                float[] y = matmul(expert.down(), g)[0];
                float weight = p[e] / sum * ex.perExpertScale()[e];
                for (int j = 0; j < d; j++) acc[j] += weight * y[j];
            }
            rmsNorm(acc, 0, d, ex.postNorm2(), eps);
            addInPlace(acc, m[t]);
            out[t] = acc;
        }
        return out;
    }

    /** Indices of the k largest entries, largest first; ties go to the lower index. */
    static int[] topK(float[] p, int k) {
        int[] top = new int[k];
        boolean[] taken = new boolean[p.length];
        for (int s = 0; s < k; s++) {
            int best = -1;
            for (int i = 0; i < p.length; i++) {
                if (!taken[i] && (best < 0 || p[i] > p[best])) best = i;
            }
            taken[best] = true;
            top[s] = best;
        }
        return top;
    }

    /** §3.1, inside layer l: {@code x += post_norm(proj · (gelu_tanh(inp_gate · x) ⊙ ple[l]))}. */
    private void perLayerBlock(LayerConfig l, GemmaWeights.PerLayerBlock w, float[][] x, float[][][] perLayer) {
        float[][] g = matmul(w.inputGate(), x);
        for (int t = 0; t < x.length; t++) {
            float[] ple = perLayer[t][l.index()];
            for (int j = 0; j < g[t].length; j++) g[t][j] = gelu(g[t][j], arithmetic) * ple[j];
        }
        float[][] y = matmul(w.projection(), g);
        for (int t = 0; t < x.length; t++) addInPlace(x[t], rmsNorm(y[t], w.postNorm(), config.rmsEps()));
    }

    /** A weight times each row of {@code x}, in this model's arithmetic. */
    private float[][] matmul(WeightMatrix w, float[][] x) { return CpuOps.matmul(w, x, arithmetic); }

    private void geluGate(float[] gate, float[] up) { CpuOps.geluGate(gate, up, arithmetic); }

    private static float[][] deepCopy(float[][] a) {
        float[][] c = new float[a.length][];
        for (int i = 0; i < a.length; i++) c[i] = a[i].clone();
        return c;
    }

    /** Checks a token id against the vocabulary. */
    void checkToken(int token) {
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of " + config.vocabSize());
        }
    }
}
