package dev.rullama.gemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gemma 3 SentencePiece merging against llama.cpp on the real 262144-token vocabulary of the Gemma 3 270M GGUF that
 * scripts/setup.sh installs (the test fails, naming setup.sh, when it is missing). Vectors: llama.cpp's ids for the
 * strings of tools/oracles/tokenizer/vectors_corpus.py (gen_vectors.py: 70 hand-picked edge cases and 400 seeded
 * random strings over many scripts), content with {@code special=false},
 * template text with {@code special=true}; and, when present, the multilingual cases of
 * fixtures/gemma3-270m/tokenization.json written by tools/oracles/llamacpp_goldens.py.
 */
class Gemma3LlamaCppOracleTest {
    private static final String VECTORS = "/tokenizer/gemma3-llamacpp-vectors.json";

    @Test
    void realVocabularyIsGemma3SentencePiece() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        assertEquals(TokenizerAlgorithm.SENTENCEPIECE_SCORES, tok.algorithm());
        assertEquals(262144, tok.vocabularySize());
        assertEquals(2, tok.bosId());
        assertEquals(1, tok.eosId());
        assertTrue(tok.addBosByDefault());
        String sha = TokenizerFixtures.json(VECTORS).get("model_sha256").asText();
        assertEquals(TokenizerFixtures.GEMMA3_270M_BLOB, "sha256-" + sha, "vectors were made from another file");
    }

    @Test
    void everyVectorMatchesLlamaCpp() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        JsonNode root = TokenizerFixtures.json(VECTORS);
        List<TokenizerFixtures.Vector> vectors = new ArrayList<>(TokenizerFixtures.vectors(root.get("vectors")));
        vectors.addAll(TokenizerFixtures.vectors(root.get("fuzz")));
        assertTrue(vectors.size() >= 400, "expected the hand-picked and the fuzz vectors, got " + vectors.size());
        List<String> failures = new ArrayList<>();
        for (TokenizerFixtures.Vector v : vectors) {
            int[] got = tok.encode(v.text(), v.parseSpecial());
            if (!Arrays.equals(v.ids(), got)) {
                failures.add(String.format("%s (parseSpecial=%s)%n    llama.cpp %s%n    rullama   %s",
                        Gemma4BpeOracleTest.quote(v.text()), v.parseSpecial(), Arrays.toString(v.ids()), Arrays.toString(got)));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + vectors.size() + " differ from llama.cpp:\n" + String.join("\n", failures));
    }

    @Test
    void bosLikeLlamaCpp() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        for (TokenizerFixtures.Vector v : TokenizerFixtures.vectors(TokenizerFixtures.json(VECTORS).get("with_bos"))) {
            assertArrayEquals(v.ids(), tok.encodeWithBos(v.text(), v.parseSpecial()), v.text());
        }
    }

    @Test
    void decodeMatchesLlamaCppText() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        for (TokenizerFixtures.Vector v : TokenizerFixtures.vectors(TokenizerFixtures.json(VECTORS).get("vectors"))) {
            if (v.text().indexOf('\u2581') >= 0) continue;
            assertEquals(v.text(), tok.decode(v.ids()), () -> "decode of llama.cpp's ids for " + Gemma4BpeOracleTest.quote(v.text()));
        }
    }

    /** The shared fixture another oracle script writes; used when it is there. */
    @Test
    void sharedFixtureTokenization() throws IOException {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/gemma3-270m/tokenization.json")) {
            String reason = "fixtures/gemma3-270m/tokenization.json is not there yet (tools/oracles/llamacpp_goldens.py writes it);"
                    + " gemma3-llamacpp-vectors.json covers the same ground";
            org.junit.jupiter.api.Assertions.assertNotNull(in, reason);
            doc = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in);
        }
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (JsonNode c : doc.get("cases")) {
            n++;
            String text = c.get("text").asText();
            boolean special = c.get("parse_special").asBoolean();
            int[] noBos = ints(c.get("ids_no_bos")), withBos = ints(c.get("ids_with_bos"));
            int[] got = tok.encode(text, special);
            if (!Arrays.equals(noBos, got)) failures.add(c.get("name").asText() + " special=" + special + "\n    llama.cpp " + Arrays.toString(noBos) + "\n    rullama   " + Arrays.toString(got));
            if (!Arrays.equals(withBos, tok.encodeWithBos(text, special))) failures.add(c.get("name").asText() + " with BOS");
            if (c.get("round_trip_exact").asBoolean() && !text.equals(tok.decode(noBos))) failures.add(c.get("name").asText() + " decode");
        }
        assertTrue(n > 0);
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }
}
