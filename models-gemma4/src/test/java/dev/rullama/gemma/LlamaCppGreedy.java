package dev.rullama.gemma;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's greedy continuations of the real Gemma 3 270M ({@code fixtures/gemma3-270m/}, written by
 * {@code tools/oracles/llamacpp_goldens.py}): {@link #NATIVE} from the Q4_K_M blob as llama.cpp runs it (every
 * activation rounded to 8 bits before a quantized product), {@link #F32} from the same weights decoded to F32 by
 * llama.cpp's own quantizer (products in float32, which is what rullama computes).
 */
public record LlamaCppGreedy(List<Run> runs) {
    public static final String NATIVE = "greedy.json";
    public static final String F32 = "greedy-f32.json";

    /** One prompt: llama.cpp's prompt ids (with BOS), its 32 greedy tokens, and each step's top-5 logits. */
    public record Run(String prompt, int[] promptIds, int[] greedyIds, List<Step> steps) {
        /** The prompt, escaped and cut for a one-line report. */
        public String label() {
            String p = prompt.replace("\n", "\\n");
            return "'" + p.substring(0, Math.min(40, p.length())) + "'";
        }
    }

    /** One greedy step: llama.cpp's five largest logits, best first. */
    public record Step(int[] topIds, double[] topLogits) {
        public double margin() { return topLogits[0] - topLogits[1]; }

        /** Largest |logits[id] − llama.cpp's logit| over llama.cpp's top-5 ids. */
        public double gap(float[] logits) {
            double g = 0;
            for (int k = 0; k < topIds.length; k++) g = Math.max(g, Math.abs(logits[topIds[k]] - topLogits[k]));
            return g;
        }
    }

    public static LlamaCppGreedy load(String file) throws IOException {
        Path path = TestModels.fixtures().resolve("gemma3-270m").resolve(file);
        if (!Files.isRegularFile(path)) fail(path + " is missing; generate it with python3 tools/oracles/llamacpp_goldens.py --only gemma3-270m");
        ObjectMapper json = new ObjectMapper();
        JsonNode doc = json.readTree(path.toFile()).get("runs");
        assertTrue(doc != null && doc.size() >= 3, "fewer than 3 prompts in " + path);
        List<Run> runs = new ArrayList<>();
        for (JsonNode r : doc) {
            List<Step> steps = new ArrayList<>();
            for (JsonNode s : r.get("steps")) {
                JsonNode top = s.get("top");
                int[] ids = new int[top.size()];
                double[] logits = new double[top.size()];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = top.get(i).get("id").asInt();
                    logits[i] = top.get(i).get("logit").asDouble();
                }
                steps.add(new Step(ids, logits));
            }
            int[] greedy = json.convertValue(r.get("greedy_ids"), int[].class);
            assertTrue(greedy.length >= 32 && greedy.length == steps.size(), path + ": a run has " + greedy.length + " greedy tokens");
            runs.add(new Run(r.get("prompt").asText(), json.convertValue(r.get("prompt_ids"), int[].class), greedy, steps));
        }
        return new LlamaCppGreedy(runs);
    }
}
