package dev.rullama.api.webgpu;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Proves a {@link WebGpuHeader} against the C compiler: writes a C program that includes the real header and prints
 * {@code sizeof}/{@code _Alignof} of every struct, {@code offsetof}/{@code sizeof} of every named member (nested
 * members too, as {@code outer.inner} designators), and the value of every constant; compiles it with {@code cc},
 * runs it and compares with the Java layouts. The program also takes the address of every bound function, so a
 * function the header does not declare fails to compile.
 *
 * <p>Each check sits on its own line of the C program. When the compiler rejects some (a member or constant the
 * Java side has and C does not, an undeclared function), the rejected lines are reported as mismatches and the
 * program is compiled again without them, so one run reports every difference.
 *
 * <p>{@link #checkGeneratedClass} complements it: the generated classes also carry literal {@code $OFFSET}/{@code
 * sizeof()} values and {@code $DESC}/constant fields, which must agree with the maps proven here.
 */
public final class HeaderLayoutCheck {
    private static final Pattern COMPILER_ERROR = Pattern.compile("(?m)^[^\\n:]*check\\.c:(\\d+):(?:\\d+:)? (?:fatal )?error: (.*)$");
    private static final int MAX_COMPILES = 20;

    /** The outcome: every difference found (empty when the header is proven), and what was checked. */
    public record Result(String implementation, List<String> mismatches, int structs, int members, int constants,
                         int functions) {
        public boolean ok() {
            return mismatches.isEmpty();
        }

        public String summary() {
            return "%s: %d structs, %d members, %d constants, %d functions %s".formatted(implementation, structs,
                    members, constants, functions,
                    ok() ? "proven against cc" : "checked against cc, " + mismatches.size() + " mismatches");
        }
    }

    /** One line of the C program and what the Java side expects it to print. */
    private record Check(String description, String c) {}

    private HeaderLayoutCheck() {}

    /**
     * @param header      the generated header to prove
     * @param cHeader     the C header to {@code #include} (e.g. {@code wgpu.h}, which includes {@code webgpu.h})
     * @param includeDirs extra {@code -I} directories
     * @return the mismatches (empty when every layout, offset, constant and function agrees with C)
     * @throws IllegalStateException when no C compiler can be run or the program fails for another reason
     */
    public static Result check(WebGpuHeader header, Path cHeader, List<Path> includeDirs)
            throws IOException, InterruptedException {
        List<Check> checks = new ArrayList<>();
        Map<String, String> expected = new LinkedHashMap<>(); // output key -> value the Java side expects
        int members = 0;
        for (Map.Entry<String, StructLayout> e : header.structs().entrySet()) {
            String struct = e.getKey();
            StructLayout layout = e.getValue();
            checks.add(new Check("struct " + struct, "printf(\"S %s %zu %zu\\n\", \"" + struct + "\", sizeof(" + struct
                    + "), (size_t)_Alignof(" + struct + "));"));
            expected.put("S " + struct, layout.byteSize() + " " + layout.byteAlignment());
            members += addMembers(struct, "", layout, 0, checks, expected);
        }
        for (Map.Entry<String, Long> e : header.constants().entrySet()) {
            String name = e.getKey();
            checks.add(new Check("constant " + name,
                    "printf(\"K %s %llu\\n\", \"" + name + "\", (unsigned long long)(" + name + "));"));
            expected.put("K " + name, Long.toUnsignedString(e.getValue()));
        }
        for (String fn : header.functions().keySet()) {
            checks.add(new Check("function " + fn, "(void)&" + fn + ";"));
        }

        List<String> mismatches = new ArrayList<>();
        Path dir = Files.createTempDirectory("rullama-header-check");
        try {
            Map<String, String> actual = compileAndRun(dir, cHeader, includeDirs, checks, mismatches);
            for (Map.Entry<String, String> e : expected.entrySet()) {
                String got = actual.get(e.getKey());
                if (got == null) continue; // its line was rejected by the compiler, already reported
                if (!got.equals(e.getValue())) mismatches.add(describe(e.getKey(), e.getValue(), got));
            }
        } finally {
            deleteRecursively(dir);
        }
        return new Result(header.implementation(), List.copyOf(mismatches), header.structs().size(), members,
                header.constants().size(), header.functions().size());
    }

