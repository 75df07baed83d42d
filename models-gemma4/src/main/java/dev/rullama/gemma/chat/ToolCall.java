package dev.rullama.gemma.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A function call the model made. Argument values are JSON-like: {@code String}, {@code Long}/{@code Integer},
 * {@code Double}, {@code Boolean}, {@code null}, {@code List} and {@code Map<String, ?>} of those.
 *
 * @param id        the caller's id for the call (OpenAI-style {@code tool_call_id}), or null
 * @param name      function name
 * @param arguments arguments in the order they were given (rendering sorts them)
 */
public record ToolCall(String id, String name, Map<String, Object> arguments) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        arguments = arguments == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    public ToolCall(String name, Map<String, Object> arguments) { this(null, name, arguments); }
}
