package dev.rullama.gemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gemma.sampling.Sampler;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The shared llama.cpp greedy fixture of Gemma 3 270M (fixtures/gemma3-270m/greedy.json, written by
 * tools/oracles/llamacpp_goldens.py): its prompts tokenize to llama.cpp's ids, its greedy continuations decode (whole
 * and streamed) to llama.cpp's text, and argmax over each step's recorded top logits is the token llama.cpp chose.
 */
class LlamaCppGreedyFixtureTest {
    @Test
    void promptsContinuationsAndArgmax() throws Exception {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/gemma3-270m/greedy.json")) {
            String reason = "fixtures/gemma3-270m/greedy.json is not there (tools/oracles/llamacpp_goldens.py writes it)";
            org.junit.jupiter.api.Assertions.assertNotNull(in, reason);
            doc = new ObjectMapper().readTree(in);
        }
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        for (JsonNode run : doc.get("runs")) {
            String prompt = run.get("prompt").asText();
            assertArrayEquals(ints(run.get("prompt_ids")), tok.encodeWithBos(prompt, run.get("parse_special").asBoolean()), prompt);
            int[] greedy = ints(run.get("greedy_ids"));
            String text = run.get("greedy_text").asText();
            if (text.indexOf('\uFFFD') < 0 && Arrays.stream(greedy).noneMatch(tok::isMarker)) {
                assertEquals(text, tok.decode(greedy), prompt);
                StreamingDecoder d = tok.streamingDecoder();
                StringBuilder sb = new StringBuilder();
                for (int id : greedy) sb.append(d.append(id));
                assertEquals(text, sb.append(d.finish()).toString());
            }
            for (JsonNode step : run.get("steps")) {
                float[] logits = new float[tok.vocabularySize()];
                Arrays.fill(logits, Float.NEGATIVE_INFINITY);
                for (JsonNode t : step.get("top")) logits[t.get("id").asInt()] = (float) t.get("logit").asDouble();
                assertEquals(step.get("token").asInt(), Sampler.argmax(logits));
            }
        }
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
