package dev.rullama.gemma.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.RullamaException;
import dev.rullama.gguf.GgufWriter;
import dev.rullama.ollama.LayerKind;
import dev.rullama.ollama.ModelName;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a {@link SyntheticModel} into a store in Ollama's layout (spec ollama-gguf.md §1): the GGUF streamed once to
 * a temporary file in {@code blobs/} while its SHA-256 is computed, then renamed to {@code blobs/sha256-<hex>}; a
 * params blob ({@code {"temperature":1,"top_k":64,"top_p":0.95}}, as the library's gemma4 tags carry), a config blob
 * ({@code model_format gguf}, family gemma4, {@code file_type Q4_K_M}, renderer and parser gemma4), and the manifest
 * at {@code manifests/<host>/<namespace>/<model>/<tag>}. The temporary name ({@code .synth-*.partial}) matches no blob
 * pattern, so a reader never sees a half-written blob; it is removed on failure.
 */
final class SyntheticStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String PARAMS = "{\"temperature\":1,\"top_k\":64,\"top_p\":0.95}";

    private SyntheticStore() {}

    record Blob(String mediaType, String digest, long size) {
        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mediaType", mediaType);
            m.put("digest", digest);
            m.put("size", size);
            return m;
        }
    }

    static SyntheticModel.Installed install(SyntheticModel model, Path root, String name, SyntheticModel.Progress progress)
            throws IOException, RullamaException {
        ModelName modelName = ModelName.parse(name);
        long start = System.nanoTime();
        Path blobs = root.resolve("blobs");
        Files.createDirectories(blobs);

        GgufWriter writer = model.writer(false);
        long total = writer.layout().fileSize();
        Path tmp = blobs.resolve(".synth-" + UUID.randomUUID() + ".partial");
        MessageDigest sha = sha256();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writer.writeTo(new HashingChannel(ch, sha, total, progress));
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        Path blob = blobs.resolve("sha256-" + hex);
        Files.move(tmp, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Blob modelBlob = new Blob(LayerKind.OLLAMA_PREFIX + LayerKind.MODEL.label(), "sha256:" + hex, total);

        Blob params = smallBlob(blobs, LayerKind.OLLAMA_PREFIX + LayerKind.PARAMS.label(), PARAMS.getBytes(StandardCharsets.UTF_8));
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_format", "gguf");
        config.put("model_family", "gemma4");
        config.put("model_families", List.of("gemma4"));
        config.put("model_type", model.parameterSize());
        config.put("file_type", SyntheticModel.FILE_TYPE);
        config.put("renderer", "gemma4");
        config.put("parser", "gemma4");
        config.put("rootfs", Map.of("type", "layers", "diff_ids", List.of(modelBlob.digest, params.digest)));
        Blob configBlob = smallBlob(blobs, LayerKind.CONFIG_MEDIA_TYPE, JSON.writeValueAsBytes(config));

        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", "application/vnd.docker.distribution.manifest.v2+json");
        manifest.put("config", configBlob.json());
        manifest.put("layers", List.of(modelBlob.json(), params.json()));
        Path manifestPath = root.resolve("manifests").resolve(modelName.relativePath());
        Files.createDirectories(manifestPath.getParent());
        writeAtomically(manifestPath, JSON.writeValueAsBytes(manifest));
        return new SyntheticModel.Installed(modelName, manifestPath, blob, modelBlob.digest, total, model.tensors().size(),
                (System.nanoTime() - start) / 1e9);
    }

    private static Blob smallBlob(Path blobs, String mediaType, byte[] bytes) throws IOException {
        String hex = HexFormat.of().formatHex(sha256().digest(bytes));
        Path p = blobs.resolve("sha256-" + hex);
        if (!Files.isRegularFile(p) || Files.size(p) != bytes.length) writeAtomically(p, bytes);
        return new Blob(mediaType, "sha256:" + hex, bytes.length);
    }

    private static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        try {
            Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Passes writes through to the file while hashing them and reporting progress: one pass over the bytes. */
    private static final class HashingChannel implements WritableByteChannel {
        private final FileChannel file;
        private final MessageDigest sha;
        private final long total;
        private final SyntheticModel.Progress progress;
        private long done;

        HashingChannel(FileChannel file, MessageDigest sha, long total, SyntheticModel.Progress progress) {
            this.file = file;
            this.sha = sha;
            this.total = total;
            this.progress = progress;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            ByteBuffer forHash = src.duplicate();
            int n = 0;
            while (src.hasRemaining()) n += file.write(src);
            sha.update(forHash);
            done += n;
            progress.bytesWritten(done, total);
            return n;
        }

        @Override
        public boolean isOpen() { return file.isOpen(); }

        @Override
        public void close() {}
    }
}
