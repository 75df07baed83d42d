package dev.rullama.gemma.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Gemma 4's ranked merges as an open-addressing hash map from a pair of token ids to (rank, merged id): 514906 merges
 * take two primitive arrays (~16 MiB) instead of half a million boxed map entries.
 *
 * <p>{@code merges[i]} is "left right", split at the first space after the first character (a side may itself
 * start with a space). A merge is kept only when both sides and their concatenation are tokens, and the concatenation
 * may be produced by merging: Ollama requires the merged string to be in the vocabulary, and the HF {@code tokenizers}
 * BPE model refuses merges whose sides are not.
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private final long[] keys;
    private final long[] values;
    private final int mask;
    private final int size;
    private final int skipped;

    MergeTable(List<String> merges, Vocabulary vocab) {
        int cap = Integer.highestOneBit(Math.max(16, merges.size() * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
        int kept = 0, bad = 0;
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int sp = m.indexOf(' ', 1);
            if (sp < 0) { bad++; continue; }
            String left = m.substring(0, sp), right = m.substring(sp + 1);
            int l = vocab.id(left), r = vocab.id(right), merged = vocab.mergeableId(left + right);
            if (l < 0 || r < 0 || merged < 0) { bad++; continue; }
            if (put(pairKey(l, r), ((long) rank << 32) | merged)) kept++;
        }
        size = kept;
        skipped = bad;
    }

    static long pairKey(int left, int right) { return ((long) left << 32) | (right & 0xFFFFFFFFL); }

    /** (rank << 32 | merged id) for the pair, or -1 when the pair does not merge. */
    long find(int left, int right) {
        long key = pairKey(left, right);
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) return values[i];
            if (k == EMPTY) return -1;
            i = (i + 1) & mask;
        }
    }

    int size() { return size; }

    /** Merges dropped because a side or the result is not a usable token. */
    int skipped() { return skipped; }

    /** Keeps the first (lowest-rank) entry for a pair, as a rank lookup by pair does. */
    private boolean put(long key, long value) {
        int i = mix(key) & mask;
        while (true) {
            long k = keys[i];
            if (k == key) return false;
            if (k == EMPTY) {
                keys[i] = key;
                values[i] = value;
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    private static int mix(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }
}
