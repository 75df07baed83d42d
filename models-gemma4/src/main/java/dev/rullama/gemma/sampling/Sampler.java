package dev.rullama.gemma.sampling;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The CPU reference sampler: picks the next token from a {@code float[]} of logits. The GPU path will do argmax and
 * top-k on the device; this class defines what it must agree with.
 *
 * <p>Stages, in order (Ollama's order for the filters; llama.cpp's rules for the penalties):
 * <ol>
 *   <li>penalties over the last {@code penaltyWindow} accepted tokens: repeat (positive logit ÷ r, negative × r), then
 *       frequency (− count·f) and presence (− p once);</li>
 *   <li>greedy when temperature ≤ 0 or top-k = 1: the argmax, ties to the lowest id;</li>
 *   <li>top-k (ties broken by lower id), temperature, softmax, top-p (smallest prefix with cumulative probability
 *       ≥ p, at least one token), min-p (probability ≥ minP × top probability);</li>
 *   <li>one draw from the renormalised distribution with a {@link SplittableRandom} seeded from the config.</li>
 * </ol>
 * NaN logits count as −∞; a row with nothing finite is an error. The caller's array is never modified.
 *
 * <p>Not thread-safe: one per generation.
 */
public final class Sampler {
    private final SamplingConfig config;
    private final SplittableRandom random;
    private int[] history;
    private int historyStart;
    private int historySize;

    public Sampler(SamplingConfig config) {
        this.config = config;
        this.random = config.seed() == SamplingConfig.RANDOM_SEED ? new SplittableRandom() : new SplittableRandom(config.seed());
        this.history = new int[config.penaltyWindow() > 0 ? config.penaltyWindow() : 16];
    }

    public SamplingConfig config() { return config; }

    /** Records a token for the penalties (generated tokens; also prompt tokens if they should count). */
    public void accept(int token) {
        int window = config.penaltyWindow();
        if (window == 0) return;
        if (window > 0) { // a ring of exactly `window` slots
            if (historySize < window) {
                history[(historyStart + historySize) % window] = token;
                historySize++;
            } else {
                history[historyStart] = token;
                historyStart = (historyStart + 1) % window;
            }
            return;
        }
        if (historySize == history.length) history = Arrays.copyOf(history, history.length * 2);
        history[historySize++] = token;
    }

    public void acceptAll(int... tokens) {
        for (int t : tokens) accept(t);
    }

    /** The tokens the penalties currently see, oldest first. */
    public int[] penaltyWindow() {
        int[] out = new int[historySize];
        for (int i = 0; i < historySize; i++) out[i] = history[(historyStart + i) % history.length];
        return out;
    }

    /** Samples and accepts the result. */
    public int sampleAndAccept(float[] logits) {
        int t = sample(logits);
        accept(t);
        return t;
    }

    /** The next token for these logits. Does not record it: call {@link #accept}. */
    public int sample(float[] logits) {
        float[] l = config.hasPenalties() ? applyPenalties(logits) : logits;
        if (config.isGreedy()) return argmax(l);

        long[] cand = candidates(l, config.topK());
        if (l[(int) cand[0]] == Float.POSITIVE_INFINITY) return (int) cand[0];
        int n = cand.length;
        double[] p = new double[n];
        int[] ids = new int[n];
        double inv = 1.0 / config.temperature();
        double max = l[(int) cand[0]] * inv;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            ids[i] = (int) cand[i];
            p[i] = Math.exp(l[ids[i]] * inv - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) p[i] /= sum;
        int keep = n;
        if (config.topP() < 1f) {
            double cum = 0;
            for (int i = 0; i < n; i++) {
                cum += p[i];
                if (cum >= config.topP()) { keep = i + 1; break; }
            }
        }
        if (config.minP() > 0f) {
            double threshold = config.minP() * p[0];
            int k = 1;
            while (k < keep && p[k] >= threshold) k++;
            keep = k;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) total += p[i];
        double r = random.nextDouble() * total;
        double cum = 0;
        for (int i = 0; i < keep; i++) {
            cum += p[i];
            if (r < cum) return ids[i];
        }
        return ids[keep - 1];
    }

    /** Logits after the penalties, as a copy. */
    public float[] applyPenalties(float[] logits) {
        float[] l = logits.clone();
        if (!config.hasPenalties() || historySize == 0) return l;
        Map<Integer, Integer> counts = new HashMap<>();
        for (int t : penaltyWindow()) counts.merge(t, 1, Integer::sum);
        float rp = config.repeatPenalty();
        for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
            int t = e.getKey();
            if (t < 0 || t >= l.length) continue;
            float v = l[t];
            if (rp != 1f) v = v > 0 ? v / rp : v * rp;
            v -= e.getValue() * config.frequencyPenalty() + config.presencePenalty();
            l[t] = v;
        }
        return l;
    }

    /** Index of the largest logit, lowest index on ties; NaN never wins. */
    public static int argmax(float[] logits) {
        int best = -1;
        float bestValue = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (Float.isNaN(v)) continue;
            if (best < 0 || v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        if (best < 0 || bestValue == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("no finite logit among " + logits.length);
        }
        return best;
    }

    /**
     * Token ids with finite logits, most likely first (ties: lower id), at most {@code k} of them when k > 0.
     * Each entry packs an order key in the high half and the id in the low half; the id is {@code (int) entry}.
     */
    static long[] candidates(float[] l, int k) {
        int n = l.length;
        boolean limit = k > 0 && k < n;
        long[] heap = new long[limit ? k : Math.max(n, 1)];
        int size = 0;
        for (int i = 0; i < n; i++) {
            float v = l[i];
            if (Float.isNaN(v) || v == Float.NEGATIVE_INFINITY) continue;
            long key = orderKey(v, i);
            if (!limit) {
                heap[size++] = key;
            } else if (size < k) {
                heap[size++] = key;
                siftUp(heap, size - 1);
            } else if (key < heap[0]) {
                heap[0] = key;
                siftDown(heap, size);
            }
        }
        if (size == 0) throw new IllegalArgumentException("no finite logit among " + n);
        long[] out = Arrays.copyOf(heap, size);
        Arrays.sort(out);
        return out;
    }

    /** Ascending key order = descending logit, then ascending id. */
    private static long orderKey(float v, int id) {
        int bits = Float.floatToIntBits(v);
        int sortable = bits ^ ((bits >> 31) & 0x7FFFFFFF); // signed-int order equals float order
        return ((long) ~sortable << 32) | (id & 0xFFFFFFFFL);
    }

    /** Max-heap on keys: the root is the worst of the k kept. */
    private static void siftUp(long[] h, int i) {
        long v = h[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (h[p] >= v) break;
            h[i] = h[p];
            i = p;
        }
        h[i] = v;
    }

    private static void siftDown(long[] h, int n) {
        long v = h[0];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && h[c + 1] > h[c]) c++;
            if (h[c] <= v) break;
            h[i] = h[c];
            i = c;
        }
        h[i] = v;
    }
}
