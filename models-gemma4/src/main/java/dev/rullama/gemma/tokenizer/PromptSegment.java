package dev.rullama.gemma.tokenizer;

import java.util.Objects;

/**
 * A piece of a rendered prompt. Template text (the chat format's own markers and glue) may contain special tokens;
 * content (whatever a user, a tool or an earlier reply wrote) never yields a control token or a protocol marker, even
 * when it spells one.
 */
public record PromptSegment(String text, boolean template) {
    public PromptSegment {
        Objects.requireNonNull(text, "text");
    }

    public static PromptSegment template(String text) { return new PromptSegment(text, true); }

    public static PromptSegment content(String text) { return new PromptSegment(text, false); }
}
