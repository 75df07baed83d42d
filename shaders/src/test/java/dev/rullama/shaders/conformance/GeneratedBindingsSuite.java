package dev.rullama.shaders.conformance;

import dev.rullama.api.webgpu.HeaderLayoutCheck;
import dev.rullama.api.webgpu.WebGpuHeader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For backends whose FFM bindings {@code tools/bindgen} generated from a pinned {@code webgpu.h}: proves every struct
 * size, member offset, constant and function against the C compiler, checks the recorded headers and hashes, and
 * requires that regenerating with the backend's {@code src/main/bindgen/bindgen.args} (what scripts/bindgen.sh runs)
 * reproduces the checked-in source byte for byte. It also proves that the checker catches what it claims to.
 */
public abstract class GeneratedBindingsSuite {
    protected static final Path REPO = repoRoot();

    /** The generated bindings. */
    protected abstract WebGpuHeader header();

    /** The backend's module directory, e.g. {@code backend-dawn}. */
    protected abstract String module();

    /** The header a C program includes to see every binding (repo-relative). */
    protected abstract String mainHeader();

    private List<String> args() throws IOException {
        return Files.readAllLines(REPO.resolve(module() + "/src/main/bindgen/bindgen.args")).stream()
                .map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private String argValue(String flag) throws IOException {
        List<String> a = args();
        return a.get(a.indexOf(flag) + 1);
    }

    private HeaderLayoutCheck.Result check(WebGpuHeader h) throws Exception {
        return HeaderLayoutCheck.check(h, REPO.resolve(mainHeader()), List.of(REPO.resolve(module() + "/src/main/headers")));
    }

    @Test
    void everyLayoutConstantAndFunctionMatchesTheCCompiler() throws Exception {
        HeaderLayoutCheck.Result result = check(header());
        System.out.println(result.summary());
        assertEquals(List.of(), result.mismatches(), result.summary());
        assertEquals(List.of(), HeaderLayoutCheck.checkGeneratedClass(header()));
        assertTrue(result.structs() > 30 && result.members() > 150 && result.constants() > 200, result.summary());
        List<String> listed = Files.readAllLines(REPO.resolve(argValue("--functions"))).stream()
                .map(l -> l.replaceAll("#.*", "").strip()).filter(l -> !l.isEmpty()).sorted().toList();
        assertEquals(listed, header().functions().keySet().stream().sorted().toList(),
                "the bound functions are exactly those of " + argValue("--functions"));
    }

    @Test
    void headerFilesAndHashesAreThePinnedOnes() throws Exception {
        List<String> headers = new ArrayList<>();
        List<String> a = args();
        for (int i = 0; i < a.size(); i++) if (a.get(i).equals("--header")) headers.add(a.get(i + 1));
        assertEquals(headers, header().headerFiles());
        List<String> hashes = new ArrayList<>();
        for (String h : headers)
            hashes.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(REPO.resolve(h)))));
        assertEquals(hashes, header().headerSha256());
        assertEquals(argValue("--implementation"), header().implementation());
    }

    @Test
    void regenerationIsByteForByteReproducible() throws Exception {
        String generated = argValue("--out");
        Path out = Files.createTempFile("bindgen", ".java");
        try {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "tools/bindgen/BindGen.java"));
            List<String> a = new ArrayList<>(args());
            int o = a.indexOf("--out");
            a.set(o + 1, out.toString());
            command.addAll(a);
            Process p = new ProcessBuilder(command).directory(REPO.toFile()).redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), "bindgen failed: " + log);
            assertEquals(Files.readString(REPO.resolve(generated)), Files.readString(out),
                    generated + " is stale or hand-edited: run scripts/bindgen.sh");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The check must catch a wrong offset, a member C lacks, a wrong size, a wrong constant and a missing function. */
    @Test
    void checkerReportsPerturbedLayouts() throws Exception {
        WebGpuHeader real = header();
        Map<String, StructLayout> structs = new LinkedHashMap<>(real.structs());
        // sType moved from offset 8 to 12: same total size (16), so only the offset check can see it.
        structs.put("WGPUChainedStruct", MemoryLayout.structLayout(
                ValueLayout.ADDRESS.withName("next"), MemoryLayout.paddingLayout(4),
                ValueLayout.JAVA_INT.withName("sType")).withName("WGPUChainedStruct"));
        structs.put("WGPUStringView", MemoryLayout.structLayout(
                ValueLayout.ADDRESS.withName("data"), ValueLayout.JAVA_LONG.withName("length"),
                ValueLayout.JAVA_LONG.withName("bogusMember")).withName("WGPUStringView"));
        Map<String, Long> constants = new LinkedHashMap<>(real.constants());
        constants.put("WGPUBufferUsage_Storage", 0x40L);
        Map<String, FunctionDescriptor> functions = new LinkedHashMap<>(real.functions());
        functions.put("wgpuNoSuchFunction", FunctionDescriptor.ofVoid());
        WebGpuHeader perturbed = new WebGpuHeader() {
            public String implementation() { return real.implementation() + "-perturbed"; }
            public List<String> headerFiles() { return real.headerFiles(); }
            public List<String> headerSha256() { return real.headerSha256(); }
            public Map<String, StructLayout> structs() { return structs; }
            public Map<String, FunctionDescriptor> functions() { return functions; }
            public Map<String, FunctionDescriptor> callbacks() { return real.callbacks(); }
            public Map<String, Long> constants() { return constants; }
        };
        List<String> m = check(perturbed).mismatches();
        System.out.println("perturbed bindings report:\n  " + String.join("\n  ", m));
        assertTrue(m.contains("member WGPUChainedStruct.sType: Java offset 12, C offsetof 8"), m.toString());
        assertTrue(m.stream().anyMatch(s -> s.startsWith("member WGPUStringView.bogusMember: not in the C header")), m.toString());
        assertTrue(m.contains("struct WGPUStringView: Java size 24, C sizeof 16"), m.toString());
        assertTrue(m.contains("constant WGPUBufferUsage_Storage: Java 64 (0x40), C 128 (0x80)"), m.toString());
        assertTrue(m.stream().anyMatch(s -> s.startsWith("function wgpuNoSuchFunction: not in the C header")), m.toString());
        assertEquals(5, m.size(), m.toString());
    }

    /** The system property rullama.repo (set by the parent pom), else the nearest directory above with tools/bindgen. */
    static Path repoRoot() {
        String property = System.getProperty("rullama.repo");
        if (property != null && !property.isBlank() && Files.isDirectory(Path.of(property, "tools", "bindgen")))
            return Path.of(property).toAbsolutePath();
        for (Path p = Path.of(System.getProperty("user.dir")).toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isDirectory(p.resolve("tools/bindgen"))) return p;
        throw new IllegalStateException("cannot find the repository root (no rullama.repo, no tools/bindgen above " + System.getProperty("user.dir") + ")");
    }
}
