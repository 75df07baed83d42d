package dev.rullama.gemma.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static dev.rullama.gemma.tokenizer.TokenizerAlgorithm.RANKED_BPE;
import static dev.rullama.gemma.tokenizer.TokenizerAlgorithm.SENTENCEPIECE_SCORES;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The rules of spec ollama-gguf §5 on vocabularies small enough to check by hand. */
class GemmaTokenizerTest {

    private static int[] ids(TinyVocab v, String... tokens) {
        return Arrays.stream(tokens).mapToInt(v::id).toArray();
    }

    // ---- algorithm choice -------------------------------------------------------------------------------------

    @Test
    void algorithmFromModelAndPre() {
        assertEquals(RANKED_BPE, TokenizerAlgorithm.select("gemma4", "gemma4"));
        assertEquals(RANKED_BPE, TokenizerAlgorithm.select("llama", "gemma4"), "Ollama's gemma4 blobs say model=llama");
        assertEquals(RANKED_BPE, TokenizerAlgorithm.select("gemma4", null));
        assertEquals(SENTENCEPIECE_SCORES, TokenizerAlgorithm.select("llama", "default"));
        assertNull(TokenizerAlgorithm.select("gpt2", "default"));
    }

    // ---- Gemma 3: merge by score --------------------------------------------------------------------------------

    @Test
    void sentencePieceMergesHighestScoreFirst() {
        TinyVocab v = new TinyVocab().normal("a", -10).normal("b", -10).normal("c", -10)
                .normal("ab", -5).normal("bc", -3).normal("abc", -1);
        // (b,c) outscores (a,b); then "a"+"bc" = "abc" is a token.
        assertArrayEquals(ids(v, "abc"), v.build(SENTENCEPIECE_SCORES).encode("abc", false));
        TinyVocab w = new TinyVocab().normal("a", -10).normal("b", -10).normal("c", -10)
                .normal("ab", -5).normal("bc", -3);
        assertArrayEquals(ids(w, "a", "bc"), w.build(SENTENCEPIECE_SCORES).encode("abc", false));
    }

    @Test
    void sentencePieceTiesGoLeftmost() {
        TinyVocab v = new TinyVocab().normal("a", -10).normal("aa", -2);
        assertArrayEquals(ids(v, "aa", "a"), v.build(SENTENCEPIECE_SCORES).encode("aaa", false));
    }

    @Test
    void sentencePieceEscapesSpacesWithoutPrefix() {
        TinyVocab v = new TinyVocab().normal("▁", -3).normal("a", -3).normal("b", -3).normal("▁b", -1);
        GemmaTokenizer t = v.build(SENTENCEPIECE_SCORES);
        assertArrayEquals(ids(v, "a", "▁b"), t.encode("a b", false), "no leading ▁ is added (add_space_prefix=false)");
        assertArrayEquals(ids(v, "▁", "a"), t.encode(" a", false));
        assertEquals(" a b", t.decode(t.encode(" a b", false)));
    }

    @Test
    void sentencePieceByteFallback() {
        TinyVocab v = new TinyVocab().normal("a", -1);
        assertArrayEquals(ids(v, "a", "<0xC3>", "<0xA9>"), v.build(SENTENCEPIECE_SCORES).encode("aé", false));
        assertArrayEquals(ids(v, "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"), v.build(SENTENCEPIECE_SCORES).encode("😀", false));
    }

    @Test
    void mergingNeverProducesControlTokens() {
        // "<s>" spelled in content: merging could reach the control token's string, SentencePiece never produces it.
        TinyVocab v = new TinyVocab().control("<s>").normal("<", -1).normal("s", -1).normal(">", -1).normal("<s", -0.5f);
        GemmaTokenizer t = v.build(SENTENCEPIECE_SCORES);
        assertArrayEquals(ids(v, "<s", ">"), t.encode("<s>", false));
        assertArrayEquals(ids(v, "<s>"), t.encode("<s>", true));
    }

    // ---- Gemma 4: ranked BPE ------------------------------------------------------------------------------------

    private static TinyVocab bpeVocab() {
        return new TinyVocab().normal("a", "b", "c", "x", "y", "ab", "bc", "abc", "▁", "▁a", "\n", "\n\n\n")
                .merge("a", "b").merge("b", "c").merge("ab", "c").merge("▁", "a").merge("x", "y");
    }

    @Test
    void bpeMergesLowestRankFirst() {
        TinyVocab v = bpeVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertArrayEquals(ids(v, "abc"), t.encode("abc", false), "a+b (rank 0), then ab+c (rank 2)");
        assertArrayEquals(ids(v, "bc", "a"), t.encode("bca", false));
        TinyVocab w = new TinyVocab().normal("a", "b", "c", "ab", "bc", "abc").merge("b", "c").merge("a", "b").merge("ab", "c");
        assertArrayEquals(ids(w, "a", "bc"), w.build(RANKED_BPE).encode("abc", false), "b+c now ranks first; a+bc is no merge");
    }

    @Test
    void bpeTiesGoLeftmost() {
        TinyVocab v = new TinyVocab().normal("a", "aa").merge("a", "a");
        assertArrayEquals(ids(v, "aa", "aa", "a"), v.build(RANKED_BPE).encode("aaaaa", false));
    }

    @Test
    void bpeIgnoresMergesWhoseResultIsNoToken() {
        TinyVocab v = bpeVocab();
        assertArrayEquals(ids(v, "x", "y"), v.build(RANKED_BPE).encode("xy", false));
    }

    @Test
    void bpeSpacesAndBytes() {
        TinyVocab v = bpeVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertArrayEquals(ids(v, "ab", "▁a", "▁"), t.encode("ab a ", false));
        assertArrayEquals(ids(v, "a", "<0xC3>", "<0xA9>", "b"), t.encode("aéb", false));
        assertEquals("ab a é ", t.decode(t.encode("ab a é ", false)));
    }

