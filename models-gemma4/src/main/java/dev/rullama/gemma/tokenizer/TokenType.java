package dev.rullama.gemma.tokenizer;

/**
 * SentencePiece token types as GGUF stores them in {@code tokenizer.ggml.token_type}. Only three matter to the
 * encoder: CONTROL and USER_DEFINED tokens are cut out of the text before merging (see {@link GemmaTokenizer} for
 * when), and BYTE tokens ({@code <0xHH>}) carry byte fallback.
 */
public enum TokenType {
    UNDEFINED(0),
    NORMAL(1),
    UNKNOWN(2),
    CONTROL(3),
    USER_DEFINED(4),
    UNUSED(5),
    BYTE(6);

    private final int code;

    TokenType(int code) { this.code = code; }

    /** The GGUF integer code. */
    public int code() { return code; }

    /** The type for a GGUF code; codes outside 0..6 are UNDEFINED, as llama.cpp treats them. */
    public static TokenType of(int code) {
        return switch (code) {
            case 1 -> NORMAL;
            case 2 -> UNKNOWN;
            case 3 -> CONTROL;
            case 4 -> USER_DEFINED;
            case 5 -> UNUSED;
            case 6 -> BYTE;
            default -> UNDEFINED;
        };
    }
}
