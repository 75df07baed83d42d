package dev.rullama.api;

/** The request does not fit the adapter; the message suggests what to shrink (context, quantization). */
public class OutOfDeviceMemoryException extends RullamaException {
    public OutOfDeviceMemoryException(String message) { super(message); }
}
