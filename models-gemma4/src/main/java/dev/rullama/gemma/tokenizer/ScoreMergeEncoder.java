package dev.rullama.gemma.tokenizer;

import java.util.PriorityQueue;

/**
 * Gemma 3 (spec ollama-gguf §5.2): SentencePiece-style merging by score, as llama.cpp's
 * {@code llm_tokenizer_spm_session}. Spaces become ▁ with no leading ▁ ({@code add_space_prefix=false}); one
 * symbol per code point; the adjacent pair whose concatenation is a token with the highest score merges first, ties
 * to the leftmost; a priority queue holds candidate pairs and skips those made stale by an earlier merge. Symbols left
 * that are not tokens fall back to bytes.
 *
 * <p>Only tokens SentencePiece itself would produce are candidates: never control, unknown, unused or byte pieces
 * (llama.cpp looks up any type; the two agree on every real input, and this way typed-in {@code <bos>} cannot become
 * id 2 through merging).
 */
final class ScoreMergeEncoder implements FragmentEncoder {
    private final Vocabulary vocab;

    ScoreMergeEncoder(Vocabulary vocab) { this.vocab = vocab; }

    private record Bigram(int left, int right, float score, int length) {}

    private static final java.util.Comparator<Bigram> ORDER = (a, b) -> {
        int c = Float.compare(b.score, a.score);
        return c != 0 ? c : Integer.compare(a.left, b.left);
    };

    @Override
    public void encode(String fragment, IdList out) {
        if (fragment.isEmpty()) return;
        String s = fragment.replace(' ', Vocabulary.SPACE_MARK);
        int n = s.length();
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        int count = 0;
        for (int i = 0; i < n; ) {
            int cl = Character.charCount(s.codePointAt(i));
            start[count] = i;
            len[count] = cl;
            prev[count] = count - 1;
            next[count] = -1;
            if (count > 0) next[count - 1] = count;
            count++;
            i += cl;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>(Math.max(1, count), ORDER);
        for (int i = 1; i < count; i++) tryAdd(s, start, len, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.length) continue;
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) prev[next[b.right]] = b.left;
            if (prev[b.left] >= 0) tryAdd(s, start, len, prev[b.left], b.left, queue);
            if (next[b.left] >= 0) tryAdd(s, start, len, b.left, next[b.left], queue);
        }
        for (int i = 0; i >= 0; i = next[i]) {
            String symbol = s.substring(start[i], start[i] + len[i]);
            int id = vocab.mergeableId(symbol);
            if (id >= 0) out.add(id);
            else FragmentEncoder.appendBytes(vocab, symbol, out);
        }
    }

    private void tryAdd(String s, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        int length = len[left] + len[right];
        int id = vocab.mergeableId(s.substring(start[left], start[left] + length));
        if (id < 0) return;
        queue.add(new Bigram(left, right, vocab.score[id], length));
    }
}
