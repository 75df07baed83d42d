package dev.rullama.gemma.reference;

/** Comparison measures for logits, as the end-to-end tests report them. */
final class Logits {
    private Logits() {}

    /** ‖a − b‖₂ / ‖b‖₂. */
    static double relL2(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double dd = (double) a[i] - b[i];
            num += dd * dd;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    /** The worst per-position relative L2 error. */
    static double maxRelL2(float[][] a, float[][] b) {
        double m = 0;
        for (int t = 0; t < a.length; t++) m = Math.max(m, relL2(a[t], b[t]));
        return m;
    }

    static double maxAbs(float[][] a, float[][] b) {
        double m = 0;
        for (int t = 0; t < a.length; t++) for (int i = 0; i < a[t].length; i++) m = Math.max(m, Math.abs(a[t][i] - b[t][i]));
        return m;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Gap between the largest and second largest entry (how decisive an argmax is). */
    static double top2Margin(float[] v) {
        int a = argmax(v);
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) if (i != a) second = Math.max(second, v[i]);
        return v[a] - second;
    }
}
