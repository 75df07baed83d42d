package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ollama's {@code keep_alive}: a number of seconds, or a Go duration string ({@code "5m"}, {@code "1h30m"},
 * {@code "300ms"}, {@code "-1"}). Zero unloads the model after the request; a negative value keeps it forever.
 */
public final class Durations {
    /** What a negative keep-alive becomes: kept until the server stops. */
    public static final Duration FOREVER = Duration.ofSeconds(Long.MAX_VALUE / 1_000_000_000L);

    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    private Durations() {}

    /** A keep-alive from JSON: a number (seconds) or a string. */
    public static Duration keepAlive(JsonNode n) {
        if (n.isNumber()) return normalize(Duration.ofNanos((long) (n.asDouble() * 1e9)), n.asDouble() < 0);
        if (n.isTextual()) return parse(n.asText());
        throw ApiException.badRequest("keep_alive must be a number of seconds or a duration such as \"5m\", not " + n);
    }

    /** A keep-alive string: a Go duration, or a bare number of seconds. */
    public static Duration parse(String s) {
        String t = s.strip();
        try {
            double secs = Double.parseDouble(t);
            return normalize(Duration.ofNanos((long) (secs * 1e9)), secs < 0);
        } catch (NumberFormatException notANumber) {
            // a Go duration then
        }
        boolean negative = t.startsWith("-");
        String body = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        Matcher m = PART.matcher(body);
        int at = 0;
        double nanos = 0;
        while (m.find() && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            at = m.end();
        }
        if (body.isEmpty() || at != body.length())
            throw ApiException.badRequest("keep_alive \"" + s + "\" is not a duration (examples: \"5m\", \"1h30m\", \"30s\", \"0\", \"-1\")");
        return normalize(Duration.ofNanos((long) Math.min(nanos, Long.MAX_VALUE)), negative);
    }

    private static Duration normalize(Duration d, boolean negative) {
        return negative ? FOREVER : d;
    }

    /** For help texts and logs: {@code 5m0s}-like. */
    public static String format(Duration d) {
        if (d.equals(FOREVER)) return "forever";
        return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
    }
}
