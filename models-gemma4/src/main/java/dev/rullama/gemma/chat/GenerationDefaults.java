package dev.rullama.gemma.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gemma.sampling.SamplingConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * A model's default generation options: its Ollama params layer (e.g. gemma3:270m ships
 * {@code {"stop":["<end_of_turn>"],"temperature":1,"top_k":64,"top_p":0.95}}; the gemma4 tags
 * {@code {"temperature":1,"top_k":64,"top_p":0.95}}), with Ollama's fallbacks for what it leaves out
 * (spec ollama-gguf §6: temperature 0.8, top_k 40, top_p 0.9, min_p 0, repeat_penalty 1.0, repeat_last_n 64,
 * num_predict −1, num_keep 4, random seed, no stop strings).
 *
 * @param sampling   the sampler settings
 * @param stop       stop strings (beyond the chat format's end-of-generation tokens)
 * @param numPredict maximum tokens to generate, −1 for no limit
 * @param numKeep    prompt tokens kept when the context is shifted
 * @param numCtx     context length the params ask for, 0 when they leave it to the runtime
 */
public record GenerationDefaults(SamplingConfig sampling, List<String> stop, int numPredict, int numKeep, int numCtx) {
    public GenerationDefaults {
        stop = List.copyOf(stop);
    }

    /** Ollama's fallbacks for unset options. */
    public static GenerationDefaults ollamaFallbacks() {
        return new GenerationDefaults(SamplingConfig.ollamaDefaults(), List.of(), -1, 4, 0);
    }

    /**
     * Reads an Ollama params layer ({@code application/vnd.ollama.image.params}). Unknown keys are ignored, as Ollama
     * ignores options a runner does not use; a key of the wrong type is an error.
     *
     * @throws IllegalArgumentException when the text is not a JSON object or a value has the wrong type
     */
    public static GenerationDefaults fromParamsJson(String json) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("params layer is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException("params layer must be a JSON object");
        GenerationDefaults d = ollamaFallbacks();
        SamplingConfig s = d.sampling();
        s = new SamplingConfig(
                (float) number(root, "temperature", s.temperature()),
                (int) integer(root, "top_k", s.topK()),
                (float) number(root, "top_p", s.topP()),
                (float) number(root, "min_p", s.minP()),
                (float) number(root, "repeat_penalty", s.repeatPenalty()),
                (float) number(root, "presence_penalty", s.presencePenalty()),
                (float) number(root, "frequency_penalty", s.frequencyPenalty()),
                (int) integer(root, "repeat_last_n", s.penaltyWindow()),
                integer(root, "seed", s.seed()));
        List<String> stop = new ArrayList<>();
        JsonNode st = root.get("stop");
        if (st != null && !st.isNull()) {
            if (st.isTextual()) stop.add(st.asText());
            else if (st.isArray()) {
                for (JsonNode e : st) {
                    if (!e.isTextual()) throw new IllegalArgumentException("params 'stop' must hold strings, got " + e);
                    stop.add(e.asText());
                }
            } else throw new IllegalArgumentException("params 'stop' must be a string or an array of strings, got " + st);
        }
        return new GenerationDefaults(s, stop, (int) integer(root, "num_predict", d.numPredict()),
                (int) integer(root, "num_keep", d.numKeep()), (int) integer(root, "num_ctx", d.numCtx()));
    }

    private static double number(JsonNode root, String key, double fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw new IllegalArgumentException("params '" + key + "' must be a number, got " + n);
        return n.asDouble();
    }

    private static long integer(JsonNode root, String key, long fallback) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber() || n.asDouble() != Math.rint(n.asDouble())) {
            throw new IllegalArgumentException("params '" + key + "' must be an integer, got " + n);
        }
        return n.asLong();
    }
}
