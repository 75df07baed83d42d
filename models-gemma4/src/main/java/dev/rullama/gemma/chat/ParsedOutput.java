package dev.rullama.gemma.chat;

import java.util.List;

/** A piece of parsed model output: answer text, reasoning text and completed tool calls. */
public record ParsedOutput(String content, String thinking, List<ToolCall> toolCalls) {
    public static final ParsedOutput EMPTY = new ParsedOutput("", "", List.of());

    public ParsedOutput {
        content = content == null ? "" : content;
        thinking = thinking == null ? "" : thinking;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public boolean isEmpty() { return content.isEmpty() && thinking.isEmpty() && toolCalls.isEmpty(); }
}
