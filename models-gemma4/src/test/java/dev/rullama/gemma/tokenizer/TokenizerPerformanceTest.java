package dev.rullama.gemma.tokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Full-size vocabularies: the real Gemma 3 one (262144 tokens) and a synthetic Gemma 4-sized BPE (262144 tokens,
 * 514906 merges, the real file's counts). Prints build and encode times. The bounds are loose on purpose (a slow CI
 * machine must not fail them); they catch an accidental quadratic path, which would miss them by orders of magnitude.
 */
class TokenizerPerformanceTest {
    private static final int GEMMA4_TOKENS = 262_144;
    private static final int GEMMA4_MERGES = 514_906;

    private static String corpus() throws IOException {
        return Files.readString(TokenizerFixtures.resource("/tokenizer/multilingual-corpus.txt"), StandardCharsets.UTF_8);
    }

    /** Median of runs after warm-up, in ms. */
    private static double timeMs(Runnable r) {
        for (int i = 0; i < 20; i++) r.run();
        double[] t = new double[21];
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        java.util.Arrays.sort(t);
        return t[t.length / 2];
    }

    @Test
    void gemma3RealVocabulary() throws IOException {
        long s = System.nanoTime();
        GemmaTokenizer tok = TokenizerFixtures.load(TokenizerFixtures.gemma3Blob());
        double buildMs = (System.nanoTime() - s) / 1e6;
        String text = corpus();
        double encodeMs = timeMs(() -> tok.encode(text, false));
        String big = text.repeat(20);
        double bigMs = timeMs(() -> tok.encode(big, false));
        System.out.printf("Gemma 3 tokenizer: build %.0f ms (GGUF open + tables); encode %d chars in %.2f ms, %d chars in %.1f ms%n",
                buildMs, text.length(), encodeMs, big.length(), bigMs);
        assertTrue(buildMs < 20_000, "build took " + buildMs + " ms");
        assertTrue(encodeMs < 100, "encoding " + text.length() + " chars took " + encodeMs + " ms");
        assertTrue(bigMs < 30 * Math.max(encodeMs, 1) * 20, "encoding is not linear: " + bigMs + " ms for 20× the text");
    }

    @Test
    void gemma4SizedBpe() throws IOException {
        TokenizerSpec spec = syntheticGemma4Sized();
        assertEquals(GEMMA4_TOKENS, spec.tokens().size());
        assertEquals(GEMMA4_MERGES, spec.merges().size());
        long s = System.nanoTime();
        GemmaTokenizer tok = GemmaTokenizer.create(spec);
        double buildMs = (System.nanoTime() - s) / 1e6;
        String text = corpus();
        double encodeMs = timeMs(() -> tok.encode(text, false));
        assertEquals(text, tok.decode(tok.encode(text, false)));
        System.out.printf("Gemma 4-sized BPE (%d tokens, %d merges): build %.0f ms; encode %d chars in %.2f ms%n",
                GEMMA4_TOKENS, GEMMA4_MERGES, buildMs, text.length(), encodeMs);
        assertTrue(buildMs < 20_000, "build took " + buildMs + " ms");
        assertTrue(encodeMs < 100, "encoding " + text.length() + " chars took " + encodeMs + " ms");
    }

    /**
     * A vocabulary with Gemma 4's counts: specials and byte tokens, the corpus's code points, tokens made by merging
     * random pairs of text drawn from the corpus (so merges fire on real text), and extra merges that reach existing
     * tokens through a second split, as the real merge list does (it has more merges than tokens).
     */
    private static TokenizerSpec syntheticGemma4Sized() throws IOException {
        String text = corpus().replace(' ', '\u2581');
        List<String> tokens = new ArrayList<>(List.of("<pad>", "<eos>", "<bos>", "<unk>", "<|turn>", "<turn|>"));
        List<Integer> types = new ArrayList<>(List.of(3, 3, 3, 3, 3, 3));
        for (int b = 0; b < 256; b++) {
            tokens.add(String.format("<0x%02X>", b));
            types.add(6);
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) ids.put(tokens.get(i), i);
        text.codePoints().distinct().forEach(cp -> {
            String c = new String(Character.toChars(cp));
            if (cp != '\n' && !ids.containsKey(c)) {
                ids.put(c, tokens.size());
                tokens.add(c);
                types.add(1);
            }
        });
        List<String> merges = new ArrayList<>();
        Set<String> mergeSet = new HashSet<>();
        SplittableRandom r = new SplittableRandom(1);
        // Merges along the corpus: grow pieces left to right, like a trained BPE on this text.
        int[] cps = text.codePoints().toArray();
        for (int round = 0; round < 8 && tokens.size() < GEMMA4_TOKENS; round++) {
            for (int i = 0; i + 1 < cps.length && tokens.size() < GEMMA4_TOKENS; i++) {
                int len = 2 + r.nextInt(6);
                if (i + len > cps.length) break;
                String piece = new String(cps, i, len);
                if (piece.indexOf('\n') >= 0) continue;
                int split = 1 + r.nextInt(len - 1);
                String left = new String(cps, i, split), right = new String(cps, i + split, len - split);
                if (ids.containsKey(left) && ids.containsKey(right) && !ids.containsKey(piece)) {
                    ids.put(piece, tokens.size());
                    tokens.add(piece);
                    types.add(1);
                    merges.add(left + " " + right);
                    mergeSet.add(left + " " + right);
                }
            }
        }
        // Fill the vocabulary with random pairs of existing tokens.
        while (tokens.size() < GEMMA4_TOKENS) {
            String a = tokens.get(262 + r.nextInt(tokens.size() - 262)), b = tokens.get(262 + r.nextInt(tokens.size() - 262));
            String m = a + b;
            if (m.length() > 24 || ids.containsKey(m) || m.startsWith("<0x")) continue;
            ids.put(m, tokens.size());
            tokens.add(m);
            types.add(1);
            merges.add(a + " " + b);
            mergeSet.add(a + " " + b);
        }
        // Second splits of existing tokens, until the merge count matches.
        while (merges.size() < GEMMA4_MERGES) {
            String t = tokens.get(262 + r.nextInt(tokens.size() - 262));
            if (t.codePointCount(0, t.length()) < 3) continue;
            int at = t.offsetByCodePoints(0, 1 + r.nextInt(t.codePointCount(0, t.length()) - 1));
            String left = t.substring(0, at), right = t.substring(at), key = left + " " + right;
            if (ids.containsKey(left) && ids.containsKey(right) && mergeSet.add(key)) merges.add(key);
            else if (r.nextInt(4) == 0) {
                // Keep the loop finite: also accept merges whose sides are tokens but whose result is not one; the
                // table must skip those (Ollama requires the merged string to be in the vocabulary).
                String a = tokens.get(262 + r.nextInt(tokens.size() - 262)), b = tokens.get(262 + r.nextInt(tokens.size() - 262));
                if (mergeSet.add(a + " " + b)) merges.add(a + " " + b);
            }
        }
        return new TokenizerSpec(TokenizerAlgorithm.RANKED_BPE, tokens, null, types.stream().mapToInt(Integer::intValue).toArray(),
                merges, 2, 1, 3, 0, false, null);
    }
}
