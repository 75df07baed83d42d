package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rullama.gemma.chat.GenerationDefaults;
import dev.rullama.gemma.sampling.SamplingConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A request's generation options: Ollama's {@code options} object (or the OpenAI fields mapped onto it), checked
 * for sense. Unset values fall back to the model's params layer, then to Ollama's defaults. Options rullama does not
 * use (e.g. {@code num_gpu}, {@code mirostat}) are ignored, as Ollama ignores options a runner does not use; a value
 * of the wrong type or out of range is a 400 naming the option.
 */
final class RequestOptions {
    /** Largest context a request may ask for (the model's own limit and the server's {@code --ctx} apply first). */
    static final int MAX_NUM_CTX = 1 << 24;

    final Map<String, Double> numbers = new TreeMap<>();
    List<String> stop;

    /** Reads Ollama's {@code options}; null or missing means none. */
    static RequestOptions fromOllama(JsonNode options) {
        RequestOptions o = new RequestOptions();
        if (options == null || options.isNull() || options.isMissingNode()) return o;
        if (!options.isObject()) throw ApiException.badRequest("options must be a JSON object, not " + options);
        for (var e : options.properties()) o.set(e.getKey(), e.getValue());
        return o;
    }

    /** Sets one option by its Ollama name. */
    void set(String key, JsonNode v) {
        if (v == null || v.isNull()) return;
        switch (key) {
            case "stop" -> stop = strings(key, v);
            case "temperature", "top_p", "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty" -> numbers.put(key, number(key, v));
            case "top_k", "num_predict", "num_ctx", "seed", "repeat_last_n", "num_keep" -> numbers.put(key, integer(key, v));
            default -> { } // an option rullama does not use: ignored, as Ollama does
        }
    }

    private static double number(String key, JsonNode v) {
        if (!v.isNumber()) throw ApiException.badRequest("option " + key + " must be a number, not " + v);
        double d = v.asDouble();
        if (!Double.isFinite(d)) throw ApiException.badRequest("option " + key + " must be finite, not " + v);
        return d;
    }

    private static double integer(String key, JsonNode v) {
        double d = number(key, v);
        if (d != Math.rint(d) || Math.abs(d) > 9.007199254740992E15) throw ApiException.badRequest("option " + key + " must be an integer, not " + v);
        return d;
    }

    private static List<String> strings(String key, JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v.isTextual()) out.add(v.asText());
        else if (v.isArray()) {
            for (JsonNode e : v) {
                if (!e.isTextual()) throw ApiException.badRequest("option " + key + " must hold strings, not " + e);
                out.add(e.asText());
            }
        } else throw ApiException.badRequest("option " + key + " must be a string or an array of strings, not " + v);
        if (out.size() > 16) throw ApiException.badRequest("option " + key + " has " + out.size() + " strings; at most 16 are allowed");
        for (String s : out) if (s.isEmpty() || s.length() > 256) throw ApiException.badRequest("option " + key + " strings must have 1 to 256 characters");
        return out;
    }

    /** What generation uses, after the model's defaults and the server's context limit. */
    record Resolved(SamplingConfig sampling, int numPredict, List<String> stop, int numCtx, int numKeep) {}

    Resolved resolve(GenerationDefaults d, int defaultCtx, int maxCtx) {
        SamplingConfig s = d.sampling();
        Double t = numbers.get("temperature");
        if (t != null) s = s.withTemperature((float) range("temperature", t, 0, 100));
        Double k = numbers.get("top_k");
        if (k != null) s = s.withTopK((int) range("top_k", k, 0, 1 << 20));
        Double p = numbers.get("top_p");
        if (p != null) s = s.withTopP((float) range("top_p", p, 0, 1));
        Double mp = numbers.get("min_p");
        if (mp != null) s = s.withMinP((float) range("min_p", mp, 0, 1));
        Double rp = numbers.get("repeat_penalty");
        if (rp != null) {
            if (rp <= 0 || rp > 100) throw ApiException.badRequest("option repeat_penalty must be in (0, 100] (1 is off), not " + rp);
            s = s.withRepeatPenalty(rp.floatValue());
        }
        Double pp = numbers.get("presence_penalty");
        if (pp != null) s = s.withPresencePenalty((float) range("presence_penalty", pp, -100, 100));
        Double fp = numbers.get("frequency_penalty");
        if (fp != null) s = s.withFrequencyPenalty((float) range("frequency_penalty", fp, -100, 100));
        Double win = numbers.get("repeat_last_n");
        if (win != null) s = s.withPenaltyWindow((int) range("repeat_last_n", win, -1, 1 << 20));
        Double seed = numbers.get("seed");
        if (seed != null) s = s.withSeed(seed.longValue() < 0 ? SamplingConfig.RANDOM_SEED : seed.longValue());
        Double np = numbers.get("num_predict");
        int numPredict = np == null ? d.numPredict() : (int) range("num_predict", np, -2, Integer.MAX_VALUE);
        if (numPredict < 0) numPredict = -1; // -1 (no limit) and -2 (fill the context) both run to the context's end
        Double nc = numbers.get("num_ctx");
        int ctx = nc != null ? (int) range("num_ctx", nc, 1, MAX_NUM_CTX) : d.numCtx() > 0 ? d.numCtx() : defaultCtx;
        ctx = Math.min(ctx, maxCtx);
        Double nk = numbers.get("num_keep");
        int numKeep = nk == null ? d.numKeep() : (int) range("num_keep", nk, -1, MAX_NUM_CTX);
        return new Resolved(s, numPredict, stop != null ? stop : d.stop(), ctx, numKeep);
    }

    private static double range(String key, double v, double lo, double hi) {
        if (v < lo || v > hi) throw ApiException.badRequest("option " + key + " must be between " + fmt(lo) + " and " + fmt(hi) + ", not " + fmt(v));
        return v;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
