package dev.rullama.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Finds backends with {@link ServiceLoader} and chooses one. The choice is explicit and never silent: an unknown or
 * unavailable backend is an error listing every backend and why each is (un)available; {@code auto} takes the
 * available, non-hidden backend of highest priority.
 */
public final class Backends {
    /** Environment variable consulted when no backend is named on the command line. */
    public static final String ENV = "RULLAMA_BACKEND";

    private final List<Backend> all;

    public Backends(List<Backend> backends) {
        this.all = backends.stream().sorted(Comparator.comparingInt(Backend::priority).reversed().thenComparing(Backend::name)).toList();
    }

    /** Every backend on the class path (or module path). */
    public static Backends discover() {
        List<Backend> found = new ArrayList<>();
        ServiceLoader.load(Backend.class).forEach(found::add);
        return new Backends(found);
    }

    /** All discovered backends, highest priority first. */
    public List<Backend> all() { return all; }

    /**
     * Chooses a backend: {@code requested} if not null/blank, else $RULLAMA_BACKEND, else {@code auto}.
     */
    public Backend select(String requested) throws BackendUnavailableException {
        String name = requested;
        if (name == null || name.isBlank()) name = System.getenv(ENV);
        if (name == null || name.isBlank()) name = "auto";
        name = name.strip().toLowerCase(Locale.ROOT);
        if (name.equals("auto")) {
            for (Backend b : all)
                if (!b.hidden() && b.probe().available()) return b;
            throw new BackendUnavailableException("no GPU backend is available. " + report());
        }
        for (Backend b : all) {
            if (b.name().equals(name)) {
                Availability a = b.probe();
                if (a.available()) return b;
                throw new BackendUnavailableException("backend '" + name + "' is unavailable: " + a.detail() + ". " + report(b));
            }
        }
        throw new BackendUnavailableException("unknown backend '" + name + "'. " + report());
    }

    /** One sentence per backend: name and availability or the reason it is unavailable. */
    public String report() {
        return report(null);
    }

    private String report(Backend except) {
        List<Backend> listed = all.stream().filter(b -> b != except).toList();
        if (listed.isEmpty()) return except == null ? "No backend is on the class path." : "No other backend is on the class path.";
        StringBuilder sb = new StringBuilder(except == null ? "Backends: " : "Other backends: ");
        for (int i = 0; i < listed.size(); i++) {
            Backend b = listed.get(i);
            Availability a = b.probe();
            if (i > 0) sb.append("; ");
            sb.append(b.name()).append(a.available() ? " (available: " : " (unavailable: ").append(a.detail()).append(')');
        }
        return sb.append('.').toString();
    }
}
