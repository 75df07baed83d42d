package dev.rullama.gemma.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.webgpu.RullamaCache;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Rendered prompts, tokenized through their template/content segments, against an independent tokenizer fed the whole
 * expected string: llama.cpp on the real Gemma 3 vocabulary (BOS added, specials parsed) and HF tokenizers on the
 * synthetic Gemma 4 one (the prompt's literal {@code <bos>} parsed). Where no user text spells a marker the two
 * policies must give identical ids.
 */
class ChatTokenizationOracleTest {

    private static Map<String, int[]> oracle(String resource) throws Exception {
        try (InputStream in = ChatTokenizationOracleTest.class.getResourceAsStream(resource)) {
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, int[]> out = new java.util.TreeMap<>();
            for (JsonNode c : root.get("chat")) {
                int[] ids = new int[c.get("ids").size()];
                for (int i = 0; i < ids.length; i++) ids[i] = c.get("ids").get(i).asInt();
                out.put(c.get("name").asText(), ids);
            }
            return out;
        }
    }

    private static void check(GemmaTokenizer tok, Map<String, int[]> expected, String prefix) throws Exception {
        Map<String, ChatFormatFixtureTest.Case> cases = ChatFormatFixtureTest.cases().stream()
                .collect(Collectors.toMap(ChatFormatFixtureTest.Case::name, Function.identity()));
        assertTrue(expected.size() >= 3, "oracle chat vectors missing for " + prefix);
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            ChatFormatFixtureTest.Case c = cases.get(e.getKey());
            if (c == null) fail("no chat fixture " + e.getKey());
            int[] got = c.render().tokenize(tok);
            if (!Arrays.equals(e.getValue(), got)) {
                failures.add(e.getKey() + "\n    oracle  " + Arrays.toString(e.getValue()) + "\n    rullama " + Arrays.toString(got));
            }
        }
        assertEquals(cases.keySet().stream().filter(n -> n.startsWith(prefix) && !n.contains("spells-markers")).count(),
                expected.size(), "every fixture of the family has an oracle tokenization");
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void gemma3PromptsMatchLlamaCpp() throws Exception {
        Path blob = RullamaCache.dir().resolve("models/blobs/sha256-a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818");
        if (!Files.isRegularFile(blob)) fail("the Gemma 3 270M GGUF is not at " + blob + ": run scripts/setup.sh");
        GemmaTokenizer tok;
        try (GgufFile f = GgufFile.open(blob)) {
            tok = GemmaTokenizer.fromGguf(f);
        }
        check(tok, oracle("/tokenizer/gemma3-llamacpp-vectors.json"), "gemma3-");
    }

    @Test
    void gemma4PromptsMatchHuggingFace() throws Exception {
        check(ChatFormatFixtureTest.syntheticGemma4(), oracle("/tokenizer/gemma4-synthetic-vectors.json"), "gemma4-");
    }
}
