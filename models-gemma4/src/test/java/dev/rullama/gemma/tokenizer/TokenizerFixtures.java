package dev.rullama.gemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.webgpu.RullamaCache;
import dev.rullama.gguf.GgufFile;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/** Shared fixtures: the committed synthetic Gemma 4 vocabulary and oracle vectors, and the real Gemma 3 270M blob. */
final class TokenizerFixtures {
    private TokenizerFixtures() {}

    /** Digest of the Gemma 3 270M Q4_K_M model layer that scripts/setup.sh installs as gemma3:270m. */
    static final String GEMMA3_270M_BLOB = "sha256-a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818";

    private static final Map<String, GemmaTokenizer> CACHE = new ConcurrentHashMap<>();

    record Vector(String text, boolean parseSpecial, int[] ids) {}

    static Path resource(String name) {
        URL url = TokenizerFixtures.class.getResource(name);
        if (url == null) fail("test resource " + name + " is missing");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(String name) throws IOException {
        try (InputStream in = TokenizerFixtures.class.getResourceAsStream(name)) {
            if (in == null) fail("test resource " + name + " is missing");
            return new ObjectMapper().readTree(in);
        }
    }

    static List<Vector> vectors(JsonNode array) {
        List<Vector> out = new ArrayList<>();
        for (JsonNode v : array) {
            int[] ids = new int[v.get("ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = v.get("ids").get(i).asInt();
            out.add(new Vector(v.get("text").asText(), v.path("parse_special").asBoolean(false), ids));
        }
        return out;
    }

    /** The synthetic Gemma 4 BPE vocabulary written by tools/oracles/tokenizer/gen_gemma4_bpe.py. */
    static GemmaTokenizer gemma4Synthetic() {
        return CACHE.computeIfAbsent("gemma4-synthetic", k -> load(resource("/tokenizer/gemma4-synthetic.gguf")));
    }

    /** Path of the real Gemma 3 270M GGUF; fails (never skips) when scripts/setup.sh has not installed it. */
    static Path gemma3Blob() {
        Path blob = RullamaCache.dir().resolve("models").resolve("blobs").resolve(GEMMA3_270M_BLOB);
        if (!Files.isRegularFile(blob)) {
            fail("the Gemma 3 270M GGUF is not at " + blob + ": run scripts/setup.sh (it installs gemma3:270m into the "
                    + "rullama cache; set RULLAMA_CACHE or -Drullama.cache if the cache lives elsewhere)");
        }
        return blob;
    }

    /** The real Gemma 3 tokenizer (262144 tokens), built once per test JVM. */
    static GemmaTokenizer gemma3() {
        return CACHE.computeIfAbsent("gemma3", k -> load(gemma3Blob()));
    }

    static GemmaTokenizer load(Path gguf) {
        try (GgufFile file = GgufFile.open(gguf)) {
            return GemmaTokenizer.fromGguf(file);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the tokenizer of " + gguf + ": " + e.getMessage(), e);
        }
    }
}
