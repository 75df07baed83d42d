package dev.rullama.cli.serve;

/** A request that fails with an HTTP status and a message, answered as Ollama does: {@code {"error": "..."}}. */
public final class ApiException extends RuntimeException {
    private final int status;

    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() { return status; }

    static ApiException badRequest(String message) { return new ApiException(400, message); }

    static ApiException notFound(String model) {
        return new ApiException(404, "model \"" + model + "\" not found, try pulling it first (rullama reads the models `ollama pull` stores)");
    }
}
