package dev.rullama.api.webgpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds a backend's native library in a documented order: system property, environment variable, the setup cache
 * ({@code scripts/setup.sh}), then the system library path (by file name, through the dynamic linker). Pure file
 * checks: nothing is loaded here, so {@link dev.rullama.api.Backend#probe()} can use it freely.
 *
 * @param property     e.g. {@code rullama.dawn.library}
 * @param environment  e.g. {@code RULLAMA_DAWN_LIBRARY}
 * @param cachePath    path inside the cache, e.g. {@code dawn/libwebgpu_wrapper.so}
 * @param systemNames  file names to look up on the system library path, e.g. {@code libwebgpu_dawn.so}
 */
public record NativeLibraryLocator(String property, String environment, String cachePath, List<String> systemNames) {

    /** Where a library was found and which rule found it. */
    public record Found(Path path, String source) {}

    /** The system's library directories searched for {@link #systemNames} (the dynamic linker's usual ones). */
    static final List<Path> SYSTEM_DIRS = List.of(Path.of("/usr/local/lib"), Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib64"), Path.of("/usr/lib"), Path.of("/lib"));

    public Optional<Found> locate() {
        String p = System.getProperty(property);
        if (p != null && !p.isBlank()) return Optional.of(new Found(Path.of(p), "-D" + property));
        String e = System.getenv(environment);
        if (e != null && !e.isBlank()) return Optional.of(new Found(Path.of(e), "$" + environment));
        Path cached = RullamaCache.dir().resolve(cachePath);
        if (Files.isRegularFile(cached)) return Optional.of(new Found(cached, "setup cache"));
        List<Path> dirs = new ArrayList<>();
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) for (String d : ld.split(":")) if (!d.isBlank()) dirs.add(Path.of(d));
        dirs.addAll(SYSTEM_DIRS);
        for (Path d : dirs)
            for (String name : systemNames)
                if (Files.isRegularFile(d.resolve(name))) return Optional.of(new Found(d.resolve(name), "system library path"));
        return Optional.empty();
    }

    /** The one-line reason and fix used when {@link #locate()} finds nothing. */
    public String notFoundMessage(String what) {
        return what + " not found (looked at -D" + property + ", $" + environment + ", " + RullamaCache.dir().resolve(cachePath)
                + " and the system library path for " + String.join("/", systemNames) + "); run scripts/setup.sh to fetch it";
    }
}
