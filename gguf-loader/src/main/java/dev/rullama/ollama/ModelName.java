package dev.rullama.ollama;

import java.nio.file.Path;
import java.util.Locale;

/**
 * An Ollama model name, {@code host/namespace/model:tag}, parsed as Ollama's {@code types/model/name.go} does:
 * the tag is what follows the last {@code :} if it comes after the last {@code /} (so {@code localhost:5000/x} keeps
 * its port), the rest splits from the right on {@code /} into model, namespace and host, a {@code scheme://} prefix is
 * dropped, and missing parts take the defaults {@code registry.ollama.ai}, {@code library}, {@code latest}.
 *
 * <p>Parts must start with a letter, digit or {@code _} and continue with those or {@code - .}; no {@code .} in the
 * namespace, {@code :} only in the host; host 1–350 characters, the others 1–80. On top of Ollama's rules, any
 * {@code ..}, backslash, leading {@code /} or empty part is rejected, so a name can never address a path outside
 * {@code manifests/}. Names compare case-insensitively ({@link #equalsIgnoreCase}); the path keeps the case as written.
 */
public record ModelName(String host, String namespace, String model, String tag) {
    public static final String DEFAULT_HOST = "registry.ollama.ai";
    public static final String DEFAULT_NAMESPACE = "library";
    public static final String DEFAULT_TAG = "latest";

    public ModelName {
        String full = host + "/" + namespace + "/" + model + ":" + tag;
        check(full, "host", host, 350, true, true);
        check(full, "namespace", namespace, 80, false, false);
        check(full, "model", model, 80, true, false);
        check(full, "tag", tag, 80, true, false);
    }

    /** Parses a user-supplied name; see the class comment for the rules. */
    public static ModelName parse(String s) throws InvalidModelNameException {
        if (s == null || s.isBlank()) throw new InvalidModelNameException(String.valueOf(s), "empty");
        if (s.contains("..")) throw new InvalidModelNameException(s, "'..' is not allowed in a model name");
        if (s.indexOf('\\') >= 0) throw new InvalidModelNameException(s, "backslashes are not allowed in a model name");
        if (s.indexOf('@') >= 0) throw new InvalidModelNameException(s, "digest references (name@sha256:...) are not supported");
        if (s.chars().anyMatch(c -> c < 0x21 || c == 0x7F)) throw new InvalidModelNameException(s, "whitespace and control characters are not allowed");
        String rest = s;
        int scheme = rest.indexOf("://");
        if (scheme >= 0) rest = rest.substring(scheme + 3);
        if (rest.startsWith("/")) throw new InvalidModelNameException(s, "a path is not a model name");
        String tag = DEFAULT_TAG;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (tag.isEmpty()) throw new InvalidModelNameException(s, "empty tag after ':'");
        }
        String host = DEFAULT_HOST, namespace = DEFAULT_NAMESPACE, model;
        int slash = rest.lastIndexOf('/');
        if (slash < 0) {
            model = rest;
        } else {
            model = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
            int slash2 = rest.lastIndexOf('/');
            if (slash2 < 0) {
                namespace = rest;
            } else {
                namespace = rest.substring(slash2 + 1);
                host = rest.substring(0, slash2);
            }
            if (namespace.isEmpty() || host.isEmpty()) throw new InvalidModelNameException(s, "empty part between '/'");
        }
        try {
            return new ModelName(host, namespace, model, tag);
        } catch (IllegalArgumentException e) {
            throw new InvalidModelNameException(s, e.getMessage());
        }
    }

    /** {@code host/namespace/model:tag}, fully qualified. */
    @Override
    public String toString() { return host + "/" + namespace + "/" + model + ":" + tag; }

    /**
     * The shortest form Ollama displays: {@code gemma4:e2b} for the default host and namespace,
     * {@code user/model:tag} for another namespace, the full name for another host.
     */
    public String displayShortest() {
        if (!host.equalsIgnoreCase(DEFAULT_HOST)) return toString();
        if (!namespace.equalsIgnoreCase(DEFAULT_NAMESPACE)) return namespace + "/" + model + ":" + tag;
        return model + ":" + tag;
    }

    /** The manifest's path relative to {@code manifests/}: exactly four levels. */
    public Path relativePath() { return Path.of(host, namespace, model, tag); }

    /** Ollama's {@code EqualFold}: every part equal ignoring case. */
    public boolean equalsIgnoreCase(ModelName o) {
        return host.equalsIgnoreCase(o.host) && namespace.equalsIgnoreCase(o.namespace)
                && model.equalsIgnoreCase(o.model) && tag.equalsIgnoreCase(o.tag);
    }

    /** A case-folded key for maps and sorting. */
    public String foldedKey() { return toString().toLowerCase(Locale.ROOT); }

    private static void check(String full, String kind, String part, int maxLen, boolean dotOk, boolean colonOk) {
        if (part == null || part.isEmpty()) throw new IllegalArgumentException("empty " + kind);
        if (part.length() > maxLen) throw new IllegalArgumentException(kind + " is longer than " + maxLen + " characters");
        if (part.contains("..")) throw new IllegalArgumentException("'..' in the " + kind);
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            if (i == 0) {
                if (!alnum) throw new IllegalArgumentException(kind + " '" + part + "' must start with a letter, digit or '_'");
                continue;
            }
            boolean ok = alnum || c == '-' || (c == '.' && dotOk) || (c == ':' && colonOk);
            if (!ok) throw new IllegalArgumentException(kind + " '" + part + "' contains '" + c + "'");
        }
    }
}
