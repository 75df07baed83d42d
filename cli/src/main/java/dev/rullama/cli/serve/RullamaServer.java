package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rullama.api.RullamaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code rullama serve}: Ollama's HTTP API on the JDK's built-in server. Each exchange runs on its own virtual thread
 * (a request waiting for its turn on the model costs no platform thread); the number of connections is capped
 * ({@code jdk.httpserver.maxConnections}) and a request must arrive within the read timeout
 * ({@code sun.net.httpserver.maxReqTime}), which {@link #configureTimeouts} sets before the first server starts. The
 * model stores are only read.
 */
public final class RullamaServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RullamaServer.class);

    private final HttpServer http;
    private final ExecutorService executor;
    private final ModelManager manager;
    private final ObjectMapper json = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private RullamaServer(HttpServer http, ExecutorService executor, ModelManager manager) {
        this.http = http;
        this.executor = executor;
        this.manager = manager;
    }

    /**
     * Sets the JDK server's limits unless the user set them ({@code -D}): the most seconds a request's headers and
     * body may take to arrive (slow clients are cut off), how long an idle keep-alive connection stays, and the most
     * open connections. The JDK reads them once, when its first server is created in this JVM.
     */
    public static void configureTimeouts(int readTimeoutSeconds, int maxConnections) {
        setDefault("sun.net.httpserver.maxReqTime", Integer.toString(readTimeoutSeconds));
        setDefault("sun.net.httpserver.idleInterval", "30");
        setDefault("sun.net.httpserver.maxReqHeaders", "100");
        setDefault("jdk.httpserver.maxConnections", Integer.toString(maxConnections));
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    /** Binds {@code where} and starts serving; the manager is closed with the server. */
    public static RullamaServer start(HostPort where, ModelManager manager) throws RullamaException {
        HttpServer http;
        try {
            http = HttpServer.create(where.address(), 64);
        } catch (BindException e) {
            HostPort next = new HostPort(where.host(), where.port() == 65535 ? 11435 : where.port() + 1);
            throw new RullamaException(where + " is in use (is Ollama or another rullama running?); use --host " + next);
        } catch (IOException e) {
            throw new RullamaException("cannot listen on " + where + ": " + e.getMessage());
        }
        ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rullama-http-", 0).factory());
        http.setExecutor(executor);
        RullamaServer server = new RullamaServer(http, executor, manager);
        server.routes();
        http.start();
        LOG.info("listening on {}", server.address());
        return server;
    }

    /** The bound address (the real port when 0 was asked). */
    public InetSocketAddress address() { return http.getAddress(); }

    public ModelManager manager() { return manager; }

    private interface Handler {
        void handle(Exchange ex) throws Exception;
    }

    private void routes() {
        OllamaApi ollama = new OllamaApi(manager);
        OpenAiApi openai = new OpenAiApi(manager);
        route("/api/generate", "POST", false, ollama::generate);
        route("/api/chat", "POST", false, ollama::chat);
        route("/api/show", "POST", false, ollama::show);
        route("/api/tags", "GET", false, ollama::tags);
        route("/api/ps", "GET", false, ollama::ps);
        route("/api/version", "GET", false, ollama::version);
        route("/v1/chat/completions", "POST", true, openai::chatCompletions);
        route("/v1/models", "GET", true, openai::models);
        for (String p : new String[]{"/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete", "/api/blobs/", "/api/embed", "/api/embeddings"})
            route(p, null, false, ex -> {
                throw new ApiException(501, "rullama serve does not implement " + ex.http.getRequestURI().getPath()
                        + " (it runs the models already in your Ollama store; use `ollama` to pull, create or delete them)");
            });
        http.createContext("/", raw -> dispatch(raw, false, ex -> {
            String path = ex.http.getRequestURI().getPath();
            if (!path.equals("/")) throw new ApiException(404, "404 page not found: " + path);
            String m = ex.http.getRequestMethod();
            if (!m.equals("GET") && !m.equals("HEAD")) throw new ApiException(405, "method " + m + " not allowed on /");
            ex.sendBytes(200, "text/plain; charset=utf-8", "Ollama is running".getBytes(StandardCharsets.UTF_8));
        }));
    }

    private void route(String path, String method, boolean openAi, Handler h) {
        http.createContext(path, raw -> dispatch(raw, openAi, ex -> {
            String p = ex.http.getRequestURI().getPath();
            if (!p.equals(path) && !path.endsWith("/")) throw new ApiException(404, "404 page not found: " + p);
            if (method != null && !ex.http.getRequestMethod().equals(method)
                    && !(method.equals("GET") && ex.http.getRequestMethod().equals("HEAD")))
                throw new ApiException(405, "method " + ex.http.getRequestMethod() + " not allowed on " + path + " (use " + method + ")");
            h.handle(ex);
        }));
    }

    /** Runs a handler and turns failures into Ollama's (or OpenAI's) error JSON, or a last error line mid-stream. */
    private void dispatch(HttpExchange raw, boolean openAi, Handler h) {
        Exchange ex = new Exchange(raw, json);
        try {
            h.handle(ex);
        } catch (ApiException e) {
            fail(ex, openAi, e.status(), e.getMessage());
        } catch (Exchange.ClientGone gone) {
            LOG.debug("client left: {}", raw.getRequestURI());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the connection broke while reading the request (e.g. a slow client cut off by the read timeout)
            LOG.debug("{} {}: {}", raw.getRequestMethod(), raw.getRequestURI(), e.toString());
        } catch (Exception | Error e) {
            LOG.warn("{} {} failed", raw.getRequestMethod(), raw.getRequestURI(), e);
            fail(ex, openAi, 500, ServerErrors.oneLine(e));
        } finally {
            raw.close();
        }
    }

    private void fail(Exchange ex, boolean openAi, int status, String message) {
        Object body = openAi ? OpenAiApi.error(status, message) : Map.of("error", message);
        try {
            if (ex.streaming()) {
                ex.write(openAi ? "data: " + json.writeValueAsString(body) + "\n\n" : json.writeValueAsString(body) + "\n");
                ex.endStream();
            } else {
                ex.send(status, body);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send the error: {}", e.toString());
        }
    }

    /** Stops listening, cancels nothing in flight for up to a second, then unloads every model. */
    @Override
    public void close() {
        http.stop(1);
        executor.shutdownNow();
        manager.close();
    }
}
