package dev.rullama.ollama;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Builds an Ollama store in Ollama's exact on-disk layout for tests: manifests/<host>/<ns>/<model>/<tag> and blobs/sha256-<hex>. */
final class TestStore {
    final Path root;

    TestStore(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("manifests"));
        Files.createDirectories(root.resolve("blobs"));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes a blob as Ollama does (sha256-<hex>) and returns its layer. */
    LayerSpec blob(String mediaType, byte[] content) throws IOException {
        String hex = sha256(content);
        Files.write(root.resolve("blobs").resolve("sha256-" + hex), content);
        return new LayerSpec(mediaType, "sha256:" + hex, content.length, null, null);
    }

    /** A blob under the legacy name sha256:<hex>. */
    LayerSpec legacyBlob(String mediaType, byte[] content) throws IOException {
        String hex = sha256(content);
        Files.write(root.resolve("blobs").resolve("sha256:" + hex), content);
        return new LayerSpec(mediaType, "sha256:" + hex, content.length, null, null);
    }

    LayerSpec text(String kind, String content) throws IOException {
        return blob("application/vnd.ollama.image." + kind, content.getBytes(StandardCharsets.UTF_8));
    }

    LayerSpec config(String json) throws IOException {
        return blob("application/vnd.docker.container.image.v1+json", json.getBytes(StandardCharsets.UTF_8));
    }

    record LayerSpec(String mediaType, String digest, long size, String from, String name) {
        LayerSpec from(String f) { return new LayerSpec(mediaType, digest, size, f, name); }

        LayerSpec named(String n) { return new LayerSpec(mediaType, digest, size, from, n); }

        String json() {
            StringBuilder sb = new StringBuilder("{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size);
            if (from != null) sb.append(",\"from\":\"").append(from).append('"');
            if (name != null) sb.append(",\"name\":\"").append(name).append('"');
            return sb.append('}').toString();
        }
    }

    static String manifestJson(LayerSpec config, LayerSpec... layers) {
        List<String> ls = new ArrayList<>();
        for (LayerSpec l : layers) ls.add(l.json());
        return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":"
                + config.json() + ",\"layers\":[" + String.join(",", ls) + "]}";
    }

    Path manifest(String host, String ns, String model, String tag, String json, Instant modified) throws IOException {
        Path p = root.resolve("manifests").resolve(host).resolve(ns).resolve(model).resolve(tag);
        Files.createDirectories(p.getParent());
        Files.writeString(p, json);
        Files.setLastModifiedTime(p, FileTime.from(modified));
        return p;
    }
}
