package dev.rullama.shaders;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The catalog of WGSL kernel files shipped in this module ({@code dev/rullama/shaders/*.wgsl}), with the one
 * preprocessor feature WGSL lacks: a line {@code #include "name"} is replaced by {@code name.wgsl} (each file at
 * most once per kernel), so shared helpers such as the workgroup reductions exist once. Setting
 * {@code -Drullama.dumpWgsl=DIR} (or {@code $RULLAMA_DUMP_WGSL}) writes every kernel source that is loaded into DIR,
 * for debugging with other tools.
 */
public final class WgslSource {
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private WgslSource() {}

    private static final java.util.regex.Pattern INCLUDE = java.util.regex.Pattern.compile("^#include \"([a-z0-9_]+)\"\\s*$");

    /** The source of {@code name}.wgsl with its includes expanded. */
    public static String load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            String src = expand(n, new java.util.HashSet<>());
            try {
                dump(n + ".wgsl", src);
            } catch (IOException e) {
                throw new UncheckedIOException("dumping " + n + ".wgsl", e);
            }
            return src;
        });
    }

    private static String expand(String name, java.util.Set<String> included) {
        if (!included.add(name)) return "";
        StringBuilder out = new StringBuilder();
        for (String line : raw(name).split("\n", -1)) {
            java.util.regex.Matcher m = INCLUDE.matcher(line);
            if (m.matches()) out.append("// ---- ").append(m.group(1)).append(".wgsl ----\n").append(expand(m.group(1), included));
            else out.append(line).append('\n');
        }
        return out.toString();
    }

    private static String raw(String name) {
        String path = name + ".wgsl";
        try (InputStream in = WgslSource.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalArgumentException("no WGSL kernel " + path + " in " + WgslSource.class.getPackageName());
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path, e);
        }
    }

    private static void dump(String file, String src) throws IOException {
        String dir = System.getProperty("rullama.dumpWgsl", System.getenv("RULLAMA_DUMP_WGSL"));
        if (dir == null || dir.isBlank()) return;
        java.nio.file.Path d = java.nio.file.Path.of(dir);
        java.nio.file.Files.createDirectories(d);
        java.nio.file.Files.writeString(d.resolve(file), src);
    }
}