    /** Adds offset/size checks for the named members of {@code group}, recursing into nested structs and unions. */
    private static int addMembers(String struct, String prefix, GroupLayout group, long base, List<Check> checks,
                                  Map<String, String> expected) {
        int count = 0;
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = base + (group instanceof StructLayout ? offset : 0);
            offset += member.byteSize();
            if (member instanceof PaddingLayout || member.name().isEmpty()) continue;
            String path = prefix + member.name().get();
            checks.add(new Check("member " + struct + "." + path,
                    "printf(\"M %s %s %zu %zu\\n\", \"" + struct + "\", \"" + path + "\", offsetof(" + struct + ", "
                            + path + "), sizeof(((" + struct + " *)0)->" + path + "));"));
            expected.put("M " + struct + " " + path, at + " " + member.byteSize());
            count++;
            if (member instanceof GroupLayout nested) count += addMembers(struct, path + ".", nested, at, checks, expected);
        }
        return count;
    }

    private static String describe(String key, String want, String got) {
        String[] k = key.split(" ");
        String[] w = want.split(" ");
        String[] g = got.split(" ");
        return switch (k[0]) {
            case "S" -> !w[0].equals(g[0])
                    ? "struct " + k[1] + ": Java size " + w[0] + ", C sizeof " + g[0]
                      + (w[1].equals(g[1]) ? "" : "; Java alignment " + w[1] + ", C _Alignof " + g[1])
                    : "struct " + k[1] + ": Java alignment " + w[1] + ", C _Alignof " + g[1];
            case "M" -> !w[0].equals(g[0])
                    ? "member " + k[1] + "." + k[2] + ": Java offset " + w[0] + ", C offsetof " + g[0]
                      + (w[1].equals(g[1]) ? "" : "; Java size " + w[1] + ", C sizeof " + g[1])
                    : "member " + k[1] + "." + k[2] + ": Java size " + w[1] + ", C sizeof " + g[1];
            case "K" -> "constant " + k[1] + ": Java " + Long.parseUnsignedLong(w[0]) + " (0x"
                    + Long.toHexString(Long.parseUnsignedLong(w[0])) + "), C " + Long.parseUnsignedLong(g[0]) + " (0x"
                    + Long.toHexString(Long.parseUnsignedLong(g[0])) + ")";
            default -> key + ": Java " + want + ", C " + got;
        };
    }

    /**
     * Compiles and runs the program; lines the compiler rejects are reported and dropped, then it compiles again.
     * Returns the program's output as key ("S name", "M struct member", "K name") to value.
     */
    private static Map<String, String> compileAndRun(Path dir, Path cHeader, List<Path> includeDirs, List<Check> checks,
                                                     List<String> mismatches) throws IOException, InterruptedException {
        Path source = dir.resolve("check.c");
        Path binary = dir.resolve("check");
        List<Check> remaining = new ArrayList<>(checks);
        for (int attempt = 0; attempt < MAX_COMPILES; attempt++) {
            List<String> lines = new ArrayList<>(List.of(
                    "#include <stddef.h>",
                    "#include <stdio.h>",
                    "#include \"" + cHeader.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"",
                    "int main(void) {"));
            int firstCheckLine = lines.size() + 1; // 1-based line number of remaining.get(0)
            for (Check c : remaining) lines.add("    " + c.c());
            lines.add("    return 0;");
            lines.add("}");
            Files.write(source, lines, StandardCharsets.UTF_8);

            List<String> command = new ArrayList<>(List.of("cc", "-std=c11", "-w"));
            for (Path include : includeDirs) command.add("-I" + include.toAbsolutePath());
            command.addAll(List.of("-o", binary.toString(), source.toString()));
            Run compile = run(command, dir);
            if (compile.status() == 0) {
                Run program = run(List.of(binary.toString()), dir);
                if (program.status() != 0) {
                    throw new IllegalStateException("the layout check program failed (status " + program.status() + "): "
                            + program.output());
                }
                Map<String, String> actual = new LinkedHashMap<>();
                for (String line : program.output().split("\n")) {
                    if (line.isBlank()) continue;
                    String[] f = line.split(" ");
                    if (f[0].equals("M")) actual.put("M " + f[1] + " " + f[2], f[3] + " " + f[4]);
                    else actual.put(f[0] + " " + f[1], String.join(" ", List.of(f).subList(2, f.length)));
                }
                return actual;
            }
            // Map the compiler's errors back to checks; anything that is not a check line is fatal.
            Map<Integer, String> rejected = new LinkedHashMap<>();
            Matcher m = COMPILER_ERROR.matcher(compile.output());
            while (m.find()) {
                int index = Integer.parseInt(m.group(1)) - firstCheckLine;
                if (index < 0 || index >= remaining.size()) {
                    throw new IllegalStateException("`" + String.join(" ", command) + "` failed outside the checks:\n"
                            + compile.output());
                }
                rejected.putIfAbsent(index, m.group(2));
            }
            if (rejected.isEmpty()) {
                throw new IllegalStateException("`" + String.join(" ", command) + "` failed:\n" + compile.output());
            }
            List<Integer> indices = new ArrayList<>(rejected.keySet());
            indices.sort(Comparator.reverseOrder());
            for (int index : indices) {
                Check c = remaining.remove(index);
                mismatches.add(c.description() + ": not in the C header (cc: " + rejected.get(index) + ")");
            }
        }
        throw new IllegalStateException("the C compiler kept rejecting the layout check program after " + MAX_COMPILES
                + " attempts; see the mismatches so far: " + mismatches);
    }

    private record Run(int status, String output) {}

    private static Run run(List<String> command, Path dir) throws IOException, InterruptedException {
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            builder.environment().put("LC_ALL", "C"); // plain ASCII compiler messages
            process = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("no C compiler: could not run `" + String.join(" ", command)
                    + "` (install gcc or clang so that `cc` is on the PATH): " + e.getMessage(), e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("`" + String.join(" ", command) + "` timed out");
        }
        return new Run(process.exitValue(), output);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Checks the jextract-style members of a generated implementation against its own maps: each nested class's
     * {@code LAYOUT} equals {@code structs().get(name)}, each {@code member$OFFSET} equals the member's offset in it,
     * every named member has an {@code $OFFSET}, {@code sizeof()} equals its size; every {@code name$DESC} equals the
     * function or callback descriptor of that name; every {@code public static final long} equals its constant.
     */
    public static List<String> checkGeneratedClass(WebGpuHeader header) {
        List<String> mismatches = new ArrayList<>();
        Class<?> type = header.getClass();
        try {
            int nested = 0;
            for (Class<?> c : type.getClasses()) {
                Field layoutField;
                try {
                    layoutField = c.getField("LAYOUT");
                } catch (NoSuchFieldException e) {
                    continue;
                }
                nested++;
                String name = c.getSimpleName();
                StructLayout layout = (StructLayout) layoutField.get(null);
                if (!layout.equals(header.structs().get(name))) mismatches.add(name + ".LAYOUT differs from structs().get(\"" + name + "\")");
                Method sizeof = c.getMethod("sizeof");
                long size = (long) sizeof.invoke(null);
                if (size != layout.byteSize()) mismatches.add(name + ".sizeof() = " + size + ", LAYOUT has " + layout.byteSize());
                long offset = 0;
                for (MemoryLayout member : layout.memberLayouts()) {
                    if (member.name().isPresent()) {
                        String field = member.name().get() + "$OFFSET";
                        try {
                            long value = c.getField(field).getLong(null);
                            if (value != offset) mismatches.add(name + "." + field + " = " + value + ", LAYOUT has " + offset);
                        } catch (NoSuchFieldException e) {
                            mismatches.add(name + " has no " + field);
                        }
                    }
                    offset += member.byteSize();
                }
            }
            if (nested != header.structs().size()) {
                mismatches.add(type.getSimpleName() + " has " + nested + " struct classes, structs() has " + header.structs().size());
            }
            int constants = 0;
            for (Field f : type.getFields()) {
                int mod = f.getModifiers();
                if (!Modifier.isStatic(mod) || !Modifier.isFinal(mod)) continue;
                if (f.getType() == long.class) {
                    constants++;
                    Long value = header.constants().get(f.getName());
                    if (value == null || value != f.getLong(null)) {
                        mismatches.add(f.getName() + " = " + f.getLong(null) + ", constants() has " + value);
                    }
                } else if (f.getType() == FunctionDescriptor.class && f.getName().endsWith("$DESC")) {
                    String name = f.getName().substring(0, f.getName().length() - "$DESC".length());
                    FunctionDescriptor d = header.functions().containsKey(name) ? header.functions().get(name) : header.callbacks().get(name);
                    if (!Objects.equals(d, f.get(null))) mismatches.add(f.getName() + " differs from functions()/callbacks()");
                }
            }
            if (constants != header.constants().size()) {
                mismatches.add(type.getSimpleName() + " has " + constants + " long constants, constants() has " + header.constants().size());
            }
        } catch (ReflectiveOperationException e) {
            mismatches.add("cannot inspect " + type.getName() + ": " + e);
        }
        return mismatches;
    }
}
