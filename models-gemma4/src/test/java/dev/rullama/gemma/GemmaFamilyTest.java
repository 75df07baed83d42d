package dev.rullama.gemma;

import dev.rullama.api.ModelFamily;
import org.junit.jupiter.api.Test;

import java.util.ServiceLoader;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmaFamilyTest {
    @Test
    void serviceLoaderFindsTheFamilyByArchitecture() {
        ModelFamily found = ServiceLoader.load(ModelFamily.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.architectures().contains("gemma4")).findFirst().orElseThrow();
        assertTrue(found instanceof GemmaFamily);
        assertEquals(Set.of("gemma4", "gemma3"), found.architectures());
        assertTrue(found.displayName().contains("Gemma"));
    }
}
