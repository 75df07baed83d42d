package dev.rullama.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CLI as a user meets it: output, exit codes, one-line errors. Runs on lavapipe in CI. */
class CliTest {
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void backendsListsDawnAndWgpuAvailableWithTheirAdapters() throws Exception {
        Result r = run("backends", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        int seen = 0;
        for (JsonNode b : json.get("backends")) {
            String name = b.get("name").asText();
            if (!name.equals("dawn") && !name.equals("wgpu")) continue;
            seen++;
            assertTrue(b.get("available").asBoolean(), name + " must be available here: " + b);
            assertFalse(b.get("adapter").get("device").asText().isBlank(), name + " adapter name");
            assertTrue(b.get("limits").get("maxStorageBufferBindingSize").asLong() > 0);
        }
        assertEquals(2, seen, r.out());
    }

    @Test
    void backendsTextShowsAdapterLimitsAndFeatures() {
        Result r = run("backends");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("adapter"), r.out());
        assertTrue(r.out().contains("storage binding"), r.out());
        assertTrue(r.out().contains("features"), r.out());
    }

    @Test
    void aMissingLibraryIsOneLineNamingTheFix() {
        System.setProperty("rullama.dawn.library", "/nonexistent/libwebgpu_dawn.so");
        try {
            Result r = run("selftest", "--backend=dawn");
            assertEquals(1, r.code());
            String first = r.err().lines().findFirst().orElse("");
            assertTrue(first.startsWith("rullama: error: backend 'dawn' is unavailable"), r.err());
            assertTrue(first.contains("/nonexistent/libwebgpu_dawn.so") && first.contains("scripts/setup.sh"), first);
            assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
        } finally {
            System.clearProperty("rullama.dawn.library");
        }
    }

    @Test
    void anUnknownBackendListsTheRealOnes() {
        Result r = run("selftest", "--backend=metal");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown backend 'metal'") && r.err().contains("dawn") && r.err().contains("wgpu"), r.err());
    }

    @Test
    void selftestRunsEveryKernelOnWgpu() {
        Result r = run("selftest", "--backend=wgpu");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("kernel=rmsnorm") && r.out().contains("kernel=matvec_f32"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("selftest: \\d+ passed, 0 failed")), r.out());
    }

    @Test
    void helpListsTheCommands() {
        Result r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("backends") && r.out().contains("selftest"), r.out());
    }
}
