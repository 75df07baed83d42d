package dev.rullama.ollama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.ModelFormatException;
import dev.rullama.api.RullamaException;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An Ollama model store on disk ({@code manifests/} + {@code blobs/}, spec §1), read strictly read-only: files are
 * opened with {@code READ} only and GGUF blobs mapped read-only, nothing is locked, created, renamed or touched, so
 * rullama can share a store with a running Ollama. Legacy {@code sha256:<hex>} blob names are read as they are (Ollama
 * renames them at startup; rullama does not), and download leftovers ({@code -partial}) are ignored.
 *
 * <p>Root: {@link #at(Path)} for a given directory, else {@link #locate()}: {@code $OLLAMA_MODELS} if set (it must
 * exist then), else the first existing of {@code ~/.ollama/models} and {@code /usr/share/ollama/.ollama/models}
 * (the Linux service's store).
 */
public final class OllamaStore {
    public static final String ENV_MODELS = "OLLAMA_MODELS";
    /** Text layers (template, params, license, …) are read up to this size; Ollama's are a few KB. */
    public static final int MAX_TEXT_LAYER_BYTES = 4 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(OllamaStore.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BLOB_NAME = Pattern.compile("sha256[:-][0-9a-fA-F]{64}");

    private final Path root;
    private final Path manifests;
    private final Path blobs;

    private OllamaStore(Path root) {
        this.root = root;
        this.manifests = root.resolve("manifests");
        this.blobs = root.resolve("blobs");
    }

    /** The store at {@code root}, which must be an existing directory. */
    public static OllamaStore at(Path root) throws RullamaException {
        Path abs = root.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) throw new RullamaException("Ollama model store " + abs + " does not exist or is not a directory");
        return new OllamaStore(abs);
    }

    /** The store from the environment and the user's home, as {@link #locate(Map, Path)}. */
    public static OllamaStore locate() throws RullamaException {
        return locate(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * {@code $OLLAMA_MODELS} when set (an error if it does not exist: a wrong setting should not silently fall back to
     * another store), else the first existing of {@link #defaultRoots(Path)}.
     */
    public static OllamaStore locate(Map<String, String> env, Path home) throws RullamaException {
        String configured = env.get(ENV_MODELS);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isDirectory(p)) throw new RullamaException(ENV_MODELS + "=" + configured + " is not a directory");
            return at(p);
        }
        List<Path> candidates = defaultRoots(home);
        for (Path p : candidates) if (Files.isDirectory(p)) return at(p);
        throw new RullamaException("no Ollama model store found; looked in " + candidates + " (set " + ENV_MODELS + " or pass the directory)");
    }

    /** {@code <home>/.ollama/models}, then {@code /usr/share/ollama/.ollama/models}. */
    public static List<Path> defaultRoots(Path home) {
        return List.of(home.resolve(".ollama").resolve("models"), Path.of("/usr/share/ollama/.ollama/models"));
    }

    public Path root() { return root; }

    public Path manifestsDir() { return manifests; }

    public Path blobsDir() { return blobs; }

    /** Every manifest at {@code manifests/*}{@code /*}{@code /*}{@code /*}, newest first. Entries whose path is not a valid name are skipped. */
    public StoreListing list() throws IOException {
        List<ModelEntry> models = new ArrayList<>();
        List<RullamaException> problems = new ArrayList<>();
        for (Path file : manifestFiles()) {
            Path rel = manifests.relativize(file);
            ModelName name;
            try {
                name = new ModelName(rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString(), rel.getName(3).toString());
            } catch (IllegalArgumentException e) {
                LOG.debug("skipping {}: not a valid model name ({})", file, e.getMessage());
                continue;
            }
            try {
                models.add(readManifest(name, file).entry());
            } catch (ModelFormatException e) {
                problems.add(e);
            } catch (IOException e) {
                problems.add(new ModelFormatException(file, "cannot read manifest: " + e));
            }
        }
        models.sort(Comparator.comparing(ModelEntry::modified).reversed().thenComparing(m -> m.name().foldedKey()));
        return new StoreListing(List.copyOf(models), List.copyOf(problems));
    }

    private List<Path> manifestFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(manifests)) return out;
        for (Path host : dirs(manifests)) for (Path ns : dirs(host)) for (Path model : dirs(ns)) {
            try (DirectoryStream<Path> tags = Files.newDirectoryStream(model)) {
                for (Path tag : tags) if (Files.isRegularFile(tag)) out.add(tag);
            }
        }
        return out;
    }

    private static List<Path> dirs(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) if (Files.isDirectory(p)) out.add(p);
        }
        return out;
    }

    /**
     * The manifest file of {@code name}: the path as written if it exists, else a case-insensitive match (names
     * compare ignoring case, as in Ollama). The result always lies under {@code manifests/}.
     */
    public Path manifestPath(ModelName name) throws ModelNotFoundException, InvalidModelNameException {
        Path exact = manifests.resolve(name.relativePath()).normalize();
        if (!exact.startsWith(manifests) || exact.getNameCount() != manifests.getNameCount() + 4) {
            throw new InvalidModelNameException(name.toString(), "resolves outside the store");
        }
        if (Files.isRegularFile(exact)) return exact;
        Path dir = manifests;
        for (String part : List.of(name.host(), name.namespace(), name.model(), name.tag())) {
            Path next = null;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) if (p.getFileName().toString().equalsIgnoreCase(part)) { next = p; break; }
            } catch (IOException e) {
                next = null;
            }
            if (next == null) throw notFound(name);
            dir = next;
        }
        if (!Files.isRegularFile(dir)) throw notFound(name);
        return dir;
    }

    private ModelNotFoundException notFound(ModelName name) {
        return new ModelNotFoundException(name, "model '" + name.displayShortest() + "' not found in " + root
                + " (no manifest at " + manifests.resolve(name.relativePath()) + ")");
    }

    /** Parses {@code name} ({@link ModelName#parse}) and reads its manifest. */
    public Manifest manifest(String name) throws RullamaException, IOException {
        return manifest(ModelName.parse(name));
    }

    public Manifest manifest(ModelName name) throws RullamaException, IOException {
        Path p = manifestPath(name);
        return readManifest(nameFromPath(p, name), p);
    }

    private ModelName nameFromPath(Path p, ModelName fallback) {
        Path rel = manifests.relativize(p);
        try {
            return new ModelName(rel.getName(0).toString(), rel.getName(1).toString(), rel.getName(2).toString(), rel.getName(3).toString());
        } catch (IllegalArgumentException e) {
            return fallback;
        }
    }

    private Manifest readManifest(ModelName name, Path file) throws IOException, ModelFormatException {
        byte[] bytes = Files.readAllBytes(file);
        Instant modified = Files.getLastModifiedTime(file).toInstant();
        return Manifest.parse(name, file, bytes, modified);
    }

    /** The blob for {@code digest} ({@code sha256:<hex>} or {@code sha256-<hex>}): {@code sha256-<hex>}, else a legacy {@code sha256:<hex>} file. */
    public Optional<Path> findBlob(String digest) {
        if (!BLOB_NAME.matcher(digest).matches()) return Optional.empty();
        String hex = digest.substring(7);
        Path current = blobs.resolve("sha256-" + hex);
        if (Files.isRegularFile(current)) return Optional.of(current);
        Path legacy = blobs.resolve("sha256:" + hex);
        if (Files.isRegularFile(legacy)) return Optional.of(legacy);
        return Optional.empty();
    }

    /** The blob of a layer of {@code manifest}; a missing blob is a ModelFormatException naming the manifest and layer. */
    public Path blob(Manifest manifest, Layer layer) throws ModelFormatException {
        return findBlob(layer.digest()).orElseThrow(() -> new ModelFormatException(manifest.path(),
                layer.kind().label() + " layer " + layer.digest() + " is missing its blob " + blobs.resolve("sha256-" + layer.hex())));
    }

    /** Digests ({@code sha256:<hex>}) of the complete blobs in the store; {@code -partial} download pieces are ignored. */
    public List<String> blobDigests() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(blobs)) return out;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(blobs)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (BLOB_NAME.matcher(n).matches() && Files.isRegularFile(p)) out.add("sha256:" + n.substring(7));
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Hashes a layer's blob and compares it with the digest (and the size) in the manifest, reporting progress.
     *
     * @throws ModelFormatException naming the blob when it is missing, has the wrong size, or hashes differently
     */
    public void verify(Manifest manifest, Layer layer, VerifyListener listener) throws ModelFormatException, IOException {
        Path blob = blob(manifest, layer);
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long done = 0;
        long total;
        try (FileChannel ch = FileChannel.open(blob, StandardOpenOption.READ)) {
            total = ch.size();
            if (total != layer.size()) {
                throw new ModelFormatException(blob, "blob is " + total + " bytes but the manifest " + manifest.path() + " says " + layer.size());
            }
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            listener.progress(0, total);
            while (ch.read(buf) >= 0) {
                buf.flip();
                done += buf.remaining();
                sha.update(buf);
                buf.clear();
                listener.progress(done, total);
            }
        }
        String actual = HexFormat.of().formatHex(sha.digest());
        if (!actual.equalsIgnoreCase(layer.hex())) {
            throw new ModelFormatException(blob, "sha256 is " + actual + " but the manifest " + manifest.path() + " says " + layer.hex()
                    + " (the blob is corrupt or was modified)");
        }
    }

    /** {@link #verify(Manifest, Layer, VerifyListener)} for the config and every layer; progress is per blob. */
    public void verify(Manifest manifest, VerifyListener listener) throws ModelFormatException, IOException {
        verify(manifest, manifest.config(), listener);
        for (Layer l : manifest.layers()) verify(manifest, l, listener);
    }

    /** Opens the model layer's GGUF (see {@link #openGguf}). */
    public GgufFile openModel(Manifest manifest) throws ModelFormatException, IOException {
        Optional<Layer> model = manifest.modelLayer();
        if (model.isEmpty()) {
            if (manifest.isMlx()) throw mlx(manifest);
            throw new ModelFormatException(manifest.path(), "model '" + manifest.name().displayShortest() + "' has no model layer ("
                    + LayerKind.OLLAMA_PREFIX + "model)");
        }
        return openGguf(manifest, model.get());
    }

    /**
     * Maps a GGUF layer (model, projector, adapter, draft) read-only. An MLX {@code tensor}/{@code json} layer, or a
     * text layer, is a ModelFormatException that says so instead of a confusing "bad magic".
     */
    public GgufFile openGguf(Manifest manifest, Layer layer) throws ModelFormatException, IOException {
        if (layer.kind().isMlx()) throw mlx(manifest);
        if (!layer.kind().isGguf()) {
            throw new ModelFormatException(manifest.path(), "layer " + layer.shortDigest() + " is a " + layer.kind().label() + " layer, not a GGUF");
        }
        return GgufFile.open(blob(manifest, layer));
    }

    private static ModelFormatException mlx(Manifest m) {
        return new ModelFormatException(m.path(), "model '" + m.name().displayShortest()
                + "' is in Ollama's MLX format (safetensors 'tensor' layers), which rullama does not support; it reads GGUF models only");
    }

    /** A text layer (template, system, license, params, messages) as UTF-8, at most {@link #MAX_TEXT_LAYER_BYTES}. */
    public String readText(Manifest manifest, Layer layer) throws ModelFormatException, IOException {
        Path blob = blob(manifest, layer);
        long size = Files.size(blob);
        if (size > MAX_TEXT_LAYER_BYTES) {
            throw new ModelFormatException(blob, layer.kind().label() + " layer is " + size + " bytes, over the " + MAX_TEXT_LAYER_BYTES + "-byte limit for text layers");
        }
        return new String(Files.readAllBytes(blob), StandardCharsets.UTF_8);
    }

    /** The config blob, parsed; malformed JSON is a ModelFormatException naming the blob. */
    public ModelConfig config(Manifest manifest) throws ModelFormatException, IOException {
        return ModelConfig.of(json(manifest, manifest.config(), "config"));
    }

    private JsonNode json(Manifest manifest, Layer layer, String what) throws ModelFormatException, IOException {
        String text = readText(manifest, layer);
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null) throw new ModelFormatException(blob(manifest, layer), what + " blob is empty");
            return n;
        } catch (JsonProcessingException e) {
            long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            throw new ModelFormatException(blob(manifest, layer), at, "malformed " + what + " JSON: " + e.getOriginalMessage());
        }
    }

    /** The {@code params} layer as a JSON object (empty map when there is none). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> params(Manifest manifest) throws ModelFormatException, IOException {
        Optional<Layer> p = manifest.layer(LayerKind.PARAMS);
        if (p.isEmpty()) return Map.of();
        JsonNode n = json(manifest, p.get(), "params");
        if (!n.isObject()) throw new ModelFormatException(blob(manifest, p.get()), "params layer is not a JSON object");
        return JSON.convertValue(n, LinkedHashMap.class);
    }

    /**
     * Everything {@code rullama show} needs for {@code name}; see {@link ModelShow}. A missing blob or a corrupt GGUF
     * is an error; an MLX model or one without a model layer gives a show with {@code modelProblem} set.
     */
    public ModelShow show(String name) throws RullamaException, IOException {
        Manifest m = manifest(name);
        Optional<ModelConfig> config = Optional.of(config(m));
        Optional<GgufSummary> summary = Optional.empty();
        Optional<String> problem = Optional.empty();
        if (m.modelLayer().isPresent()) {
            try (GgufFile f = openModel(m)) {
                summary = Optional.of(GgufSummary.of(f));
            }
        } else {
            problem = Optional.of(m.isMlx()
                    ? "MLX format (safetensors 'tensor' layers): rullama reads GGUF models only"
                    : "no model layer");
        }
        Optional<Layer> templateLayer = m.layer(LayerKind.TEMPLATE).or(() -> m.layer(LayerKind.PROMPT));
        Optional<String> template = templateLayer.isPresent() ? Optional.of(readText(m, templateLayer.get())) : Optional.empty();
        Optional<Layer> systemLayer = m.layer(LayerKind.SYSTEM);
        Optional<String> system = systemLayer.isPresent() ? Optional.of(readText(m, systemLayer.get())) : Optional.empty();
        List<String> licenses = new ArrayList<>();
        for (Layer l : m.layers(LayerKind.LICENSE)) licenses.add(readText(m, l));
        return new ModelShow(m.entry(), m, config, summary, problem, template, system, params(m), List.copyOf(licenses));
    }

    @Override
    public String toString() { return "OllamaStore[" + root + "]"; }
}
