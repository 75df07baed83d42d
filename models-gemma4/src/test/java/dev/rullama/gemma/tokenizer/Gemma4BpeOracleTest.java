package dev.rullama.gemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gemma 4 BPE against an independent implementation: Hugging Face {@code tokenizers} (Rust) encoded every string of
 * {@code tools/oracles/tokenizer/vectors_corpus.py} with a vocabulary it trained (Replace(" ", "▁") normalizer,
 * byte_fallback, no pre-tokenizer), and the generator wrote that vocabulary as a GGUF the way Ollama's blobs carry
 * one (model=llama, pre=gemma4, scores = index, add_bos=false). The ids must match exactly.
 */
class Gemma4BpeOracleTest {
    private static final String VECTORS = "/tokenizer/gemma4-synthetic-vectors.json";

    @Test
    void selectsRankedBpeFromPreGemma4() {
        assertEquals(TokenizerAlgorithm.RANKED_BPE, TokenizerFixtures.gemma4Synthetic().algorithm());
        assertEquals(false, TokenizerFixtures.gemma4Synthetic().addBosByDefault());
    }

    @Test
    void everyVectorMatchesHuggingFaceTokenizers() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma4Synthetic();
        JsonNode root = TokenizerFixtures.json(VECTORS);
        assertEquals(root.get("vocab_size").asInt(), tok.vocabularySize());
        List<TokenizerFixtures.Vector> vectors = new ArrayList<>(TokenizerFixtures.vectors(root.get("vectors")));
        vectors.addAll(TokenizerFixtures.vectors(root.get("fuzz")));
        assertTrue(vectors.size() >= 400, "expected the hand-picked and the fuzz vectors, got " + vectors.size());
        List<String> failures = new ArrayList<>();
        for (TokenizerFixtures.Vector v : vectors) {
            int[] got = tok.encode(v.text(), v.parseSpecial());
            if (!Arrays.equals(v.ids(), got)) {
                failures.add(String.format("%s (parseSpecial=%s)%n    expected %s%n    got      %s",
                        quote(v.text()), v.parseSpecial(), Arrays.toString(v.ids()), Arrays.toString(got)));
            }
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + vectors.size() + " vectors differ from HF tokenizers:\n"
                + String.join("\n", failures));
    }

    @Test
    void decodeInvertsEveryVector() throws IOException {
        GemmaTokenizer tok = TokenizerFixtures.gemma4Synthetic();
        for (TokenizerFixtures.Vector v : TokenizerFixtures.vectors(TokenizerFixtures.json(VECTORS).get("vectors"))) {
            if (v.text().indexOf('\u2581') >= 0) continue; // a literal ▁ decodes as a space in every SentencePiece vocabulary
            assertEquals(v.text(), tok.decode(v.ids()), () -> "decode of the oracle ids of " + quote(v.text()));
        }
    }

    static String quote(String s) {
        String q = s.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r");
        return "\"" + (q.length() > 120 ? q.substring(0, 120) + "…" : q) + "\"";
    }
}
