package dev.rullama.gemma.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Ollama's {@code /api/chat} JSON for messages and tools: {@code {role, content, thinking?, tool_calls?:[{id?,
 * function:{name, arguments}}], tool_name?, tool_call_id?}} and {@code [{type:"function", function:{…}}]}. The
 * OpenAI-style variants are accepted too: arguments as a JSON string, a tool result's {@code name}, null content.
 */
public final class ChatJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatJson() {}

    /** A JSON array of messages. */
    public static List<ChatMessage> messages(String json) { return messages(read(json)); }

    public static List<ChatMessage> messages(JsonNode array) {
        if (array == null || !array.isArray()) throw new IllegalArgumentException("messages must be a JSON array");
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : array) out.add(message(m));
        return out;
    }

    @SuppressWarnings("unchecked")
    public static ChatMessage message(JsonNode m) {
        if (!m.hasNonNull("role")) throw new IllegalArgumentException("message without a role: " + m);
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode c : m.path("tool_calls")) {
            JsonNode fn = c.has("function") ? c.get("function") : c;
            if (!fn.hasNonNull("name")) throw new IllegalArgumentException("tool call without a name: " + c);
            JsonNode args = fn.get("arguments");
            // OpenAI clients send arguments as a JSON string; Ollama's API as an object.
            if (args != null && args.isTextual()) args = read(args.asText());
            Object a = JsonValues.toJava(args);
            calls.add(new ToolCall(text(c, "id"), fn.get("name").asText(), a instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of()));
        }
        // Tool result names: Ollama says tool_name, OpenAI/HF-style messages say name.
        String toolName = text(m, "tool_name") != null ? text(m, "tool_name") : text(m, "name");
        return new ChatMessage(Role.parse(m.get("role").asText()), text(m, "content"), text(m, "thinking"), calls,
                toolName, text(m, "tool_call_id"));
    }

    /** A JSON array of tools. */
    public static List<ToolDefinition> tools(String json) { return tools(read(json)); }

    public static List<ToolDefinition> tools(JsonNode array) {
        if (array == null || array.isNull() || array.isMissingNode()) return List.of();
        if (!array.isArray()) throw new IllegalArgumentException("tools must be a JSON array");
        List<ToolDefinition> out = new ArrayList<>();
        for (JsonNode t : array) out.add(ToolDefinition.fromJson(t));
        return out;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? null : v.asText();
    }

    static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
    }
}
