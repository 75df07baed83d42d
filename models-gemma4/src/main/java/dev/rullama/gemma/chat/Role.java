package dev.rullama.gemma.chat;

import java.util.Locale;

/** Who wrote a chat message, in Ollama's API vocabulary. */
public enum Role {
    SYSTEM, DEVELOPER, USER, ASSISTANT, TOOL;

    /** "system", "developer", "user", "assistant" (or Gemma's own "model"), "tool". */
    public static Role parse(String role) {
        return switch (role.toLowerCase(Locale.ROOT)) {
            case "system" -> SYSTEM;
            case "developer" -> DEVELOPER;
            case "user" -> USER;
            case "assistant", "model" -> ASSISTANT;
            case "tool" -> TOOL;
            default -> throw new IllegalArgumentException("unknown chat role '" + role + "' (expected system, developer, user, assistant or tool)");
        };
    }

    /** System and developer messages both set the system prompt. */
    public boolean isSystem() { return this == SYSTEM || this == DEVELOPER; }
}
