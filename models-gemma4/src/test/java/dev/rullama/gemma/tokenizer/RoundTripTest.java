package dev.rullama.gemma.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * decode(encode(s)) == s over a multilingual corpus, line by line and whole, for both algorithms: the synthetic Gemma 4
 * BPE vocabulary and the real Gemma 3 one. Streaming decode of the same ids gives the same text. Literal U+2581 is left
 * out: every SentencePiece vocabulary decodes it as a space.
 */
class RoundTripTest {
    static List<String> corpus() throws IOException {
        String all = Files.readString(TokenizerFixtures.resource("/tokenizer/multilingual-corpus.txt"), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(all.lines().toList());
        out.add(all);
        out.add("");
        out.add("  \n\n \t\t\n ");
        out.add("👨‍👩‍👧‍👦🇫🇷👍🏽🦜🪿🫠𠜎𝕄");
        out.add("<b>not bold</b> <table> <start_of_turn> <|turn> <|\"|> <0x41> <bos>");
        return out;
    }

    private static void roundTrip(GemmaTokenizer tok) throws IOException {
        for (String s : corpus()) {
            int[] ids = tok.encode(s, false);
            assertEquals(s, tok.decode(ids), () -> "round trip of " + Gemma4BpeOracleTest.quote(s));
            StreamingDecoder d = tok.streamingDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : ids) {
                String piece = d.append(id);
                assertFalse(piece.indexOf('\uFFFD') >= 0, () -> "U+FFFD while streaming " + Gemma4BpeOracleTest.quote(s));
                sb.append(piece);
            }
            sb.append(d.finish());
            assertEquals(s, sb.toString());
            for (int id : ids) assertFalse(tok.isMarker(id), () -> "content produced a marker in " + Gemma4BpeOracleTest.quote(s));
        }
    }

    @Test
    void gemma4SyntheticBpe() throws IOException {
        roundTrip(TokenizerFixtures.gemma4Synthetic());
    }

    @Test
    void gemma3RealVocabulary() throws IOException {
        roundTrip(TokenizerFixtures.gemma3());
    }

    @Test
    void templateTextRoundTripsWithItsMarkers() {
        GemmaTokenizer tok = TokenizerFixtures.gemma3();
        String prompt = "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n";
        int[] ids = tok.encode(prompt, true);
        assertEquals(prompt, tok.decode(ids));
        assertTrue(GemmaTokenizerTest.contains(ids, tok.requireTokenId("<start_of_turn>")));
        assertEquals(105, tok.requireTokenId("<start_of_turn>"));
        assertEquals(106, tok.requireTokenId("<end_of_turn>"));
    }
}
