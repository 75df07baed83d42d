package dev.rullama.ollama;

import dev.rullama.api.RullamaException;

/** No manifest for a model name in the store. */
public class ModelNotFoundException extends RullamaException {
    private final ModelName name;

    public ModelNotFoundException(ModelName name, String message) {
        super(message);
        this.name = name;
    }

    public ModelName name() { return name; }
}
