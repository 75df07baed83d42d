package dev.rullama.shaders;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The catalog of WGSL kernel files shipped in this module ({@code dev/rullama/shaders/*.wgsl}). Setting
 * {@code -Drullama.dumpWgsl=DIR} (or {@code $RULLAMA_DUMP_WGSL}) writes every kernel source that is loaded into DIR,
 * for debugging with other tools.
 */
public final class WgslSource {
    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private WgslSource() {}

    /** The source of {@code name}.wgsl. */
    public static String load(String name) {
        return CACHE.computeIfAbsent(name, n -> {
            String path = n + ".wgsl";
            try (InputStream in = WgslSource.class.getResourceAsStream(path)) {
                if (in == null) throw new IllegalArgumentException("no WGSL kernel " + path + " in " + WgslSource.class.getPackageName());
                String src = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                dump(path, src);
                return src;
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + path, e);
            }
        });
    }

    private static void dump(String file, String src) throws IOException {
        String dir = System.getProperty("rullama.dumpWgsl", System.getenv("RULLAMA_DUMP_WGSL"));
        if (dir == null || dir.isBlank()) return;
        java.nio.file.Path d = java.nio.file.Path.of(dir);
        java.nio.file.Files.createDirectories(d);
        java.nio.file.Files.writeString(d.resolve(file), src);
    }
}
