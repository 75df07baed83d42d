package dev.rullama.ollama;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelNameTest {

    @ParameterizedTest
    @CsvSource({
            "gemma4,                                registry.ollama.ai, library, gemma4, latest",
            "gemma4:e2b,                            registry.ollama.ai, library, gemma4, e2b",
            "library/gemma4:e2b,                    registry.ollama.ai, library, gemma4, e2b",
            "user/model:tag,                        registry.ollama.ai, user,    model,  tag",
            "user/model,                            registry.ollama.ai, user,    model,  latest",
            "hf.co/unsloth/X-GGUF:Q4_K_M,           hf.co,              unsloth, X-GGUF, Q4_K_M",
            "localhost:5000/ns/model:tag,           localhost:5000,     ns,      model,  tag",
            "localhost:5000/ns/model,               localhost:5000,     ns,      model,  latest",
            "https://registry.ollama.ai/library/gemma3:1b, registry.ollama.ai, library, gemma3, 1b",
            "Gemma4:E2B,                            registry.ollama.ai, library, Gemma4, E2B",
            "gemma3:270m-it-qat,                    registry.ollama.ai, library, gemma3, 270m-it-qat",
            "my_model.v2:1.0,                       registry.ollama.ai, library, my_model.v2, 1.0",
    })
    void parsesLikeOllama(String input, String host, String ns, String model, String tag) throws Exception {
        ModelName n = ModelName.parse(input);
        assertEquals(new ModelName(host, ns, model, tag), n);
        assertEquals(Path.of(host, ns, model, tag), n.relativePath());
    }

    @Test
    void displayShortest() throws Exception {
        assertEquals("gemma4:latest", ModelName.parse("gemma4").displayShortest());
        assertEquals("user/model:tag", ModelName.parse("user/model:tag").displayShortest());
        assertEquals("hf.co/unsloth/X:Q4", ModelName.parse("hf.co/unsloth/X:Q4").displayShortest());
        assertEquals("registry.ollama.ai/library/gemma4:latest", ModelName.parse("gemma4").toString());
    }

    @Test
    void compareIgnoringCaseButKeepTheCase() throws Exception {
        ModelName a = ModelName.parse("Gemma4:E2B"), b = ModelName.parse("gemma4:e2b");
        assertTrue(a.equalsIgnoreCase(b));
        assertFalse(a.equals(b));
        assertEquals("Gemma4", a.model());
        assertEquals(a.foldedKey(), b.foldedKey());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "../../etc/passwd", "gemma4/../../x", "..", "gemma4:..", "a..b", "library/..:x",
            "/etc/passwd", "/abs/path/model", "C:\\Windows\\model", "model\\tag", "a/b/c/d", "a/b/c/d/e:t",
            "", " ", "gemma4:", "/gemma4", "ns//model", "//model", "-model", ".model", "model:-tag", "na.me/model",
            "model:ta:g", "mo del", "model@sha256:abc", "model\n",
    })
    void rejectsInvalidOrEscapingNames(String input) {
        InvalidModelNameException e = assertThrows(InvalidModelNameException.class, () -> ModelName.parse(input));
        assertTrue(e.getMessage().startsWith("invalid model name '"), e.getMessage());
    }

    @Test
    void overlongPartsAreRejected() {
        assertThrows(InvalidModelNameException.class, () -> ModelName.parse("x".repeat(81)));
        assertThrows(InvalidModelNameException.class, () -> ModelName.parse("gemma4:" + "t".repeat(81)));
    }

    @Test
    void dotDotAndAbsolutePathsSayWhy() {
        assertTrue(assertThrows(InvalidModelNameException.class, () -> ModelName.parse("../x")).getMessage().contains("'..'"));
        assertTrue(assertThrows(InvalidModelNameException.class, () -> ModelName.parse("/etc/passwd")).getMessage().contains("a path is not a model name"));
    }

    @Test
    void hostMayBeLongAndHaveAPort() throws Exception {
        String host = "h" + "o".repeat(340) + ":80";
        assertEquals(host, ModelName.parse(host + "/ns/m:t").host());
        assertThrows(InvalidModelNameException.class, () -> ModelName.parse("h".repeat(351) + "/ns/m:t"));
    }
}
