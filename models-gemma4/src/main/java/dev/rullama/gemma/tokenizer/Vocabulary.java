package dev.rullama.gemma.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The lookup tables built once from a {@link TokenizerSpec}: id → text/type/score, text → id, byte → byte-token id,
 * and which tokens are special and which of those are protocol markers.
 *
 * <p>Duplicate strings (a few vocabularies hold some twice) map to the <em>later</em> id, as llama.cpp's
 * {@code token_to_id} does.
 */
final class Vocabulary {
    static final char SPACE_MARK = '\u2581';

    final String[] text;
    final TokenType[] type;
    final float[] score;
    /** Byte value of a {@code <0xHH>} token, else -1. */
    final int[] byteValue;
    /** Token id for each byte value, -1 where the vocabulary has none. */
    final int[] byteToken = new int[256];
    /** Whether merging may produce the token (SentencePiece's own rule: never control, unknown, unused or byte pieces). */
    final boolean[] mergeable;
    /** Tokens cut out of the text before merging: control, unknown and user-defined. */
    final boolean[] special;
    /**
     * Specials recognised only in template text: control and unknown tokens, and user-defined tokens shaped like the
     * chat protocol's markers ({@code <|…} or {@code …|>}). The other user-defined tokens (whitespace runs, newline
     * runs, tab runs, HTML tags in Gemma 3) are ordinary text pieces that SentencePiece and llama.cpp always match.
     */
    final boolean[] marker;
    private final Map<String, Integer> ids;

    Vocabulary(TokenizerSpec spec) {
        List<String> tokens = spec.tokens();
        int n = tokens.size();
        text = new String[n];
        type = new TokenType[n];
        score = new float[n];
        byteValue = new int[n];
        mergeable = new boolean[n];
        special = new boolean[n];
        marker = new boolean[n];
        ids = new HashMap<>(n * 2);
        java.util.Arrays.fill(byteToken, -1);
        int[] types = spec.types();
        float[] scores = spec.scores();
        for (int i = 0; i < n; i++) {
            String t = tokens.get(i);
            text[i] = t;
            TokenType ty = types == null ? TokenType.NORMAL : TokenType.of(types[i]);
            type[i] = ty;
            score[i] = scores == null ? 0f : scores[i];
            ids.put(t, i);
            int b = parseByteToken(t);
            // Ollama's converter types byte tokens NORMAL in its gemma4 blobs; the text is what identifies them.
            byteValue[i] = (b >= 0 && (ty == TokenType.BYTE || ty == TokenType.NORMAL)) ? b : -1;
            if (byteValue[i] >= 0 && byteToken[b] < 0) byteToken[b] = i;
            special[i] = !t.isEmpty() && (ty == TokenType.CONTROL || ty == TokenType.USER_DEFINED || ty == TokenType.UNKNOWN);
            marker[i] = special[i] && (ty != TokenType.USER_DEFINED || looksLikeMarker(t));
            mergeable[i] = (ty == TokenType.NORMAL || ty == TokenType.USER_DEFINED || ty == TokenType.UNDEFINED)
                    && byteValue[i] < 0 && !marker[i];
        }
    }

    int size() { return text.length; }

    /** The id of {@code s}, or -1. */
    int id(String s) {
        Integer id = ids.get(s);
        return id == null ? -1 : id;
    }

    /** The id of {@code s} when merging may produce it, or -1. */
    int mergeableId(String s) {
        Integer id = ids.get(s);
        return id == null || !mergeable[id] ? -1 : id;
    }

    /** UTF-8 bytes a token stands for in decoded text. */
    byte[] bytes(int id) {
        if (byteValue[id] >= 0) return new byte[] {(byte) byteValue[id]};
        return piece(id).getBytes(StandardCharsets.UTF_8);
    }

    /** The text a non-byte token stands for: ▁ → space for normal pieces, control and user-defined pieces verbatim. */
    private String piece(int id) {
        String t = text[id];
        return switch (type[id]) {
            case CONTROL, USER_DEFINED, UNKNOWN -> t;
            default -> t.replace(SPACE_MARK, ' ');
        };
    }

    static boolean looksLikeMarker(String t) {
        return t.startsWith("<|") || t.endsWith("|>");
    }

    /** 0..255 for exactly {@code <0xHH>} (hex digits either case), else -1. */
    static int parseByteToken(String t) {
        if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
        int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
