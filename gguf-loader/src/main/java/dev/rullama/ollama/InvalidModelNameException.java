package dev.rullama.ollama;

import dev.rullama.api.RullamaException;

/** A model name that Ollama would not accept, or that could reach outside the store (a {@code ..}, a path). */
public class InvalidModelNameException extends RullamaException {
    private final String name;

    public InvalidModelNameException(String name, String why) {
        super("invalid model name '" + name + "': " + why);
        this.name = name;
    }

    /** The name as given. */
    public String name() { return name; }
}
