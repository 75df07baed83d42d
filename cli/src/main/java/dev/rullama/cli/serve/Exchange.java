package dev.rullama.cli.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP exchange, as the API handlers use it: a bounded JSON body in; a JSON object, an NDJSON stream or an SSE
 * stream out. A failed write means the client went away: {@link #write} throws {@link ClientGone} and the handler
 * cancels its generation.
 */
final class Exchange {
    /** The largest request body read; a larger one is answered 413. */
    static final int MAX_BODY = 4 << 20;

    /** The client closed the connection (a write failed). */
    static final class ClientGone extends IOException {
        ClientGone(IOException cause) { super("the client closed the connection", cause); }
    }

    final HttpExchange http;
    private final ObjectMapper json;
    private OutputStream streaming;

    Exchange(HttpExchange http, ObjectMapper json) {
        this.http = http;
        this.json = json;
    }

    ObjectMapper json() { return json; }

    boolean streaming() { return streaming != null; }

    /** The request body as a JSON object; 400 for an empty body or bad JSON, 413 past {@link #MAX_BODY}. */
    JsonNode readObject() throws IOException {
        String declared = http.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long n;
            try {
                n = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Content-Length '" + declared + "' is not a number");
            }
            if (n > MAX_BODY) throw tooLarge(n);
        }
        byte[] body;
        try (InputStream in = http.getRequestBody()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] chunk = new byte[16384];
            int r;
            while ((r = in.read(chunk)) >= 0) {
                buf.write(chunk, 0, r);
                if (buf.size() > MAX_BODY) throw tooLarge(-1);
            }
            body = buf.toByteArray();
        }
        if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) throw ApiException.badRequest("missing request body");
        JsonNode n;
        try {
            n = json.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("invalid JSON in the request body: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
        if (n == null || !n.isObject()) throw ApiException.badRequest("the request body must be a JSON object");
        return n;
    }

    private ApiException tooLarge(long n) {
        http.getResponseHeaders().set("Connection", "close");
        return new ApiException(413, "request body too large: " + (n >= 0 ? n + " bytes" : "more than " + MAX_BODY + " bytes")
                + "; the limit is " + MAX_BODY + " bytes");
    }

    /** Sends one JSON value with a status. */
    void send(int status, Object value) throws IOException {
        sendBytes(status, "application/json; charset=utf-8", json.writeValueAsBytes(value));
    }

    void sendBytes(int status, String contentType, byte[] body) throws IOException {
        http.getResponseHeaders().set("Content-Type", contentType);
        boolean head = http.getRequestMethod().equals("HEAD");
        http.sendResponseHeaders(status, head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = http.getResponseBody()) {
                out.write(body);
            }
        }
        http.close();
    }

    /** Starts a 200 stream of the given type (NDJSON or SSE). */
    void startStream(String contentType) throws IOException {
        http.getResponseHeaders().set("Content-Type", contentType);
        http.getResponseHeaders().set("Cache-Control", "no-cache");
        http.sendResponseHeaders(200, 0);
        streaming = http.getResponseBody();
    }

    /** Writes and flushes text on the stream. */
    void write(String text) throws ClientGone {
        try {
            streaming.write(text.getBytes(StandardCharsets.UTF_8));
            streaming.flush();
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    /** One NDJSON line. */
    void writeLine(Object value) throws IOException {
        write(json.writeValueAsString(value) + "\n");
    }

    void endStream() {
        try {
            streaming.close();
        } catch (IOException ignored) {
            // the client left after the last line: nothing to tell it
        }
        http.close();
    }
}
