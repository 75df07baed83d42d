package dev.rullama.gemma.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static dev.rullama.gemma.tokenizer.TokenizerAlgorithm.RANKED_BPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Streaming decode holds partial UTF-8 across byte-fallback tokens and never emits U+FFFD mid-character. */
class StreamingDecoderTest {
    private final TinyVocab vocab = new TinyVocab().normal("a", "▁", "hi");
    private final GemmaTokenizer tok = vocab.build(RANKED_BPE);

    private int byteToken(int b) { return vocab.id(String.format("<0x%02X>", b)); }

    @Test
    void emojiSplitOverFourByteTokens() {
        StreamingDecoder d = tok.streamingDecoder();
        assertEquals("hi", d.append(vocab.id("hi")));
        assertEquals("", d.append(byteToken(0xF0)));
        assertEquals("", d.append(byteToken(0x9F)));
        assertEquals(2, d.pendingBytes());
        assertEquals("", d.append(byteToken(0x98)));
        assertEquals("😀", d.append(byteToken(0x80)));
        assertEquals(" ", d.append(vocab.id("▁")));
        assertEquals("", d.finish());
    }

    @Test
    void invalidBytesAreReplacedAtOnceAndTruncatedTailAtFinish() {
        StreamingDecoder d = tok.streamingDecoder();
        assertEquals("\uFFFD", d.append(byteToken(0xFF)), "0xFF can never start a character");
        assertEquals("", d.append(byteToken(0xE2)));
        assertEquals("\uFFFDa", d.append(vocab.id("a")), "E2 followed by ASCII is malformed");
        assertEquals("", d.append(byteToken(0xE2)));
        assertEquals("", d.append(byteToken(0x82)));
        assertEquals("\uFFFD", d.finish(), "an incomplete tail is replaced when the stream ends");
        // ED A0 would be a surrogate: not a valid prefix, so replaced at once rather than held.
        StreamingDecoder e = tok.streamingDecoder();
        assertEquals("", e.append(byteToken(0xED)));
        assertEquals(new String(new byte[] {(byte) 0xED, (byte) 0xA0}, StandardCharsets.UTF_8), e.append(byteToken(0xA0)));
        assertEquals(0, e.pendingBytes());
    }

    @Test
    void anySplitOfValidTextDecodesLikeTheWhole() {
        String text = "Größe 😀 敏捷的 狐狸 👨‍👩‍👧 𠜎 ∑ é";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        SplittableRandom rnd = new SplittableRandom(7);
        for (int trial = 0; trial < 200; trial++) {
            StreamingDecoder d = tok.streamingDecoder();
            StringBuilder out = new StringBuilder();
            List<String> pieces = new ArrayList<>();
            for (byte b : bytes) {
                // Mostly byte tokens; sometimes an ASCII token where the byte is ASCII, to mix token kinds.
                String piece = (b == 'a' && rnd.nextBoolean()) ? d.append(vocab.id("a")) : d.append(byteToken(b & 0xFF));
                pieces.add(piece);
                out.append(piece);
            }
            out.append(d.finish());
            assertEquals(text, out.toString());
            assertFalse(pieces.stream().anyMatch(p -> p.indexOf('\uFFFD') >= 0), "no replacement character mid-sequence");
        }
    }
}
