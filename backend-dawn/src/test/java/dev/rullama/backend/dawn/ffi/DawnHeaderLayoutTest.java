package dev.rullama.backend.dawn.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rullama.api.webgpu.HeaderLayoutCheck;
import dev.rullama.api.webgpu.WebGpuHeader;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

/**
 * Proves the generated Dawn bindings against the C compiler and the pinned header, and that they are exactly what
 * scripts/bindgen.sh produces from it.
 */
class DawnHeaderLayoutTest {
    static final Path REPO = repoRoot();
    static final String HEADER = "backend-dawn/src/main/headers/dawn/webgpu.h";
    static final String GENERATED = "backend-dawn/src/main/java/dev/rullama/backend/dawn/ffi/DawnWebGpuHeader.java";
    /** The generator arguments of scripts/bindgen.sh for Dawn, without --out. */
    static final List<String> BINDGEN_ARGS = List.of(
            "--header", HEADER,
            "--functions", "backend-dawn/src/main/bindgen/functions.txt",
            "--extra-structs", "WGPUShaderSourceWGSL",
            "--package", "dev.rullama.backend.dawn.ffi", "--class", "DawnWebGpuHeader", "--implementation", "dawn");

    @Test
    void everyLayoutConstantAndFunctionMatchesTheCCompiler() throws Exception {
        HeaderLayoutCheck.Result result = HeaderLayoutCheck.check(DawnWebGpuHeader.INSTANCE, REPO.resolve(HEADER),
                List.of(REPO.resolve("backend-dawn/src/main/headers")));
        System.out.println(result.summary());
        assertEquals(List.of(), result.mismatches(), result.summary());
        assertEquals(List.of(), HeaderLayoutCheck.checkGeneratedClass(DawnWebGpuHeader.INSTANCE));
        assertTrue(result.structs() > 30 && result.members() > 150 && result.constants() > 300, result.summary());
        assertEquals(listedFunctions(), DawnWebGpuHeader.INSTANCE.functions().keySet().stream().sorted().toList(),
                "the bound functions are exactly those of backend-dawn/src/main/bindgen/functions.txt");
    }

    @Test
    void headerFilesAndHashesAreThePinnedOnes() throws Exception {
        WebGpuHeader h = DawnWebGpuHeader.INSTANCE;
        assertEquals("dawn", h.implementation());
        assertEquals(List.of(HEADER), h.headerFiles());
        assertEquals(List.of(sha256(REPO.resolve(HEADER))), h.headerSha256());
    }

    @Test
    void regenerationIsByteForByteReproducible() throws Exception {
        Path out = Files.createTempFile("DawnWebGpuHeader", ".java");
        try {
            regenerate(BINDGEN_ARGS, out);
            assertEquals(Files.readString(REPO.resolve(GENERATED)), Files.readString(out),
                    GENERATED + " is stale or hand-edited: run scripts/bindgen.sh");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The check must catch what it claims to: a wrong offset, a member C lacks, a wrong constant, a missing function. */
    @Test
    void checkerReportsPerturbedLayouts() throws Exception {
        WebGpuHeader real = DawnWebGpuHeader.INSTANCE;
        Map<String, StructLayout> structs = new LinkedHashMap<>(real.structs());
        // sType moved from offset 8 to 12: same total size (16), so only the offset check can see it.
        structs.put("WGPUChainedStruct", MemoryLayout.structLayout(
                ValueLayout.ADDRESS.withName("next"), MemoryLayout.paddingLayout(4),
                ValueLayout.JAVA_INT.withName("sType")).withName("WGPUChainedStruct"));
        // A member C does not have.
        structs.put("WGPUStringView", MemoryLayout.structLayout(
                ValueLayout.ADDRESS.withName("data"), ValueLayout.JAVA_LONG.withName("length"),
                ValueLayout.JAVA_LONG.withName("bogusMember")).withName("WGPUStringView"));
        Map<String, Long> constants = new LinkedHashMap<>(real.constants());
        constants.put("WGPUBufferUsage_Storage", 0x40L);
        Map<String, FunctionDescriptor> functions = new LinkedHashMap<>(real.functions());
        functions.put("wgpuNoSuchFunction", FunctionDescriptor.ofVoid());
        WebGpuHeader perturbed = new WebGpuHeader() {
            public String implementation() { return "dawn-perturbed"; }
            public List<String> headerFiles() { return real.headerFiles(); }
            public List<String> headerSha256() { return real.headerSha256(); }
            public Map<String, StructLayout> structs() { return structs; }
            public Map<String, FunctionDescriptor> functions() { return functions; }
            public Map<String, FunctionDescriptor> callbacks() { return real.callbacks(); }
            public Map<String, Long> constants() { return constants; }
        };
        HeaderLayoutCheck.Result result = HeaderLayoutCheck.check(perturbed, REPO.resolve(HEADER),
                List.of(REPO.resolve("backend-dawn/src/main/headers")));
        List<String> m = result.mismatches();
        System.out.println(result.summary() + "\n  " + String.join("\n  ", m));
        assertTrue(m.contains("member WGPUChainedStruct.sType: Java offset 12, C offsetof 8"), m.toString());
        assertTrue(m.stream().anyMatch(s -> s.startsWith("member WGPUStringView.bogusMember: not in the C header")), m.toString());
        assertTrue(m.contains("struct WGPUStringView: Java size 24, C sizeof 16"), m.toString());
        assertTrue(m.contains("constant WGPUBufferUsage_Storage: Java 64 (0x40), C 128 (0x80)"), m.toString());
        assertTrue(m.stream().anyMatch(s -> s.startsWith("function wgpuNoSuchFunction: not in the C header")), m.toString());
        assertEquals(5, m.size(), m.toString());
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
        return Files.readAllLines(REPO.resolve("backend-dawn/src/main/bindgen/functions.txt")).stream()
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
