package dev.rullama.cli.bench;

import java.util.List;

/** Mean and sample standard deviation, as llama-bench reports them ({@code avg_ts}, {@code stddev_ts}). */
public final class Stats {
    private Stats() {}

    public static double mean(List<Double> xs) {
        if (xs.isEmpty()) throw new IllegalArgumentException("no samples");
        double s = 0;
        for (double x : xs) s += x;
        return s / xs.size();
    }

    /** The sample standard deviation (divides by n - 1); 0 for a single sample. */
    public static double stddev(List<Double> xs) {
        if (xs.size() < 2) return 0;
        double m = mean(xs), s = 0;
        for (double x : xs) s += (x - m) * (x - m);
        return Math.sqrt(s / (xs.size() - 1));
    }
}
