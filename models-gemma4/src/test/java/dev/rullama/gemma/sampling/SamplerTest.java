package dev.rullama.gemma.sampling;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU reference sampler: each stage on logits where the right answer can be worked out by hand. */
class SamplerTest {
    private static final SamplingConfig PLAIN = new SamplingConfig(1f, 0, 1f, 0f, 1f, 0f, 0f, 0, 1234);

    /** Logits whose softmax is exactly {@code probs}. */
    private static float[] logitsOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < l.length; i++) l[i] = probs[i] == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(probs[i]);
        return l;
    }

    private static float[] randomLogits(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * 3);
        return l;
    }

    private static int[] run(SamplingConfig c, float[] logits, int n) {
        Sampler s = new Sampler(c);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = s.sample(logits);
        return out;
    }

    private static Set<Integer> support(SamplingConfig c, float[] logits, int draws) {
        Set<Integer> seen = new HashSet<>();
        for (int t : run(c, logits, draws)) seen.add(t);
        return seen;
    }

    @Test
    void sameSeedSameTokens() {
        float[] l = randomLogits(1000, 1);
        SamplingConfig c = SamplingConfig.ollamaDefaults().withSeed(42);
        assertArrayEquals(run(c, l, 200), run(c, l, 200));
        assertNotEquals(Arrays.toString(run(c, l, 200)), Arrays.toString(run(c.withSeed(43), l, 200)), "another seed, another sequence");
    }

    @Test
    void greedyIsArgmax() {
        for (long seed = 0; seed < 20; seed++) {
            float[] l = randomLogits(5000, seed);
            int best = 0;
            for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
            assertEquals(best, Sampler.argmax(l));
            assertEquals(best, new Sampler(SamplingConfig.greedy()).sample(l));
            assertEquals(best, new Sampler(PLAIN.withTopK(1)).sample(l), "top-k = 1 is greedy");
            assertEquals(best, new Sampler(PLAIN.withTemperature(0f)).sample(l), "temperature 0 is greedy");
        }
        assertEquals(1, Sampler.argmax(new float[] {1f, 3f, 3f, Float.NaN}), "ties go to the lowest id, NaN never wins");
        assertThrows(IllegalArgumentException.class, () -> Sampler.argmax(new float[] {Float.NaN, Float.NEGATIVE_INFINITY}));
    }

    @Test
    void temperatureTowardZeroBecomesGreedy() {
        float[] l = randomLogits(2000, 9);
        int best = Sampler.argmax(l);
        // With T = 1e-3 every other token is at least e^(-gap/T) less likely; the smallest gap here is > 0.01.
        float[] sorted = l.clone();
        Arrays.sort(sorted);
        assertTrue(sorted[sorted.length - 1] - sorted[sorted.length - 2] > 0.01f);
        for (int t : run(PLAIN.withTemperature(1e-3f), l, 500)) assertEquals(best, t);
    }

    @Test
    void topKKeepsTheKMostLikely() {
        float[] l = {0.5f, 3f, -1f, 2f, 2.5f, 0f};
        assertEquals(Set.of(1, 4, 3), support(PLAIN.withTopK(3), l, 5000));
        assertEquals(Set.of(1), support(PLAIN.withTopK(1), l, 100));
        // Ties at the boundary go to the lower id.
        assertEquals(Set.of(0, 1), support(PLAIN.withTopK(2), new float[] {1f, 1f, 1f}, 2000));
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        float[] l = logitsOf(0.5, 0.25, 0.15, 0.1);
        assertEquals(Set.of(0), support(PLAIN.withTopP(0.5f), l, 2000), "0.5 alone reaches 0.5");
        assertEquals(Set.of(0, 1), support(PLAIN.withTopP(0.6f), l, 5000));
        assertEquals(Set.of(0, 1), support(PLAIN.withTopP(0.74f), l, 5000), "0.5 + 0.25 reaches 0.74");
        assertEquals(Set.of(0, 1, 2), support(PLAIN.withTopP(0.76f), l, 5000));
        assertEquals(Set.of(0, 1, 2, 3), support(PLAIN.withTopP(1f), l, 5000));
        assertEquals(Set.of(0), support(PLAIN.withTopP(0f), l, 500), "at least one token survives");
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTop() {
        float[] l = logitsOf(0.4, 0.3, 0.2, 0.1);
        assertEquals(Set.of(0, 1), support(PLAIN.withMinP(0.6f), l, 5000), "threshold 0.24");
        assertEquals(Set.of(0, 1, 2), support(PLAIN.withMinP(0.45f), l, 5000), "threshold 0.18");
        assertEquals(Set.of(0), support(PLAIN.withMinP(1f), l, 500));
    }

    @Test
    void temperatureIsAppliedBeforeTopPLikeOllama() {
        // At T=1 the top token has 0.5 and top-p 0.5 keeps it alone; at T=2 it has less than 0.5, so more survive.
        float[] l = logitsOf(0.5, 0.25, 0.15, 0.1);
        assertEquals(Set.of(0), support(PLAIN.withTopP(0.5f), l, 2000));
        assertEquals(Set.of(0, 1), support(PLAIN.withTopP(0.5f).withTemperature(2f), l, 5000));
    }

    @Test
    void penaltiesChangeOnlyTheTokensInTheWindow() {
        SamplingConfig c = PLAIN.withRepeatPenalty(2f).withPresencePenalty(0.5f).withFrequencyPenalty(0.25f).withPenaltyWindow(3);
        Sampler s = new Sampler(c);
        s.acceptAll(7, 1, 2, 2); // window 3 keeps 1, 2, 2: the 7 fell out
        assertArrayEquals(new int[] {1, 2, 2}, s.penaltyWindow());
        float[] l = {1f, 4f, -2f, 3f, 0f, 0f, 0f, 5f};
        float[] p = s.applyPenalties(l);
        assertEquals(1f, p[0]);
        assertEquals(4f / 2 - 0.25f - 0.5f, p[1], 1e-6f, "positive logit divided, then 1 occurrence");
        assertEquals(-2f * 2 - 2 * 0.25f - 0.5f, p[2], 1e-6f, "negative logit multiplied, then 2 occurrences");
        assertEquals(3f, p[3]);
        assertEquals(5f, p[7], "outside the window");
        assertEquals(4f, l[1], "the caller's logits are not modified");
        // Greedy sees the penalised logits: 1 (4 → 1.25) loses to 3.
        Sampler g = new Sampler(SamplingConfig.greedy().withRepeatPenalty(2f).withPresencePenalty(0.5f).withFrequencyPenalty(0.25f).withPenaltyWindow(3));
        g.acceptAll(7, 1, 2, 2);
        assertEquals(3, g.sample(new float[] {1f, 4f, -2f, 3f}));
        assertEquals(1, new Sampler(SamplingConfig.greedy()).sample(new float[] {1f, 4f, -2f, 3f}));
    }

    @Test
    void unboundedWindowAndDisabledPenalties() {
        Sampler all = new Sampler(PLAIN.withRepeatPenalty(1.5f).withPenaltyWindow(-1));
        for (int i = 0; i < 100; i++) all.accept(i);
        assertEquals(100, all.penaltyWindow().length);
        Sampler off = new Sampler(PLAIN.withRepeatPenalty(1.5f).withPenaltyWindow(0));
        off.acceptAll(1, 2, 3);
        assertEquals(0, off.penaltyWindow().length);
        assertArrayEquals(new float[] {1f, 2f}, off.applyPenalties(new float[] {1f, 2f}));
    }

    /**
     * Frequencies match the softmax: 200000 draws over 6 tokens, Pearson's chi-square against the expected counts must
     * stay below 20.52, the 0.999 quantile of chi-square with 5 degrees of freedom. The seed is fixed, so the check is
     * deterministic; a correct sampler fails it for only 1 seed in 1000.
     */
    @Test
    void frequenciesFollowTheDistribution() {
        double[] probs = {0.35, 0.25, 0.2, 0.1, 0.07, 0.03};
        float[] l = logitsOf(probs);
        // Scale by T = 0.7 to exercise temperature: expected probabilities are softmax(l / 0.7).
        double[] expected = new double[probs.length];
        double sum = 0;
        for (int i = 0; i < probs.length; i++) sum += expected[i] = Math.pow(probs[i], 1 / 0.7);
        int n = 200_000;
        int[] counts = new int[probs.length];
        for (int t : run(PLAIN.withTemperature(0.7f).withSeed(99), l, n)) counts[t]++;
        double chi2 = 0;
        for (int i = 0; i < probs.length; i++) {
            double e = n * expected[i] / sum;
            chi2 += (counts[i] - e) * (counts[i] - e) / e;
        }
        assertTrue(chi2 < 20.52, "chi-square " + chi2 + " for counts " + Arrays.toString(counts));
    }

    @Test
    void largeVocabularyTopKMatchesAFullSort() {
        float[] l = randomLogits(262_144, 5);
        long[] c = Sampler.candidates(l, 64);
        Integer[] order = new Integer[l.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> l[a] != l[b] ? Float.compare(l[b], l[a]) : Integer.compare(a, b));
        for (int i = 0; i < 64; i++) assertEquals((int) order[i], (int) c[i]);
    }

    @Test
    void nanAndInfinity() {
        assertEquals(2, new Sampler(PLAIN).sample(new float[] {Float.NaN, Float.NEGATIVE_INFINITY, 0f}));
        assertEquals(1, new Sampler(PLAIN).sample(new float[] {0f, Float.POSITIVE_INFINITY, 5f}));
        assertThrows(IllegalArgumentException.class, () -> new Sampler(PLAIN).sample(new float[] {Float.NaN}));
        assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(Float.NaN, 0, 1, 0, 1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> PLAIN.withRepeatPenalty(0f));
    }

    @Test
    void ollamaDefaults() {
        SamplingConfig d = SamplingConfig.ollamaDefaults();
        assertEquals(0.8f, d.temperature());
        assertEquals(40, d.topK());
        assertEquals(0.9f, d.topP());
        assertEquals(1.0f, d.repeatPenalty());
        assertEquals(64, d.penaltyWindow());
        assertEquals(SamplingConfig.RANDOM_SEED, d.seed());
    }
}
