package dev.rullama.api;

/** Root of rullama's checked errors. The message is one line a user can act on; the CLI prints only it unless --verbose. */
public class RullamaException extends Exception {
    public RullamaException(String message) { super(message); }
    public RullamaException(String message, Throwable cause) { super(message, cause); }
}
