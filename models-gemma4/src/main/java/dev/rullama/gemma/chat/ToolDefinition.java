package dev.rullama.gemma.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A function the model may call, as Ollama's {@code tools} entries describe it:
 * {@code {"type":"function","function":{"name":…,"description":…,"parameters":{JSON schema}}}}.
 *
 * @param name        function name
 * @param description what it does ("" when none)
 * @param parameters  the JSON schema of its arguments as plain maps and lists (usually
 *                    {@code {type: object, properties: {…}, required: […]}}), or an empty map
 */
public record ToolDefinition(String name, String description, Map<String, Object> parameters) {
    public ToolDefinition {
        Objects.requireNonNull(name, "name");
        description = description == null ? "" : description;
        parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** One tool from its Ollama/OpenAI JSON, with or without the {@code {"type":"function","function":…}} wrapper. */
    public static ToolDefinition fromJson(String json) {
        try {
            return fromJson(new ObjectMapper().readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("tool definition is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** One tool from its JSON tree. */
    @SuppressWarnings("unchecked")
    public static ToolDefinition fromJson(JsonNode node) {
        JsonNode fn = node.has("function") ? node.get("function") : node;
        if (!fn.hasNonNull("name")) throw new IllegalArgumentException("tool definition without a name: " + node);
        Object params = JsonValues.toJava(fn.get("parameters"));
        return new ToolDefinition(fn.get("name").asText(), fn.path("description").asText(""),
                params instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
    }
}
