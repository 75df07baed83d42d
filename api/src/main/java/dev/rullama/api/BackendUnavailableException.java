package dev.rullama.api;

/** A backend cannot be used here: its native library is missing, no adapter, or the user asked for an unknown one. */
public class BackendUnavailableException extends RullamaException {
    public BackendUnavailableException(String message) { super(message); }
    public BackendUnavailableException(String message, Throwable cause) { super(message, cause); }
}
