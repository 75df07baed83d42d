package dev.rullama.cli;

import java.io.PrintWriter;

/** A one-line progress bar on stderr (redrawn at most ~10 times a second), like Ollama's pull/verify bars. */
final class ProgressBar {
    private final PrintWriter err;
    private final String label;
    private final long start = System.nanoTime();
    private long lastDraw;

    ProgressBar(PrintWriter err, String label) {
        this.err = err;
        this.label = label;
    }

    void update(long done, long total) {
        long now = System.nanoTime();
        if (now - lastDraw < 100_000_000L && done < total) return;
        lastDraw = now;
        double f = total <= 0 ? 1 : Math.min(1, done / (double) total);
        int width = 30, filled = (int) Math.round(f * width);
        double secs = (now - start) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        err.printf("\r%s %3.0f%% [%s%s] %s/%s %s/s ", label, f * 100, "#".repeat(filled), " ".repeat(width - filled),
                Human.bytes(done), Human.bytes(total), Human.bytes((long) rate));
        err.flush();
    }

    /** Ends the bar's line so that an error message starts on a line of its own. */
    void abort() {
        err.println();
        err.flush();
    }

    void done(String message) {
        err.printf("\r%s: %s in %.1f s%s%n", label, message, (System.nanoTime() - start) / 1e9, " ".repeat(20));
        err.flush();
    }
}
