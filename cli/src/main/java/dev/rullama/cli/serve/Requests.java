package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rullama.api.RullamaException;
import dev.rullama.ollama.ModelEntry;

import java.util.Locale;
import java.util.Optional;

/** Reading request fields with Ollama's leniency (unknown fields ignored) and clear 400s for wrong types. */
final class Requests {
    private Requests() {}

    /** A model the stores have: its entry and the key it is loaded under. */
    record Model(String requested, ModelEntry entry) {
        String key() { return entry.name().toString().toLowerCase(Locale.ROOT); }

        String loadName() { return entry.name().toString(); }
    }

    static Model model(JsonNode req, ModelSource source) throws Exception {
        String name = string(req, "model", null);
        if (name == null || name.isBlank()) name = string(req, "name", null); // older clients say name
        if (name == null || name.isBlank()) throw ApiException.badRequest("model is required");
        Optional<ModelEntry> e;
        try {
            e = source.find(name);
        } catch (RullamaException bad) {
            throw ApiException.badRequest(ServerErrors.oneLine(bad));
        }
        if (e.isEmpty()) throw ApiException.notFound(name);
        return new Model(name, e.get());
    }

    /** The stores' models, each name once (an earlier store wins, as the loader's search order does). */
    static java.util.List<ModelEntry> distinctModels(ModelSource source) throws Exception {
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.List<ModelEntry> out = new java.util.ArrayList<>();
        for (ModelEntry e : source.list()) if (seen.add(e.name().toString().toLowerCase(Locale.ROOT))) out.add(e);
        return out;
    }

    static String string(JsonNode req, String key, String fallback) {
        JsonNode v = req.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isTextual()) throw ApiException.badRequest(key + " must be a string, not " + v);
        return v.asText();
    }

    static boolean bool(JsonNode req, String key, boolean fallback) {
        JsonNode v = req.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isBoolean()) throw ApiException.badRequest(key + " must be true or false, not " + v);
        return v.asBoolean();
    }

    /** {@code format}: absent or "" for text, "json" or a JSON schema object for JSON output. */
    static boolean jsonFormat(JsonNode v) {
        if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) return false;
        if (v.isTextual() && v.asText().equals("json")) return true;
        if (v.isObject()) return true; // a schema: constrained to valid JSON (see JsonConstraint)
        throw ApiException.badRequest("format must be \"json\" or a JSON schema object, not " + v);
    }

    /** {@code think}: true/false, or a level ("low", "medium", "high", "max") that turns it on. */
    static boolean think(JsonNode v, ModelSource.LoadedModel m, String requested) {
        if (v == null || v.isNull()) return false;
        boolean on;
        if (v.isBoolean()) on = v.asBoolean();
        else if (v.isTextual() && v.asText().matches("low|medium|high|max")) on = true;
        else throw ApiException.badRequest("think must be true, false, \"low\", \"medium\", \"high\" or \"max\", not " + v);
        if (on && !m.chat().supportsThinking()) throw ApiException.badRequest("\"" + requested + "\" does not support thinking");
        return on;
    }
}
