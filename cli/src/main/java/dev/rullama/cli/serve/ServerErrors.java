package dev.rullama.cli.serve;

import dev.rullama.api.RullamaException;

/** The one-line message an API error carries: our own exceptions' text, else the type and message of the root cause. */
final class ServerErrors {
    private ServerErrors() {}

    static String oneLine(Throwable e) {
        Throwable t = e;
        while (!(t instanceof RullamaException || t instanceof IllegalArgumentException || t instanceof ApiException) && t.getCause() != null)
            t = t.getCause();
        String msg = t instanceof RullamaException || t instanceof IllegalArgumentException || t instanceof ApiException
                ? t.getMessage() : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        return msg == null ? t.getClass().getSimpleName() : msg.strip().replaceAll("\\s*\\R\\s*", " | ");
    }
}
