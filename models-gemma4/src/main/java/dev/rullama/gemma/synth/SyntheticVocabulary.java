package dev.rullama.gemma.synth;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Gemma-4-shaped tokenizer vocabulary as Ollama writes it ({@code tokenizer.ggml.model} "llama", {@code pre}
 * "gemma4", scores = the token index, type 3 for control tokens and 1 for the rest, merges present), which both
 * rullama's BPE tokenizer and llama.cpp (SentencePiece for model "llama") accept.
 *
 * <p>Ids of the real vocabulary where the spec records them (ollama-gguf.md §5.3): {@code <pad>} 0, {@code <eos>} 1,
 * {@code <bos>} 2, {@code <unk>} 3, the tool markers 46–52, {@code <|channel>} 100, {@code <channel|>} 101,
 * {@code <|turn>} 105, {@code <turn|>} 106, "\n" 107, the byte tokens {@code <0x00>..<0xFF>} at 238–493 (as in
 * Gemma's SentencePiece vocabulary), the image/audio markers at 255999, 256000 and 258880–258883 when the vocabulary
 * is that large. {@code <|think|>}'s real id is unknown; it is put at 98. Then come "▁", printable ASCII, and the
 * pieces the merges build ("▁" + letter or digit, letter pairs, "▁" + letter pair); every remaining id is a unique
 * made-up word ("▁" + at least two consonant-vowel syllables), so decoded random output reads as words.
 */
final class SyntheticVocabulary {
    static final int CONTROL = 3, NORMAL = 1;
    static final int BYTE_BASE = 238;
    static final int NEWLINE = 107;
    static final String SPACE = "\u2581";

    private static final Map<Integer, String> SPECIAL = new LinkedHashMap<>();

    static {
        String[] low = {"<pad>", "<eos>", "<bos>", "<unk>"};
        for (int i = 0; i < low.length; i++) SPECIAL.put(i, low[i]);
        String[] tools = {"<|tool>", "<tool|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<tool_response|>", "<|\"|>"};
        for (int i = 0; i < tools.length; i++) SPECIAL.put(46 + i, tools[i]);
        SPECIAL.put(98, "<|think|>");
        SPECIAL.put(100, "<|channel>");
        SPECIAL.put(101, "<channel|>");
        SPECIAL.put(105, "<|turn>");
        SPECIAL.put(106, "<turn|>");
        SPECIAL.put(255_999, "<|image>");
        SPECIAL.put(256_000, "<|audio>");
        SPECIAL.put(258_880, "<|image|>");
        SPECIAL.put(258_881, "<|audio|>");
        SPECIAL.put(258_882, "<image|>");
        SPECIAL.put(258_883, "<audio|>");
    }

    final List<String> tokens;
    final List<Float> scores;
    final List<Integer> types;
    final List<String> merges;

    private SyntheticVocabulary(List<String> tokens, List<Float> scores, List<Integer> types, List<String> merges) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
        this.merges = merges;
    }

    static SyntheticVocabulary of(int size) {
        if (size < BYTE_BASE + 256) throw new IllegalArgumentException("vocabulary of " + size + " tokens cannot hold the byte tokens");
        String letters = "abcdefghijklmnopqrstuvwxyz";
        List<String> pieces = new ArrayList<>();
        List<String> merges = new ArrayList<>();
        pieces.add(SPACE);
        for (char c = '!'; c <= '~'; c++) pieces.add(String.valueOf(c));
        String alnum = letters + letters.toUpperCase() + "0123456789";
        for (char c : alnum.toCharArray()) { pieces.add(SPACE + c); merges.add(SPACE + " " + c); }
        for (char a : letters.toCharArray()) for (char b : letters.toCharArray()) { pieces.add("" + a + b); merges.add(a + " " + b); }
        for (char a : letters.toCharArray()) for (char b : letters.toCharArray()) { pieces.add(SPACE + a + b); merges.add(SPACE + a + " " + b); }

        List<String> tokens = new ArrayList<>(size);
        List<Float> scores = new ArrayList<>(size);
        List<Integer> types = new ArrayList<>(size);
        Set<String> seen = new HashSet<>();
        int nextPiece = 0;
        long nextWord = 0;
        for (int id = 0; id < size; id++) {
            String text;
            int type = NORMAL;
            if (SPECIAL.containsKey(id)) {
                text = SPECIAL.get(id);
                type = CONTROL;
            } else if (id == NEWLINE) {
                text = "\n";
            } else if (id >= BYTE_BASE && id < BYTE_BASE + 256) {
                text = String.format("<0x%02X>", id - BYTE_BASE);
            } else if (nextPiece < pieces.size()) {
                text = pieces.get(nextPiece++);
            } else {
                text = word(nextWord++);
            }
            if (!seen.add(text)) throw new IllegalStateException("duplicate synthetic token " + text);
            tokens.add(text);
            scores.add((float) id); // Ollama writes the token index as the score
            types.add(type);
        }
        if (nextPiece < pieces.size()) merges = merges.stream().filter(m -> seen.contains(m.replace(" ", ""))).toList();
        return new SyntheticVocabulary(List.copyOf(tokens), List.copyOf(scores), List.copyOf(types), List.copyOf(merges));
    }

    /** "▁" + two or more consonant-vowel syllables, unique per n (n in bijective base-90 numeration, from two digits on). */
    private static String word(long n) {
        String consonants = "bdfghjklmnprstvwyz", vowels = "aeiou";
        int base = consonants.length() * vowels.length();
        StringBuilder sb = new StringBuilder(SPACE);
        long v = n + base + 1; // 1..base are the one-syllable numbers
        List<String> syl = new ArrayList<>();
        while (v > 0) {
            v--;
            int s = (int) (v % base);
            syl.addFirst("" + consonants.charAt(s / vowels.length()) + vowels.charAt(s % vowels.length()));
            v /= base;
        }
        syl.forEach(sb::append);
        return sb.toString();
    }
}
