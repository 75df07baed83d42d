package dev.rullama.gemma.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts special tokens out of text before merging (spec ollama-gguf §5.2 step 1), the way llama.cpp's
 * {@code tokenizer_st_partition} does: specials are tried longest first (UTF-8 length, then id), each taking its
 * leftmost non-overlapping occurrences in the text not yet claimed. That differs from leftmost-longest matching only
 * for overlapping specials of different lengths, which real vocabularies do not have, but costs nothing to follow.
 * (llama.cpp's sort is not stable; equal lengths are ordered by id here.)
 *
 * <p>All occurrences are found in one pass with a trie (a character-keyed edge map), so the cost is linear in the text
 * even with Gemma 3's 6414 specials, most of them {@code <unusedN>}.
 *
 * <p>Whether an occurrence counts depends on where it lies: markers ({@link Vocabulary#marker}) only inside template
 * text, other specials anywhere.
 */
final class SpecialTokenSplitter {
    private final Map<Long, Integer> edges = new HashMap<>();
    private int[] terminal = new int[1024];
    private int nodes = 1;
    private final boolean[] marker;
    private final int[] utf8Length;

    SpecialTokenSplitter(Vocabulary vocab) {
        Arrays.fill(terminal, -1);
        marker = vocab.marker;
        utf8Length = new int[vocab.size()];
        for (int id = 0; id < vocab.size(); id++) {
            if (!vocab.special[id]) continue;
            String t = vocab.text[id];
            utf8Length[id] = t.getBytes(StandardCharsets.UTF_8).length;
            int node = 0;
            for (int i = 0; i < t.length(); i++) {
                long key = ((long) node << 16) | t.charAt(i);
                Integer next = edges.get(key);
                if (next == null) {
                    next = nodes++;
                    if (next >= terminal.length) {
                        int old = terminal.length;
                        terminal = Arrays.copyOf(terminal, old * 2);
                        Arrays.fill(terminal, old, terminal.length, -1);
                    }
                    edges.put(key, next);
                }
                node = next;
            }
            terminal[node] = id; // a string listed twice keeps its later special id, as llama.cpp's map does
        }
    }

    /** Where template text lies in the string being split. */
    interface TemplateRanges {
        /** Whether {@code [start, end)} lies entirely in template text. */
        boolean allTemplate(int start, int end);

        TemplateRanges ALL = (s, e) -> true;
        TemplateRanges NONE = (s, e) -> false;
    }

    /**
     * Splits {@code text}. The result is a flat array of triples (start, end, id): id ≥ 0 is a special token covering
     * {@code [start, end)}, id = -1 a run of ordinary text to merge. Triples are in text order and cover it exactly.
     */
    int[] split(String text, TemplateRanges templates) {
        int n = text.length();
        // 1. every allowed occurrence
        List<Occurrence> found = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int node = 0;
            for (int j = i; j < n; j++) {
                Integer next = edges.get(((long) node << 16) | text.charAt(j));
                if (next == null) break;
                node = next;
                int id = terminal[node];
                if (id >= 0 && (!marker[id] || templates.allTemplate(i, j + 1))) {
                    found.add(new Occurrence(i, j + 1 - i, id, utf8Length[id]));
                }
            }
        }
        if (found.isEmpty()) return new int[] {0, n, -1};
        // 2. claim in llama.cpp's order: longer specials first, then lower id, each leftmost first
        found.sort(ORDER);
        Occurrence[] owner = new Occurrence[n];
        for (Occurrence o : found) {
            boolean free = true;
            for (int x = o.start; x < o.start + o.length && free; x++) free = owner[x] == null;
            if (!free) continue;
            for (int x = o.start; x < o.start + o.length; x++) owner[x] = o;
        }
        // 3. walk the text
        int[] out = new int[12];
        int m = 0;
        for (int i = 0; i < n; ) {
            Occurrence o = owner[i];
            int end;
            if (o != null) {
                end = i + o.length;
            } else {
                end = i;
                while (end < n && owner[end] == null) end++;
            }
            if (m + 3 > out.length) out = Arrays.copyOf(out, out.length * 2);
            out[m++] = i;
            out[m++] = end;
            out[m++] = o == null ? -1 : o.id;
            i = end;
        }
        return Arrays.copyOf(out, m);
    }

    private record Occurrence(int start, int length, int id, int utf8Length) {}

    private static final Comparator<Occurrence> ORDER = Comparator
            .comparingInt((Occurrence o) -> -o.utf8Length)
            .thenComparingInt(Occurrence::id)
            .thenComparingInt(Occurrence::start);
}
