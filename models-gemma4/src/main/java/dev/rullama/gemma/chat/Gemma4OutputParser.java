package dev.rullama.gemma.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 4's output parser (spec ollama-gguf §6, after Ollama's {@code gemma4} parser): {@code <|channel>thought\n…<channel|>}
 * is reasoning (the {@code thought\n} channel name is dropped), {@code <|tool_call>call:…<tool_call|>} a tool call
 * ({@link Gemma4ToolCallParser}), the rest the answer. Whitespace next to the tags is trimmed. While streaming, text
 * that could be the start of a tag, and whitespace that could precede one, is held back until it is decided. With
 * thinking off, reasoning the model writes anyway is dropped.
 */
public final class Gemma4OutputParser implements OutputParser {
    private static final String CHANNEL_OPEN = "<|channel>";
    private static final String CHANNEL_CLOSE = "<channel|>";
    private static final String CALL_OPEN = "<|tool_call>";
    private static final String CALL_CLOSE = "<tool_call|>";
    private static final String RESPONSE_OPEN = "<|tool_response>";
    private static final String CHANNEL_NAME = "thought\n";

    private enum State { CONTENT, THINKING, TOOL_CALL, AFTER_TOOL_CALL }

    private final boolean thinkingEnabled;
    private final StringBuilder buf = new StringBuilder();
    private State state;
    private boolean stripChannelName;
    /** After {@code <channel|>}: whitespace before the answer is dropped, however the stream is cut. */
    private boolean skipLeadingSpace;

    private Gemma4OutputParser(boolean thinkingEnabled, State initial) {
        this.thinkingEnabled = thinkingEnabled;
        this.state = initial;
    }

    /** A parser for a reply to a prompt that ended with the generation prompt. */
    public Gemma4OutputParser(boolean thinkingEnabled) { this(thinkingEnabled, State.CONTENT); }

    /**
     * The parser for a prompt rendered by {@link Gemma4ChatFormat}: when thinking is on and the last message is a tool
     * result, the prompt itself opened the thought channel, so the reply starts inside it.
     */
    public static Gemma4OutputParser forConversation(List<ChatMessage> messages, boolean think) {
        boolean afterTool = !messages.isEmpty() && messages.getLast().role() == Role.TOOL;
        return new Gemma4OutputParser(think, think && afterTool ? State.THINKING : State.CONTENT);
    }

    @Override
    public ParsedOutput add(String text) {
        buf.append(text);
        return drain(false);
    }

    @Override
    public ParsedOutput finish() { return drain(true); }

    private ParsedOutput drain(boolean done) {
        StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        while (step(done, content, thinking, calls)) { /* keep going */ }
        return new ParsedOutput(content.toString(), thinkingEnabled ? thinking.toString() : "", calls);
    }

