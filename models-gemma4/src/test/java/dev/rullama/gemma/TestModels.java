package dev.rullama.gemma;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/** Where the tests find the committed fixtures and the real Gemma 3 270M blob. */
public final class TestModels {
    /** sha256 of Ollama's gemma3:270m Q4_K_M blob that scripts/setup.sh installs. */
    public static final String GEMMA3_270M_BLOB = "sha256-a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818";
    public static final String FIXTURE_GENERATOR = "tools/oracles/make_fixtures.py";
    /** The fixture variants of tools/oracles/fixture_model.py; each must be present. */
    public static final java.util.List<String> FIXTURE_VARIANTS =
            java.util.List.of("e2b", "e4b", "g12b", "moe", "moe-legacy", "g31b", "gemma3", "gemma3-rope8");

    private TestModels() {}

    /**
     * The fixture root ({@code models-gemma4/src/test/resources/fixtures}), from the test classpath or the source tree.
     * Missing: the test fails and names the generator.
     */
    public static Path fixtures() {
        URL url = TestModels.class.getResource("/fixtures");
        if (url != null && url.getProtocol().equals("file")) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        String repo = System.getProperty("rullama.repo");
        Path src = (repo != null ? Path.of(repo) : Path.of("..")).resolve("models-gemma4/src/test/resources/fixtures");
        if (Files.isDirectory(src)) return src;
        return fail("no fixture directory models-gemma4/src/test/resources/fixtures; generate it with "
                + "python3 " + FIXTURE_GENERATOR);
    }

    /** {@code fixtures/<variant>}, failing with the generator's name when absent. */
    public static Path fixture(String variant) {
        Path p = fixtures().resolve(variant);
        if (!Files.isDirectory(p)) fail("fixture variant '" + variant + "' is missing (" + p + "); generate it with python3 " + FIXTURE_GENERATOR);
        return p;
    }

    /** rullama's cache: system property rullama.cache, else env RULLAMA_CACHE, else ~/.cache/rullama. */
    public static Path cache() {
        String prop = System.getProperty("rullama.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        String env = System.getenv("RULLAMA_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        return Path.of(System.getProperty("user.home"), ".cache", "rullama");
    }

    /** The real Gemma 3 270M Q4_K_M blob; fails (naming scripts/setup.sh) when it is not installed. */
    public static Path gemma3_270m() {
        Path p = cache().resolve("models").resolve("blobs").resolve(GEMMA3_270M_BLOB);
        if (!Files.isRegularFile(p)) fail("Gemma 3 270M is not installed at " + p + "; run scripts/setup.sh");
        return p;
    }
}
