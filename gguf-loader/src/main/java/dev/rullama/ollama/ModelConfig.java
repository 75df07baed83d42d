package dev.rullama.ollama;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The manifest's config blob ({@code types/model/config.go}): format ({@code gguf} or {@code safetensors}), family,
 * type (e.g. "5.1B"), file type ("Q4_K_M"), and for newer models renderer/parser names. Absent fields are empty.
 */
public record ModelConfig(Optional<String> modelFormat, Optional<String> modelFamily, List<String> modelFamilies,
                          Optional<String> modelType, Optional<String> fileType, Optional<String> architecture,
                          Optional<String> renderer, Optional<String> parser, Optional<String> os) {

    static ModelConfig of(JsonNode n) {
        List<String> families = new ArrayList<>();
        JsonNode f = n.get("model_families");
        if (f != null && f.isArray()) f.forEach(e -> { if (e.isTextual()) families.add(e.asText()); });
        return new ModelConfig(text(n, "model_format"), text(n, "model_family"), List.copyOf(families), text(n, "model_type"),
                text(n, "file_type"), text(n, "architecture"), text(n, "renderer"), text(n, "parser"), text(n, "os"));
    }

    /** Whether the config says the weights are MLX safetensors rather than GGUF. */
    public boolean isSafetensors() { return modelFormat.map("safetensors"::equalsIgnoreCase).orElse(false); }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() && !v.asText().isEmpty() ? Optional.of(v.asText()) : Optional.empty();
    }
}
