package dev.rullama.gemma.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.webgpu.RullamaCache;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published Gemma 4 ids (Ollama's comparison against HF, spec ollama-gguf §5.3 item 7) on the real 262144-token
 * vocabulary. That vocabulary is only in a Gemma 4 model file, which this repository does not download, so the test
 * looks for one: {@code -Drullama.gemma4.gguf} / {@code $RULLAMA_GEMMA4_GGUF}, else any {@code gemma4} manifest in an
 * Ollama store ({@code $OLLAMA_MODELS}, {@code ~/.ollama/models}, {@code /usr/share/ollama/.ollama/models}, the rullama
 * store). Without one it prints why and is skipped through a JUnit assumption.
 */
class Gemma4GoldenVectorsTest {
    private static GemmaTokenizer tokenizer;
    private static String skipReason;

    @BeforeAll
    static void locate() {
        List<String> searched = new ArrayList<>();
        Optional<Path> gguf = findGemma4Gguf(searched);
        if (gguf.isEmpty()) {
            skipReason = "no Gemma 4 GGUF found (searched " + String.join(", ", searched) + "); the golden vectors need the real"
                    + " 262144-token vocabulary: `ollama pull gemma4:e2b`, or point -Drullama.gemma4.gguf at a gemma4 GGUF."
                    + " The algorithm itself is covered by Gemma4BpeOracleTest against HF tokenizers.";
            System.out.println("Gemma4GoldenVectorsTest skipped: " + skipReason);
            return;
        }
        tokenizer = TokenizerFixtures.load(gguf.get());
        System.out.println("Gemma4GoldenVectorsTest: using " + gguf.get() + " (" + tokenizer + ")");
    }

    @Test
    void publishedIdsMatch() throws IOException {
        Assumptions.assumeTrue(tokenizer != null, () -> skipReason);
        assertEquals(TokenizerAlgorithm.RANKED_BPE, tokenizer.algorithm());
        List<String> failures = new ArrayList<>();
        for (TokenizerFixtures.Vector v : TokenizerFixtures.vectors(TokenizerFixtures.json("/tokenizer/gemma4-golden.json").get("vectors"))) {
            int[] got = tokenizer.encode(v.text(), v.parseSpecial());
            if (!Arrays.equals(v.ids(), got)) {
                failures.add(Gemma4BpeOracleTest.quote(v.text()) + "\n    expected " + Arrays.toString(v.ids()) + "\n    got      " + Arrays.toString(got));
            }
            assertEquals(v.text(), tokenizer.decode(v.ids()));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    @Test
    void knownIds() {
        Assumptions.assumeTrue(tokenizer != null, () -> skipReason);
        String[] names = {"<pad>", "<eos>", "<bos>", "<unk>", "<|tool>", "<tool|>", "<|tool_call>", "<tool_call|>", "<|tool_response>", "<|\"|>", "<|channel>", "<channel|>", "<|turn>", "<turn|>", "\n"};
        int[] ids = {0, 1, 2, 3, 46, 47, 48, 49, 50, 52, 100, 101, 105, 106, 107};
        for (int i = 0; i < names.length; i++) assertEquals(ids[i], tokenizer.requireTokenId(names[i]), names[i]);
        assertEquals(262144, tokenizer.vocabularySize());
        assertArrayEquals(new int[] {2, 105}, tokenizer.encodeWithBos("<bos><|turn>", true), "the template's <bos> is not doubled");
    }

    /** A gemma4 model GGUF from an explicit setting or any Ollama store; {@code searched} collects what was tried. */
    static Optional<Path> findGemma4Gguf(List<String> searched) {
        String explicit = System.getProperty("rullama.gemma4.gguf", System.getenv("RULLAMA_GEMMA4_GGUF"));
        if (explicit != null && !explicit.isBlank()) {
            searched.add(explicit);
            if (Files.isRegularFile(Path.of(explicit))) return Optional.of(Path.of(explicit));
        }
        Set<Path> roots = new LinkedHashSet<>();
        String env = System.getenv("OLLAMA_MODELS");
        if (env != null && !env.isBlank()) roots.add(Path.of(env));
        roots.add(Path.of(System.getProperty("user.home"), ".ollama", "models"));
        roots.add(Path.of("/usr/share/ollama/.ollama/models"));
        roots.add(RullamaCache.dir().resolve("models"));
        ObjectMapper json = new ObjectMapper();
        for (Path root : roots) {
            searched.add(root.toString());
            Path manifests = root.resolve("manifests");
            if (!Files.isDirectory(manifests)) continue;
            // manifests/<host>/<namespace>/<model>/<tag>
            try (Stream<Path> files = Files.find(manifests, 4, (p, a) -> a.isRegularFile()
                    && p.getParent() != null && p.getParent().getFileName().toString().equals("gemma4"))) {
                for (Path manifest : files.sorted().toList()) {
                    for (JsonNode layer : json.readTree(manifest.toFile()).path("layers")) {
                        if (!"application/vnd.ollama.image.model".equals(layer.path("mediaType").asText())) continue;
                        Path blob = root.resolve("blobs").resolve(layer.path("digest").asText().replace(':', '-'));
                        if (Files.isRegularFile(blob)) return Optional.of(blob);
                    }
                }
            } catch (IOException | RuntimeException e) {
                searched.add(root + " (unreadable: " + e.getMessage() + ")");
            }
        }
        return Optional.empty();
    }
}
