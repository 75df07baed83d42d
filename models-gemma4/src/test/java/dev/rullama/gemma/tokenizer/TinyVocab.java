package dev.rullama.gemma.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Hand-made vocabularies small enough to reason about merge by merge. */
final class TinyVocab {
    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> types = new ArrayList<>();
    private final List<Float> scores = new ArrayList<>();
    private final List<String> merges = new ArrayList<>();

    /** Gemma's first ids (pad 0, eos 1, bos 2, unk 3) and the 256 byte tokens. */
    TinyVocab() {
        control("<pad>");
        control("<eos>");
        control("<bos>");
        control("<unk>");
        for (int b = 0; b < 256; b++) add(String.format("<0x%02X>", b), TokenType.BYTE, 0);
    }

    TinyVocab control(String t) { return add(t, TokenType.CONTROL, -1000); }

    TinyVocab userDefined(String t) { return add(t, TokenType.USER_DEFINED, -1000); }

    TinyVocab normal(String t, float score) { return add(t, TokenType.NORMAL, score); }

    TinyVocab normal(String... ts) {
        for (String t : ts) normal(t, 0);
        return this;
    }

    TinyVocab merge(String left, String right) {
        merges.add(left + " " + right);
        return this;
    }

    private TinyVocab add(String t, TokenType type, float score) {
        tokens.add(t);
        types.add(type.code());
        scores.add(score);
        return this;
    }

    int id(String t) {
        int id = tokens.lastIndexOf(t);
        if (id < 0) throw new IllegalArgumentException(t);
        return id;
    }

    GemmaTokenizer build(TokenizerAlgorithm algorithm) {
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        int[] ty = types.stream().mapToInt(Integer::intValue).toArray();
        return GemmaTokenizer.create(new TokenizerSpec(algorithm, List.copyOf(tokens), s, ty, List.copyOf(merges),
                2, 1, 3, 0, true, null));
    }
}
