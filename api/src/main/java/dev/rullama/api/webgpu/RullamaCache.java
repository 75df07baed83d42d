package dev.rullama.api.webgpu;

import java.nio.file.Path;

/** The directory where {@code scripts/setup.sh} caches natives: -Drullama.cache, $RULLAMA_CACHE, $XDG_CACHE_HOME/rullama, ~/.cache/rullama. */
public final class RullamaCache {
    private RullamaCache() {}

    public static Path dir() {
        String p = System.getProperty("rullama.cache");
        if (p != null && !p.isBlank()) return Path.of(p);
        String e = System.getenv("RULLAMA_CACHE");
        if (e != null && !e.isBlank()) return Path.of(e);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "rullama");
        return Path.of(System.getProperty("user.home"), ".cache", "rullama");
    }
}