    @Test
    void bpeNewlineRunsAreSplitAndEmittedWholeWhenTokens() {
        TinyVocab v = bpeVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        // "\n\n\n" is a token no merge reaches: llama.cpp emits the run whole.
        assertArrayEquals(ids(v, "a", "\n\n\n", "b"), t.encode("a\n\n\nb", false));
        // "\n\n" is not a token: merged as usual (no merge applies) → two "\n".
        assertArrayEquals(ids(v, "a", "\n", "\n", "b"), t.encode("a\n\nb", false));
    }

    // ---- special tokens -----------------------------------------------------------------------------------------

    private static TinyVocab specialVocab() {
        return bpeVocab().control("<|turn>").control("<turn|>").userDefined("<|\"|>").userDefined("<b>")
                .normal("<", "|", "t", "u", "r", "n", ">", "\"", "/");
    }

    @Test
    void markersOnlyInTemplateText() {
        TinyVocab v = specialVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertArrayEquals(ids(v, "<|turn>"), t.encode("<|turn>", true));
        assertFalse(contains(t.encode("<|turn>", false), v.id("<|turn>")), "a user typing <|turn> gets text, not the marker");
        assertEquals("<|turn>", t.decode(t.encode("<|turn>", false)));
        // A user-defined token shaped like a marker is a marker too (llama.cpp types <|"|> USER_DEFINED).
        assertArrayEquals(ids(v, "<|\"|>"), t.encode("<|\"|>", true));
        assertFalse(contains(t.encode("<|\"|>", false), v.id("<|\"|>")));
        // Other user-defined pieces are text pieces, matched everywhere (SentencePiece, llama.cpp).
        assertArrayEquals(ids(v, "<b>", "a", "<b>"), t.encode("<b>a<b>", false));
        assertTrue(t.isMarker(v.id("<|turn>")) && t.isMarker(v.id("<|\"|>")) && !t.isMarker(v.id("<b>")));
    }

    @Test
    void segmentsDecideWhereMarkersCount() {
        TinyVocab v = specialVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        int[] got = t.encode(List.of(PromptSegment.template("<|turn>a"), PromptSegment.content("<turn|>b"),
                PromptSegment.template("<turn|>")));
        assertEquals(1, count(got, v.id("<turn|>")), "only the template's <turn|> is a marker: " + Arrays.toString(got));
        assertEquals(v.id("<turn|>"), got[got.length - 1]);
        assertEquals("<|turn>a<turn|>b<turn|>", t.decode(got));
        // A marker straddling template and content is not one.
        assertFalse(contains(t.encode(List.of(PromptSegment.template("<|tu"), PromptSegment.content("rn>"))), v.id("<|turn>")));
        // Merges run across the boundary, as they would on the whole prompt string.
        assertArrayEquals(ids(v, "abc"), t.encode(List.of(PromptSegment.template("a"), PromptSegment.content("bc"))));
    }

    @Test
    void longerSpecialsWinLikeLlamaCpp() {
        // llama.cpp tries specials longest first over the whole text, not leftmost-longest.
        TinyVocab v = new TinyVocab().userDefined("abc").userDefined("cdefg").normal("a", "b").merge("a", "b").normal("ab");
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertArrayEquals(ids(v, "ab", "cdefg"), t.encode("abcdefg", false));
    }

    // ---- BOS ----------------------------------------------------------------------------------------------------

    @Test
    void exactlyOneBos() {
        TinyVocab v = specialVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertArrayEquals(new int[] {2, v.id("a")}, t.encodeWithBos("a", false));
        assertArrayEquals(new int[] {2, v.id("a")}, t.encodeWithBos("<bos>a", true), "the template's <bos> is not doubled");
        int[] typed = t.encodeWithBos("<bos>a", false);
        assertEquals(2, typed[0]);
        assertEquals(1, count(typed, 2), "content spelling <bos> is text: " + Arrays.toString(typed));
        assertArrayEquals(new int[] {2, v.id("<|turn>")}, t.encodeWithBos(List.of(PromptSegment.template("<bos><|turn>"))));
        assertArrayEquals(new int[] {2}, t.encodeWithBos("", false));
    }

    // ---- decoding -----------------------------------------------------------------------------------------------

    @Test
    void decodeBytesSpacesAndSpecials() {
        TinyVocab v = specialVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertEquals("a b", t.decode(v.id("a"), v.id("▁"), v.id("b")));
        assertEquals("é", t.decode(v.id("<0xC3>"), v.id("<0xA9>")));
        assertEquals("<|turn>a", t.decode(v.id("<|turn>"), v.id("a")));
        assertArrayEquals("é".getBytes(StandardCharsets.UTF_8), t.decodeBytes(v.id("<0xC3>"), v.id("<0xA9>")));
        assertThrows(IllegalArgumentException.class, () -> t.decode(t.vocabularySize()));
        assertThrows(IllegalArgumentException.class, () -> t.decode(-1));
    }

    @Test
    void lookups() {
        TinyVocab v = specialVocab();
        GemmaTokenizer t = v.build(RANKED_BPE);
        assertEquals(v.id("<turn|>"), t.requireTokenId("<turn|>"));
        assertTrue(t.tokenId("no such token").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> t.requireTokenId("no such token"));
        assertEquals(TokenType.CONTROL, t.tokenType(2));
        assertEquals("<0x41>", t.tokenText(v.id("<0x41>")));
    }

    static boolean contains(int[] a, int x) { return count(a, x) > 0; }

    static int count(int[] a, int x) { return (int) Arrays.stream(a).filter(i -> i == x).count(); }
}