    /** One transition; true when another may follow at once. */
    private boolean step(boolean done, StringBuilder content, StringBuilder thinking, List<ToolCall> calls) {
        String s = buf.toString();
        if (s.isEmpty()) return false;
        switch (state) {
            case CONTENT -> {
                if (skipLeadingSpace) {
                    s = GoStrings.trimLeft(s);
                    keep(s);
                    if (s.isEmpty()) return false;
                    skipLeadingSpace = false;
                }
                int ch = s.indexOf(CHANNEL_OPEN), tc = s.indexOf(CALL_OPEN);
                int at = ch < 0 ? tc : tc < 0 ? ch : Math.min(ch, tc);
                if (at >= 0) {
                    boolean channel = at == ch;
                    content.append(GoStrings.trimRight(s.substring(0, at)));
                    keep(s.substring(at + (channel ? CHANNEL_OPEN : CALL_OPEN).length()));
                    state = channel ? State.THINKING : State.TOOL_CALL;
                    stripChannelName = channel;
                    return true;
                }
                if (done) {
                    content.append(s);
                    keep("");
                    return false;
                }
                int hold = holdBack(s, CHANNEL_OPEN, CALL_OPEN);
                content.append(s, 0, s.length() - hold);
                keep(s.substring(s.length() - hold));
                return false;
            }
            case THINKING -> {
                if (stripChannelName) {
                    if (s.startsWith(CHANNEL_NAME)) {
                        s = s.substring(CHANNEL_NAME.length());
                        keep(s);
                        stripChannelName = false;
                    } else if (!done && CHANNEL_NAME.startsWith(s)) {
                        return false; // "thought" may still be arriving
                    } else {
                        stripChannelName = false;
                    }
                }
                int close = s.indexOf(CHANNEL_CLOSE);
                if (close >= 0) {
                    thinking.append(GoStrings.trimRight(s.substring(0, close)));
                    keep(s.substring(close + CHANNEL_CLOSE.length()));
                    state = State.CONTENT;
                    skipLeadingSpace = true;
                    return true;
                }
                if (done) {
                    thinking.append(s);
                    keep("");
                    return false;
                }
                int hold = holdBack(s, CHANNEL_CLOSE);
                thinking.append(s, 0, s.length() - hold);
                keep(s.substring(s.length() - hold));
                return false;
            }
            case TOOL_CALL -> {
                int close = callCloseIndex(s);
                if (close >= 0) {
                    Gemma4ToolCallParser.parse(s.substring(0, close)).ifPresent(calls::add);
                    keep(GoStrings.trimLeft(s.substring(close + CALL_CLOSE.length())));
                    state = State.AFTER_TOOL_CALL;
                    return true;
                }
                if (done) {
                    // The model may stop (an end-of-generation token) before writing <tool_call|>.
                    Gemma4ToolCallParser.parse(s).ifPresent(calls::add);
                    keep("");
                    state = State.CONTENT;
                }
                return false;
            }
            case AFTER_TOOL_CALL -> {
                // Gemma 4 sometimes repeats <tool_call|> or opens <|tool_response> after a call: not content.
                String t = GoStrings.trimLeft(s);
                while (true) {
                    if (t.startsWith(CALL_CLOSE)) t = GoStrings.trimLeft(t.substring(CALL_CLOSE.length()));
                    else if (t.startsWith(RESPONSE_OPEN)) t = GoStrings.trimLeft(t.substring(RESPONSE_OPEN.length()));
                    else break;
                }
                keep(t);
                if (t.isEmpty()) return false;
                if (!done && (CALL_CLOSE.startsWith(t) || RESPONSE_OPEN.startsWith(t))) return false;
                state = State.CONTENT;
                return true;
            }
        }
        return false;
    }

    private void keep(String s) {
        buf.setLength(0);
        buf.append(s);
    }

    /** How much of the end of {@code s} to hold: a partial tag plus the whitespace before it, or trailing whitespace. */
    private static int holdBack(String s, String... tags) {
        int overlap = 0;
        for (String tag : tags) {
            for (int k = Math.min(tag.length() - 1, s.length()); k > overlap; k--) {
                if (s.endsWith(tag.substring(0, k))) { overlap = k; break; }
            }
        }
        String before = s.substring(0, s.length() - overlap);
        return overlap + GoStrings.trailingSpaceLength(before);
    }

    /** Index of the {@code <tool_call|>} that closes the call: outside strings, after the arguments' braces closed. */
    static int callCloseIndex(String s) {
        boolean inGemmaString = false, inJsonString = false, escaped = false, sawArgs = false;
        int depth = 0;
        for (int i = 0; i < s.length(); ) {
            if (s.startsWith(Gemma4Syntax.Q, i)) {
                if (!inJsonString) inGemmaString = !inGemmaString;
                i += Gemma4Syntax.Q.length();
                continue;
            }
            if (s.startsWith(CALL_CLOSE, i) && sawArgs && depth == 0 && !inGemmaString && !inJsonString) return i;
            char c = s.charAt(i++);
            if (inGemmaString) continue;
            if (inJsonString) {
                if (c == '"' && !escaped) inJsonString = false;
                escaped = c == '\\' && !escaped;
                continue;
            }
            switch (c) {
                case '"' -> inJsonString = true;
                case '{', '[' -> { sawArgs = true; depth++; }
                case '}', ']' -> { if (depth > 0) depth--; }
                default -> { }
            }
        }
        return -1;
    }
}
