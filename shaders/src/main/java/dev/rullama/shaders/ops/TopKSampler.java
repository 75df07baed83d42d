package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Arrays;
import java.util.Map;

/**
 * Stochastic sampling on the GPU ({@code sample_topk.wgsl}): top-k (k ≤ {@link #MAX_K}), temperature, top-p, min-p,
 * in the CPU sampler's order ({@code dev.rullama.gemma.sampling.Sampler}), and draws from a counter-based RNG:
 * draw d uses {@link #uniform uniform(seed, step[1] + d)}. The GPU and CPU RNGs differ (the CPU sampler uses
 * SplittableRandom), so equality with the CPU sampler holds for greedy (k = 1) and in distribution otherwise;
 * {@link #reference} here repeats the GPU's RNG bit for bit.
 *
 * <p>Two dispatches with the same five bindings (params, step, logits, part [groups * k * 2] u32, token [draws] u32):
 * {@link #partialSpec} on {@code groups} workgroups, then {@link #mergeSpec} on one.
 */
public final class TopKSampler {
    public static final String FILE = "sample_topk";
    public static final int MAX_K = 64;

    private TopKSampler() {}

    private static final String[] BINDINGS = {"params:U", "step:R", "logits:R", "part:W", "token:W"};

    public static KernelSpec partialSpec(int workgroupSize) {
        return new KernelSpec("sample_topk_partial", WgslSource.load(FILE), "partial", Map.of("WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    public static KernelSpec mergeSpec(int workgroupSize) {
        return new KernelSpec("sample_topk_merge", WgslSource.load(FILE), "merge", Map.of("WG", (double) workgroupSize), Bindings.of(BINDINGS));
    }

    /** A default split: 64 groups (V = 262144: 4096 logits each; the merge then ranks 64 * k candidates). */
    public static int groups(int n, int workgroupSize) {
        return (int) Math.min(64, Math.max(1, Bindings.ceilDiv(n, workgroupSize)));
    }

    /**
     * The uniform block: n, chunk, groups, top_k, 1/temperature, top_p, min_p, seed, draws, padding.
     * {@code temperature} must be positive (greedy decoding uses {@link Argmax}).
     */
    public static int[] params(int n, int groups, int topK, float temperature, float topP, float minP, int seed, int draws) {
        Bindings.require(topK >= 1 && topK <= MAX_K, "top-k must be 1.." + MAX_K + " on the GPU, not " + topK);
        Bindings.require(temperature > 0, "temperature must be positive (use Argmax for greedy), not " + temperature);
        Bindings.require(draws >= 1, "draws must be >= 1");
        int chunk = (int) Bindings.ceilDiv(n, groups);
        return new int[]{n, chunk, groups, topK, Bindings.f(1f / temperature), Bindings.f(topP), Bindings.f(minP), seed, draws, 0, 0, 0};
    }

    /** Words of the part tensor. */
    public static int partWords(int groups, int topK) {
        return 2 * groups * topK;
    }

    /** PCG-RXS-M-XS 32-bit hash, as in the WGSL. */
    public static int pcg(int v) {
        int state = v * 747796405 + (int) 2891336453L;
        int word = ((state >>> ((state >>> 28) + 4)) ^ state) * 277803737;
        return (word >>> 22) ^ word;
    }

    /** The GPU's uniform draw in [0, 1): 24 bits of pcg(pcg(seed) ^ counter), exactly as the WGSL computes it. */
    public static float uniform(int seed, int counter) {
        return (float) (pcg(pcg(seed) ^ counter) >>> 8) * 0x1p-24f;
    }

    /** The k best ids, best first (ties: lower id; NaN and -inf skipped). */
    public static int[] topK(float[] logits, int k) {
        Integer[] ids = new Integer[logits.length];
        int n = 0;
        for (int i = 0; i < logits.length; i++)
            if (!Float.isNaN(logits[i]) && logits[i] != Float.NEGATIVE_INFINITY) ids[n++] = i;
        Integer[] sorted = Arrays.copyOf(ids, n);
        Arrays.sort(sorted, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : Integer.compare(a, b));
        int m = Math.min(k, n);
        int[] out = new int[m];
        for (int i = 0; i < m; i++) out[i] = sorted[i];
        return out;
    }

    /** The candidates that survive top-k, top-p and min-p, best first, with their probabilities (renormalised). */
    public record Kept(int[] ids, double[] probabilities) {}

    /** Reference in double of the filter stages. */
    public static Kept kept(float[] logits, int topK, float temperature, float topP, float minP) {
        int[] ids = topK(logits, topK);
        int n = ids.length;
        double[] w = new double[n];
        double total = 0;
        for (int j = 0; j < n; j++) total += w[j] = Math.exp((logits[ids[j]] - (double) logits[ids[0]]) / temperature);
        int keep = n;
        if (topP < 1f) {
            double cum = 0;
            for (int j = 0; j < n; j++) {
                cum += w[j] / total;
                if (cum >= topP) { keep = j + 1; break; }
            }
        }
        if (minP > 0f) {
            double threshold = minP * (w[0] / total);
            int k = 1;
            while (k < keep && w[k] / total >= threshold) k++;
            keep = k;
        }
        double kept = 0;
        for (int j = 0; j < keep; j++) kept += w[j];
        double[] p = new double[keep];
        for (int j = 0; j < keep; j++) p[j] = w[j] / kept;
        return new Kept(Arrays.copyOf(ids, keep), p);
    }

    /** Reference: the token of one draw with the GPU's uniform for (seed, counter); -1 when nothing is selectable. */
    public static int reference(float[] logits, int topK, float temperature, float topP, float minP, int seed, int counter) {
        return reference(kept(logits, topK, temperature, topP, minP), seed, counter);
    }

    /** Reference of one draw from an already filtered candidate set (see {@link #kept}). */
    public static int reference(Kept k, int seed, int counter) {
        if (k.ids().length == 0) return -1;
        double target = uniform(seed, counter);
        double cum = 0;
        for (int j = 0; j < k.ids().length; j++) {
            cum += k.probabilities()[j];
            if (target < cum) return k.ids()[j];
        }
        return k.ids()[k.ids().length - 1];
    }
}
