package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.cli.ServeCommand;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A running {@code rullama serve} for tests: the synthetic Gemma 3 fixture installed as {@code tiny-gemma3} in a
 * store laid out as Ollama's, and the server on an ephemeral loopback port. The read timeout is 3 s here (the JDK
 * reads it once per JVM, so every serve test shares it).
 */
final class ServeFixture implements AutoCloseable {
    static final Path FIXTURES = Path.of(System.getProperty("rullama.repo", "..")).resolve("models-gemma4/src/test/resources/fixtures/gemma3");
    static final String MODEL = "tiny-gemma3";
    static final int READ_TIMEOUT_SECONDS = 3;
    static final ObjectMapper JSON = new ObjectMapper();

    static {
        System.setProperty("sun.net.httpserver.maxReqTime", Integer.toString(READ_TIMEOUT_SECONDS));
        // a connection that sends nothing is checked on this tick (default 10 s)
        System.setProperty("sun.net.httpserver.clockTick", "1000");
    }

    final RullamaServer server;
    final URI base;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private ServeFixture(RullamaServer server) {
        this.server = server;
        this.base = URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    /** Installs the fixture store under {@code dir} and starts a server on it with these extra {@code serve} arguments. */
    static ServeFixture start(Path dir, String... extra) throws Exception {
        Path store = installStore(dir);
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1:0", "--models", store.toString(), "--ctx", "256"));
        args.addAll(List.of(extra));
        return new ServeFixture(ServeCommand.start(args.toArray(String[]::new)));
    }

    static Path installStore(Path dir) throws Exception {
        Path store = dir.resolve("store");
        byte[] gguf = Files.readAllBytes(FIXTURES.resolve("model-bf16.gguf"));
        String hex = sha256(gguf);
        Files.createDirectories(store.resolve("blobs"));
        Files.write(store.resolve("blobs/sha256-" + hex), gguf);
        byte[] config = "{\"model_format\":\"gguf\",\"model_family\":\"gemma3\",\"model_families\":[\"gemma3\"],\"model_type\":\"tiny\",\"file_type\":\"BF16\"}".getBytes();
        String chex = sha256(config);
        Files.write(store.resolve("blobs/sha256-" + chex), config);
        byte[] params = "{\"stop\":[\"<end_of_turn>\"],\"temperature\":0}".getBytes();
        String phex = sha256(params);
        Files.write(store.resolve("blobs/sha256-" + phex), params);
        Path m = store.resolve("manifests/registry.ollama.ai/library/" + MODEL + "/latest");
        Files.createDirectories(m.getParent());
        Files.writeString(m, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"sha256:" + chex + "\",\"size\":" + config.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.ollama.image.model\",\"digest\":\"sha256:" + hex + "\",\"size\":" + gguf.length + "},"
                + "{\"mediaType\":\"application/vnd.ollama.image.params\",\"digest\":\"sha256:" + phex + "\",\"size\":" + params.length + "}]}");
        return store;
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    record Reply(int status, String body, String contentType) {
        JsonNode json() throws IOException { return JSON.readTree(body); }

        List<JsonNode> lines() throws IOException {
            List<JsonNode> out = new ArrayList<>();
            for (String l : body.split("\n")) if (!l.isBlank()) out.add(JSON.readTree(l));
            return out;
        }
    }

    Reply post(String path, String body) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    Reply get(String path) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
    }

    @Override
    public void close() {
        server.close();
    }
}
