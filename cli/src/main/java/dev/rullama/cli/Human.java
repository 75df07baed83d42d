package dev.rullama.cli;

import java.time.Duration;
import java.time.Instant;

/** Sizes and ages as {@code ollama list} prints them (decimal units, "3 minutes ago"). */
final class Human {
    private Human() {}

    static String bytes(long n) {
        String[] units = {"B", "KB", "MB", "GB", "TB"};
        double v = n;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) { v /= 1000; u++; }
        return u == 0 ? n + " B" : (v >= 100 ? String.format("%.0f %s", v, units[u]) : String.format("%.1f %s", v, units[u]));
    }

    static String ago(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        long s = Math.max(0, d.getSeconds());
        if (s < 60) return s <= 1 ? "Less than a second ago" : s + " seconds ago";
        if (s < 120) return "About a minute ago";
        if (s < 3600) return (s / 60) + " minutes ago";
        if (s < 7200) return "About an hour ago";
        if (s < 86400) return (s / 3600) + " hours ago";
        if (s < 2 * 86400) return "Yesterday";
        if (s < 30L * 86400) return (s / 86400) + " days ago";
        if (s < 60L * 86400) return "About a month ago";
        if (s < 365L * 86400) return (s / (30L * 86400)) + " months ago";
        return (s / (365L * 86400)) + " years ago";
    }
}
