package dev.rullama.gemma.tokenizer;

import java.util.Arrays;

/**
 * Gemma 4 (spec ollama-gguf §5.3): BPE over the ▁-escaped text, as llama.cpp's {@code LLAMA_VOCAB_PRE_TYPE_GEMMA4}.
 * The only pre-split is into runs of newlines and runs of everything else ({@code [^\n]+|[\n]+}); a run of newlines
 * that is itself a token is emitted whole. Within a run the base symbols are code points and the adjacent pair with
 * the lowest merge rank merges first (ties: leftmost), through a binary heap of (rank, left) keys; an entry is stale
 * when its left symbol died or its pair no longer merges at that rank. Symbols that are not tokens fall back to bytes.
 */
final class RankedBpeEncoder implements FragmentEncoder {
    private final Vocabulary vocab;
    private final MergeTable merges;

    RankedBpeEncoder(Vocabulary vocab, MergeTable merges) {
        this.vocab = vocab;
        this.merges = merges;
    }

    @Override
    public void encode(String fragment, IdList out) {
        String s = fragment.replace(' ', Vocabulary.SPACE_MARK);
        int n = s.length();
        for (int i = 0; i < n; ) {
            boolean newline = s.charAt(i) == '\n';
            int j = i + 1;
            while (j < n && (s.charAt(j) == '\n') == newline) j++;
            String run = s.substring(i, j);
            int whole = newline ? vocab.id(run) : -1;
            if (whole >= 0 && !vocab.marker[whole]) out.add(whole);
            else merge(run, out);
            i = j;
        }
    }

    private void merge(String s, IdList out) {
        int n = s.length();
        int[] start = new int[n], len = new int[n], id = new int[n], prev = new int[n], next = new int[n];
        int count = 0;
        for (int i = 0; i < n; ) {
            int cl = Character.charCount(s.codePointAt(i));
            start[count] = i;
            len[count] = cl;
            id[count] = vocab.mergeableId(s.substring(i, i + cl));
            prev[count] = count - 1;
            next[count] = -1;
            if (count > 0) next[count - 1] = count;
            count++;
            i += cl;
        }
        LongHeap heap = new LongHeap(count);
        for (int i = 1; i < count; i++) push(heap, id, i - 1, i);
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32), left = (int) top;
            int right = next[left];
            if (len[left] == 0 || right < 0) continue;
            long m = merges.find(id[left], id[right]);
            if (m < 0 || (int) (m >>> 32) != rank) continue;
            id[left] = (int) m;
            len[left] += len[right];
            len[right] = 0;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) push(heap, id, prev[left], left);
            if (next[left] >= 0) push(heap, id, left, next[left]);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            if (id[i] >= 0) out.add(id[i]);
            else FragmentEncoder.appendBytes(vocab, s.substring(start[i], start[i] + len[i]), out);
        }
    }

    private void push(LongHeap heap, int[] id, int left, int right) {
        if (id[left] < 0 || id[right] < 0) return;
        long m = merges.find(id[left], id[right]);
        if (m >= 0) heap.push((m >>> 32) << 32 | left);
    }

    /** A binary min-heap of longs: (rank << 32 | left) orders by rank, then leftmost. */
    static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) { a = new long[Math.max(capacity, 4)]; }

        boolean isEmpty() { return n == 0; }

        void push(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && a[c + 1] < a[c]) c++;
                if (a[c] >= last) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
