package dev.rullama.cli;

import dev.rullama.api.RullamaException;

/** Turns any failure into the one line a user sees, and an exit code. */
final class Errors {
    private Errors() {}

    static String oneLine(Throwable e) {
        Throwable t = e;
        // our own exceptions already say what and where; others get their type for context
        if (t instanceof RullamaException || t instanceof IllegalArgumentException) return flatten(t.getMessage());
        while (t.getCause() != null && !(t instanceof RullamaException)) t = t.getCause();
        if (t instanceof RullamaException) return flatten(t.getMessage());
        return flatten(t.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    private static String flatten(String s) {
        return s == null ? "unknown error" : s.strip().replaceAll("\\s*\\R\\s*", " | ");
    }

    static int exitCode(Throwable e) {
        return e instanceof IllegalArgumentException ? 2 : 1;
    }
}
