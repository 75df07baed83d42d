package dev.rullama.gemma.reference;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.LayerConfig;

import static dev.rullama.gemma.reference.CpuOps.dot;
import static dev.rullama.gemma.reference.CpuOps.geluTanh;
import static dev.rullama.gemma.reference.CpuOps.matmul;
import static dev.rullama.gemma.reference.CpuOps.rmsNorm;
import static dev.rullama.gemma.reference.CpuOps.softmax;

/**
 * A second, deliberately naive forward pass for tests: the whole sequence at once, K and V kept for every position,
 * attention through an explicit mask matrix, no cache, no chunks, no rings. The KV donor is recomputed here from the
 * layer types (spec §3.2) instead of read from {@link LayerConfig#kvDonor()}. It reuses only the elementwise
 * primitives of {@link CpuOps} and {@link Rope}, so it checks the reference's caching, masking, position and
 * donor logic, and its MoE/PLE plumbing.
 */
final class NaiveGemma {
    private final GemmaConfig c;
    private final GemmaWeights w;
    private final int windowOverride;

    /** @param windowOverride keys a sliding query sees (itself included); 0 for the config's window */
    NaiveGemma(GemmaWeights weights, int windowOverride) {
        this.w = weights;
        this.c = weights.config();
        this.windowOverride = windowOverride;
    }

    /** Whether query position {@code q} may attend to key position {@code k} on a layer of this type. */
    boolean mask(boolean sliding, int q, int k) {
        int window = windowOverride > 0 ? windowOverride : c.slidingWindow();
        return k <= q && (!sliding || q - k < window);
    }

