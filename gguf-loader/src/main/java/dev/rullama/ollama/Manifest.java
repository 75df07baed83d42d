package dev.rullama.ollama;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.ModelFormatException;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model's manifest (Docker distribution v2 JSON): the config layer and the content layers. {@code digest} is the
 * sha256 of the manifest file's bytes, which Ollama shows as the model's id.
 */
public record Manifest(ModelName name, Path path, String digest, Instant modified, int schemaVersion, String mediaType,
                       Layer config, List<Layer> layers) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern DIGEST = Pattern.compile("sha256[:-][0-9a-fA-F]{64}");

    /** Sum of the config and layer sizes, as {@code ollama list} reports it. */
    public long size() {
        long s = config.size();
        for (Layer l : layers) s += l.size();
        return s;
    }

    /** First 12 hex digits of {@link #digest()}. */
    public String id() { return digest.substring(7, 19); }

    public List<Layer> layers(LayerKind kind) {
        return layers.stream().filter(l -> l.kind() == kind).toList();
    }

    public Optional<Layer> layer(LayerKind kind) {
        return layers.stream().filter(l -> l.kind() == kind).findFirst();
    }

    /** The GGUF with the weights, if the model has one. */
    public Optional<Layer> modelLayer() { return layer(LayerKind.MODEL); }

    /** Whether the model is in Ollama's MLX format (safetensors {@code tensor}/{@code json} layers). */
    public boolean isMlx() { return layers.stream().anyMatch(l -> l.kind().isMlx()); }

    public ModelEntry entry() { return new ModelEntry(name, digest, size(), modified, path); }

    /**
     * Parses manifest JSON. Malformed JSON, a missing config or layers field, a bad digest or a negative size is a
     * {@link ModelFormatException} naming the file and the byte offset or field.
     */
    public static Manifest parse(ModelName name, Path path, byte[] bytes, Instant modified) throws ModelFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            long at = loc == null ? -1 : loc.getByteOffset();
            throw new ModelFormatException(path, at, "malformed manifest JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new ModelFormatException(path, "unreadable manifest JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new ModelFormatException(path, "manifest is not a JSON object");
        int schema = root.path("schemaVersion").asInt(0);
        if (root.has("schemaVersion") && !root.get("schemaVersion").canConvertToInt()) {
            throw new ModelFormatException(path, "field schemaVersion: not an integer");
        }
        String mediaType = root.path("mediaType").asText("");
        JsonNode configNode = root.get("config");
        if (configNode == null || !configNode.isObject()) throw new ModelFormatException(path, "field config: missing or not an object");
        Layer config = layer(path, "config", configNode);
        JsonNode layersNode = root.get("layers");
        if (layersNode == null || !layersNode.isArray()) throw new ModelFormatException(path, "field layers: missing or not an array");
        List<Layer> layers = new ArrayList<>();
        for (int i = 0; i < layersNode.size(); i++) layers.add(layer(path, "layers[" + i + "]", layersNode.get(i)));
        return new Manifest(name, path, "sha256:" + sha256(bytes), modified, schema, mediaType, config, List.copyOf(layers));
    }

    private static Layer layer(Path path, String field, JsonNode n) throws ModelFormatException {
        if (!n.isObject()) throw new ModelFormatException(path, "field " + field + ": not an object");
        JsonNode mt = n.get("mediaType");
        if (mt == null || !mt.isTextual()) throw new ModelFormatException(path, "field " + field + ".mediaType: missing or not a string");
        JsonNode dg = n.get("digest");
        if (dg == null || !dg.isTextual() || !DIGEST.matcher(dg.asText()).matches()) {
            throw new ModelFormatException(path, "field " + field + ".digest: " + (dg == null ? "missing" : dg + " is not sha256:<64 hex digits>"));
        }
        JsonNode sz = n.get("size");
        if (sz == null || !sz.canConvertToLong() || sz.asLong() < 0 || !sz.isIntegralNumber()) {
            throw new ModelFormatException(path, "field " + field + ".size: " + (sz == null ? "missing" : sz + " is not a non-negative integer"));
        }
        String digest = "sha256:" + dg.asText().substring(7);
        return new Layer(mt.asText(), digest, sz.asLong(), text(n, "from"), text(n, "name"));
    }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
