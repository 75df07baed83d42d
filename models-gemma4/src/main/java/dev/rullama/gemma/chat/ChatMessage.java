package dev.rullama.gemma.chat;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation, as Ollama's {@code /api/chat} takes it.
 *
 * @param role       who wrote it
 * @param content    its text ("" when none)
 * @param thinking   an assistant message's reasoning, or null; rendered back only after the last user message
 * @param toolCalls  calls an assistant message made
 * @param toolName   for a tool message: the function whose result this is
 * @param toolCallId for a tool message: the id of the call it answers, or null
 */
public record ChatMessage(Role role, String content, String thinking, List<ToolCall> toolCalls, String toolName, String toolCallId) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        content = content == null ? "" : content;
        toolCalls = toolCalls == null ? List.of() : List.copyOf(toolCalls);
    }

    public static ChatMessage system(String content) { return new ChatMessage(Role.SYSTEM, content, null, null, null, null); }

    public static ChatMessage developer(String content) { return new ChatMessage(Role.DEVELOPER, content, null, null, null, null); }

    public static ChatMessage user(String content) { return new ChatMessage(Role.USER, content, null, null, null, null); }

    public static ChatMessage assistant(String content) { return new ChatMessage(Role.ASSISTANT, content, null, null, null, null); }

    public static ChatMessage assistant(String content, String thinking) { return new ChatMessage(Role.ASSISTANT, content, thinking, null, null, null); }

    public static ChatMessage assistantCalls(String content, List<ToolCall> calls) { return new ChatMessage(Role.ASSISTANT, content, null, calls, null, null); }

    public static ChatMessage tool(String toolName, String content) { return new ChatMessage(Role.TOOL, content, null, null, toolName, null); }
}
