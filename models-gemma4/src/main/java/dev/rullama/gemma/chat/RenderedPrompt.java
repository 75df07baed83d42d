package dev.rullama.gemma.chat;

import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gemma.tokenizer.PromptSegment;

import java.util.ArrayList;
import java.util.List;

/**
 * A rendered prompt as template/content segments, so the tokenizer recognises special tokens only in the template
 * ({@link GemmaTokenizer#encodeWithBos(List)}). {@link #text()} is the plain string Ollama would tokenize.
 */
public record RenderedPrompt(List<PromptSegment> segments) {
    public RenderedPrompt {
        segments = List.copyOf(segments);
    }

    /** The whole prompt as one string. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        for (PromptSegment s : segments) sb.append(s.text());
        return sb.toString();
    }

    /** Token ids with exactly one leading BOS. */
    public int[] tokenize(GemmaTokenizer tokenizer) { return tokenizer.encodeWithBos(segments); }

    /** Accumulates segments, joining neighbours of the same kind and dropping empty ones. */
    static final class Builder {
        private final List<PromptSegment> out = new ArrayList<>();
        private final StringBuilder pending = new StringBuilder();
        private boolean pendingTemplate = true;

        Builder template(String s) { return add(s, true); }

        Builder content(String s) { return add(s, false); }

        private Builder add(String s, boolean template) {
            if (s == null || s.isEmpty()) return this;
            if (pending.length() > 0 && template != pendingTemplate) flush();
            pendingTemplate = template;
            pending.append(s);
            return this;
        }

        private void flush() {
            if (pending.length() > 0) out.add(new PromptSegment(pending.toString(), pendingTemplate));
            pending.setLength(0);
        }

        RenderedPrompt build() {
            flush();
            return new RenderedPrompt(out);
        }
    }
}