    float[][] logits(int[] tokens) {
        int n = tokens.length, d = c.embeddingLength(), layers = c.blockCount();
        float eps = c.rmsEps();
        float[][] x = new float[n][];
        for (int t = 0; t < n; t++) {
            x[t] = w.tokenEmbedding().row(tokens[t]);
            for (int j = 0; j < d; j++) x[t][j] *= (float) Math.sqrt(d);
        }
        float[][][] ple = null;
        if (c.hasPerLayerInputs()) {
            int p = c.perLayerInputLength();
            ple = new float[n][layers][p];
            float[][] proj = matmul(w.perLayerInputs().modelProjection(), x);
            for (int t = 0; t < n; t++) {
                float[] tok = w.perLayerInputs().tokenEmbedding().row(tokens[t]);
                for (int l = 0; l < layers; l++) {
                    float[] s = new float[p];
                    for (int j = 0; j < p; j++) s[j] = proj[t][l * p + j] / (float) Math.sqrt(d);
                    rmsNorm(s, 0, p, w.perLayerInputs().projectionNorm(), eps);
                    for (int j = 0; j < p; j++) ple[t][l][j] = (s[j] + tok[l * p + j] * (float) Math.sqrt(p)) / (float) Math.sqrt(2);
                }
            }
        }
        float[][][] keys = new float[layers][][];
        float[][][] values = new float[layers][][];
        int firstShared = layers - c.sharedKvLayers();
        for (int l = 0; l < layers; l++) {
            LayerConfig lc = c.layer(l);
            GemmaWeights.Layer lw = w.layer(l);
            Rope rope = Rope.forLayer(lc, w.ropeFreqs());
            int hd = lc.headDim();
            float[][] h = norm(x, lw.attnNorm());
            float[][] q = matmul(lw.q(), h);
            for (int t = 0; t < n; t++) {
                for (int head = 0; head < lc.headCount(); head++) {
                    rmsNorm(q[t], head * hd, hd, lw.qNorm(), eps);
                    rope.apply(q[t], head * hd, t);
                }
            }
            int src = l;
            if (l >= firstShared) {
                src = -1;
                for (int j = 0; j < firstShared; j++) if (c.layer(j).sliding() == lc.sliding()) src = j;
            } else {
                float[][] k = matmul(lw.k(), h);
                float[][] v = lw.v() == null ? matmul(lw.k(), h) : matmul(lw.v(), h);
                for (int t = 0; t < n; t++) {
                    for (int head = 0; head < lc.kvHeads(); head++) {
                        rmsNorm(k[t], head * hd, hd, lw.kNorm(), eps);
                        rope.apply(k[t], head * hd, t);
                        if (c.valueNorm()) rmsNorm(v[t], head * hd, hd, null, eps);
                    }
                }
                keys[l] = k;
                values[l] = v;
            }
            float[][] a = new float[n][lc.queryWidth()];
            int group = lc.headCount() / lc.kvHeads();
            for (int t = 0; t < n; t++) {
                for (int head = 0; head < lc.headCount(); head++) {
                    int kvh = head / group;
                    float[] s = new float[n];
                    for (int k = 0; k < n; k++) {
                        s[k] = mask(lc.sliding(), t, k)
                                ? dot(q[t], head * hd, keys[src][k], kvh * hd, hd) * c.attentionScale()
                                : Float.NEGATIVE_INFINITY;
                    }
                    softmax(s, n);
                    for (int k = 0; k < n; k++) {
                        for (int i = 0; i < hd; i++) a[t][head * hd + i] += s[k] * values[src][k][kvh * hd + i];
                    }
                }
            }
            float[][] o = matmul(lw.attnOutput(), a);
            for (int t = 0; t < n; t++) add(x[t], rmsNorm(o[t], lw.postAttentionNorm(), eps));

            float[][] f = mlp(lw, norm(x, lw.ffnNorm()));
            if (lc.moe()) {
                GemmaWeights.Experts ex = lw.experts();
                for (int t = 0; t < n; t++) {
                    rmsNorm(f[t], 0, d, ex.postNorm1(), eps);
                    float[] z = rmsNorm(x[t], null, eps);
                    for (int j = 0; j < d; j++) z[j] = z[j] / (float) Math.sqrt(d) * ex.routerScale()[j];
                    float[] prob = matmul(ex.router(), new float[][] {z})[0];
                    softmax(prob, prob.length);
                    int[] top = ReferenceModel.topK(prob, c.expertUsedCount());
                    float total = 0;
                    for (int e : top) total += prob[e];
                    float[] u = rmsNorm(x[t], ex.preNorm2(), eps);
                    float[] acc = new float[d];
                    for (int e : top) {
                        GemmaWeights.Expert expert = ex.experts().get(e);
                        float[] g = matmul(expert.gate(), new float[][] {u})[0];
                        float[] up = matmul(expert.up(), new float[][] {u})[0];
                        for (int j = 0; j < g.length; j++) g[j] = geluTanh(g[j]) * up[j];
                        float[] y = matmul(expert.down(), new float[][] {g})[0];
                        for (int j = 0; j < d; j++) acc[j] += prob[e] / total * ex.perExpertScale()[e] * y[j];
                    }
                    rmsNorm(acc, 0, d, ex.postNorm2(), eps);
                    add(f[t], acc);
                }
            }
            for (int t = 0; t < n; t++) add(x[t], rmsNorm(f[t], lw.postFfwNorm(), eps));
            if (ple != null) {
                float[][] g = matmul(lw.perLayer().inputGate(), x);
                for (int t = 0; t < n; t++) {
                    for (int j = 0; j < g[t].length; j++) g[t][j] = geluTanh(g[t][j]) * ple[t][l][j];
                }
                float[][] y = matmul(lw.perLayer().projection(), g);
                for (int t = 0; t < n; t++) add(x[t], rmsNorm(y[t], lw.perLayer().postNorm(), eps));
            }
            for (float[] row : x) for (int j = 0; j < d; j++) row[j] *= lw.outputScale();
        }
        float[][] z = matmul(w.lmHead(), norm(x, w.outputNorm()));
        float cap = c.finalLogitSoftcap();
        if (cap > 0) for (float[] row : z) for (int i = 0; i < row.length; i++) row[i] = (float) (cap * Math.tanh(row[i] / cap));
        return z;
    }

    private static float[][] mlp(GemmaWeights.Layer lw, float[][] u) {
        float[][] g = matmul(lw.ffnGate(), u);
        float[][] up = matmul(lw.ffnUp(), u);
        for (int t = 0; t < g.length; t++) for (int j = 0; j < g[t].length; j++) g[t][j] = geluTanh(g[t][j]) * up[t][j];
        return matmul(lw.ffnDown(), g);
    }

    private float[][] norm(float[][] x, float[] weight) {
        float[][] y = new float[x.length][];
        for (int t = 0; t < x.length; t++) y[t] = rmsNorm(x[t], weight, c.rmsEps());
        return y;
    }

    private static void add(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }
}
