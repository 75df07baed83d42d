package dev.rullama.backend.wgpu.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rullama.api.webgpu.HeaderLayoutCheck;
import dev.rullama.api.webgpu.WebGpuHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the generated wgpu-native bindings against the C compiler and the pinned headers (webgpu.h and the
 * wgpu.h extensions that include it), and that they are exactly what scripts/bindgen.sh produces from them.
 * The negative test of the checker itself lives in backend-dawn's DawnHeaderLayoutTest.
 */
class WgpuNativeHeaderLayoutTest {
    static final Path REPO = repoRoot();
    static final String HEADERS = "backend-wgpu/src/main/headers";
    static final String GENERATED = "backend-wgpu/src/main/java/dev/rullama/backend/wgpu/ffi/WgpuNativeHeader.java";
    /** The generator arguments of scripts/bindgen.sh for wgpu-native, without --out. */
    static final List<String> BINDGEN_ARGS = List.of(
            "--header", HEADERS + "/webgpu.h",
            "--header", HEADERS + "/wgpu.h",
            "--functions", "backend-wgpu/src/main/bindgen/functions.txt",
            "--extra-structs", "WGPUShaderSourceWGSL",
            "--extra-enums", "WGPUNativeSType",
            "--package", "dev.rullama.backend.wgpu.ffi", "--class", "WgpuNativeHeader",
            "--implementation", "wgpu-native");

    @Test
    void everyLayoutConstantAndFunctionMatchesTheCCompiler() throws Exception {
        HeaderLayoutCheck.Result result = HeaderLayoutCheck.check(WgpuNativeHeader.INSTANCE,
                REPO.resolve(HEADERS + "/wgpu.h"), List.of(REPO.resolve(HEADERS)));
        System.out.println(result.summary());
        assertEquals(List.of(), result.mismatches(), result.summary());
        assertEquals(List.of(), HeaderLayoutCheck.checkGeneratedClass(WgpuNativeHeader.INSTANCE));
        assertTrue(result.structs() > 30 && result.members() > 150 && result.constants() > 200, result.summary());
        assertEquals(listedFunctions(), WgpuNativeHeader.INSTANCE.functions().keySet().stream().sorted().toList(),
                "the bound functions are exactly those of backend-wgpu/src/main/bindgen/functions.txt");
        assertTrue(WgpuNativeHeader.INSTANCE.functions().containsKey("wgpuDevicePoll"));
        assertTrue(WgpuNativeHeader.INSTANCE.constants().containsKey("WGPUSType_NativeLimits"));
    }

    @Test
    void headerFilesAndHashesAreThePinnedOnes() throws Exception {
        WebGpuHeader h = WgpuNativeHeader.INSTANCE;
        assertEquals("wgpu-native", h.implementation());
        assertEquals(List.of(HEADERS + "/webgpu.h", HEADERS + "/wgpu.h"), h.headerFiles());
        assertEquals(List.of(sha256(REPO.resolve(HEADERS + "/webgpu.h")), sha256(REPO.resolve(HEADERS + "/wgpu.h"))),
                h.headerSha256());
    }

    @Test
    void regenerationIsByteForByteReproducible() throws Exception {
        Path out = Files.createTempFile("WgpuNativeHeader", ".java");
        try {
            regenerate(BINDGEN_ARGS, out);
            assertEquals(Files.readString(REPO.resolve(GENERATED)), Files.readString(out),
                    GENERATED + " is stale or hand-edited: run scripts/bindgen.sh");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs tools/bindgen/BindGen.java with the running JDK's java, from the repository root. */
    static void regenerate(List<String> args, Path out) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "tools/bindgen/BindGen.java"));
        command.addAll(args);
        command.addAll(List.of("--out", out.toString()));
        Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "bindgen failed: " + output);
    }

    /** The names in functions.txt, sorted (the generated map is in header order). */
    static List<String> listedFunctions() throws IOException {
        return Files.readAllLines(REPO.resolve("backend-wgpu/src/main/bindgen/functions.txt")).stream()
                .map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).sorted().toList();
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** The system property rullama.repo (set by the parent pom), else the nearest directory above with backend-dawn. */
    static Path repoRoot() {
        String property = System.getProperty("rullama.repo");
        if (property != null && !property.isBlank() && Files.isDirectory(Path.of(property, "backend-dawn"))) {
            return Path.of(property).toAbsolutePath();
        }
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("backend-dawn"))) return p;
        }
        throw new IllegalStateException("cannot find the repository root (no rullama.repo, no backend-dawn above "
                + System.getProperty("user.dir") + ")");
    }
}
