package dev.rullama.api;

/** The GPU implementation reported an error (validation, internal, device lost); the message is the implementation's own. */
public class GpuException extends RullamaException {
    public GpuException(String message) { super(message); }
}
