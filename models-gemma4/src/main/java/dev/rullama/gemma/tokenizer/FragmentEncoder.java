package dev.rullama.gemma.tokenizer;

import java.nio.charset.StandardCharsets;

/** Turns one run of ordinary text (no specials, spaces not yet escaped) into ids. */
sealed interface FragmentEncoder permits ScoreMergeEncoder, RankedBpeEncoder {
    void encode(String fragment, IdList out);

    /** Byte fallback: one {@code <0xHH>} token per UTF-8 byte; a byte without a token is dropped, as llama.cpp does. */
    static void appendBytes(Vocabulary vocab, String symbol, IdList out) {
        for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) {
            int id = vocab.byteToken[b & 0xFF];
            if (id >= 0) out.add(id);
        }
    }
}
