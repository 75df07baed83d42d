package dev.rullama.gemma.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes ids one at a time for streaming output. A character split over several byte-fallback tokens (an emoji is
 * four {@code <0xHH>} tokens) is held back until its last byte arrives, so no U+FFFD appears mid-sequence; bytes that
 * can never become valid UTF-8 are replaced at once, and {@link #finish()} replaces an incomplete tail.
 *
 * <p>Not thread-safe: one per generation.
 */
public final class StreamingDecoder {
    private final GemmaTokenizer tokenizer;
    private byte[] pending = new byte[8];
    private int n;

    StreamingDecoder(GemmaTokenizer tokenizer) { this.tokenizer = tokenizer; }

    /** Adds one token; returns the text that is now complete (often empty while a character is split). */
    public String append(int id) {
        byte[] b = tokenizer.tokenBytes(id);
        if (n + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, n + b.length));
        System.arraycopy(b, 0, pending, n, b.length);
        n += b.length;
        int cut = completeLength(pending, n);
        if (cut == 0) return "";
        String s = new String(pending, 0, cut, StandardCharsets.UTF_8);
        System.arraycopy(pending, cut, pending, 0, n - cut);
        n -= cut;
        return s;
    }

    /** Bytes held back so far (0–3). */
    public int pendingBytes() { return n; }

    /** Ends the stream: an incomplete tail becomes U+FFFD. */
    public String finish() {
        String s = n == 0 ? "" : new String(pending, 0, n, StandardCharsets.UTF_8);
        n = 0;
        return s;
    }

    /**
     * Length of the prefix of {@code b[0..n)} that can be decoded now: everything but a trailing, still valid but
     * incomplete UTF-8 sequence.
     */
    static int completeLength(byte[] b, int n) {
        // A sequence is at most 4 bytes: look back at most 3 for its lead byte.
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int need = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 1;
            if (need <= back || need == 1) return n; // complete, or not a multi-byte lead
            return validPrefix(b, n - back, back) ? n - back : n;
        }
        return n;
    }

    /** Whether {@code b[start..start+len)} is a valid start of a UTF-8 sequence (Unicode Table 3-7 second-byte ranges). */
    private static boolean validPrefix(byte[] b, int start, int len) {
        int lead = b[start] & 0xFF;
        for (int k = 1; k < len; k++) {
            int c = b[start + k] & 0xFF;
            int lo = 0x80, hi = 0xBF;
            if (k == 1) {
                if (lead == 0xE0) lo = 0xA0;
                else if (lead == 0xED) hi = 0x9F;
                else if (lead == 0xF0) lo = 0x90;
                else if (lead == 0xF4) hi = 0x8F;
            }
            if (c < lo || c > hi) return false;
        }
        return true;
    }
}
