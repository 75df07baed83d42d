package dev.rullama.cli.serve;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.chat.ChatFormat;
import dev.rullama.gemma.chat.GenerationDefaults;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.runtime.InferenceSession;
import dev.rullama.gemma.runtime.LanguageModel;
import dev.rullama.gemma.runtime.ReferenceLanguageModel;
import dev.rullama.gemma.sampling.SamplingConfig;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgufFile;
import dev.rullama.ollama.ModelConfig;
import dev.rullama.ollama.ModelEntry;
import dev.rullama.ollama.ModelName;
import dev.rullama.ollama.ModelShow;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Queueing and cancellation, made deterministic with a model whose decode steps wait on a gate: the bounded queue
 * answers 503 when full, queued requests run in arrival order, and a client that disconnects cancels its generation.
 */
class ServeQueueTest {
    static {
        // loads ServeFixture, which sets the JDK server limits every serve test shares (the JDK reads them once per JVM)
        ServeFixture.JSON.getClass();
    }

    /** Decode waits until the gate opens; every session counts its decode steps. */
    static final class Gate {
        volatile CountDownLatch open = new CountDownLatch(1);
        volatile long delayMillis;
        final List<AtomicInteger> decodes = new CopyOnWriteArrayList<>();
        final List<String> order = new CopyOnWriteArrayList<>();
    }

    final Gate gate = new Gate();
    RullamaServer server;
    URI base;
    final HttpClient client = HttpClient.newHttpClient();

    void start(int maxQueue) throws Exception {
        ModelManager manager = new ModelManager(new GatedSource(gate), Duration.ofMinutes(5), maxQueue);
        server = RullamaServer.start(new HostPort("127.0.0.1", 0), manager);
        base = URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    @AfterEach
    void stop() {
        gate.open.countDown();
        if (server != null) server.close();
    }

    private CompletableFuture<HttpResponse<String>> chat(String content, int numPredict, boolean stream) {
        String body = "{\"model\":\"gated\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + content
                + "\"}],\"options\":{\"num_predict\":" + numPredict + "}}";
        return client.sendAsync(HttpRequest.newBuilder(base.resolve("/api/chat")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFullQueueAnswers503AndQueuedRequestsRunInArrivalOrder() throws Exception {
        start(3);
        CompletableFuture<HttpResponse<String>> a = chat("first", 3, false);
        awaitSessions(1); // A runs and waits at the gate
        CompletableFuture<HttpResponse<String>> b = chat("second", 3, false);
        Thread.sleep(200);
        CompletableFuture<HttpResponse<String>> c = chat("third", 3, false);
        Thread.sleep(200);
        HttpResponse<String> d = chat("fourth", 3, false).get(30, TimeUnit.SECONDS);
        assertEquals(503, d.statusCode(), d.body());
        assertTrue(d.body().contains("server busy"), d.body());
        gate.open.countDown();
        assertEquals(200, a.get(60, TimeUnit.SECONDS).statusCode());
        assertEquals(200, b.get(60, TimeUnit.SECONDS).statusCode());
        assertEquals(200, c.get(60, TimeUnit.SECONDS).statusCode());
        assertEquals(List.of("first", "second", "third"), gate.order);
    }

    @Test
    void aClientThatDisconnectsCancelsItsGeneration() throws Exception {
        start(8);
        gate.open.countDown();
        gate.delayMillis = 20; // 150 tokens would take 3 s
        try (Socket sock = new Socket("127.0.0.1", base.getPort())) {
            String body = "{\"model\":\"gated\",\"messages\":[{\"role\":\"user\",\"content\":\"leaving\"}],\"options\":{\"num_predict\":150}}";
            OutputStream out = sock.getOutputStream();
            out.write(("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(sock.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.contains("\"done\":false")) { } // the headers, then a first chunk
            assertTrue(line != null, "no chunk before the stream ended");
        }
        // the next request runs after the cancelled one on the same worker
        HttpResponse<String> next = chat("next", 2, false).get(60, TimeUnit.SECONDS);
        assertEquals(200, next.statusCode(), next.body());
        int steps = gate.decodes.getFirst().get();
        assertTrue(steps < 100, "the abandoned generation ran " + steps + " of 150 decode steps");
    }

    private void awaitSessions(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (gate.decodes.size() < n && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(n, gate.decodes.size());
    }

    /** The fixture on the CPU reference, under the name "gated", with the gate in its decode step. */
    static final class GatedSource implements ModelSource {
        final Gate gate;

        GatedSource(Gate gate) { this.gate = gate; }

        @Override
        public Optional<ModelEntry> find(String name) throws Exception {
            if (!name.startsWith("gated")) return Optional.empty();
            return Optional.of(new ModelEntry(ModelName.parse("gated"), "sha256:" + "0".repeat(64), 1, Instant.now(), Path.of("gated")));
        }

        @Override
        public List<ModelEntry> list() throws Exception { return List.of(find("gated").orElseThrow()); }

        @Override
        public ModelShow show(String name) { throw new UnsupportedOperationException(); }

        @Override
        public ModelConfig config(String name) { throw new UnsupportedOperationException(); }

        @Override
        public GgufFile openGguf(String name) { throw new UnsupportedOperationException(); }

        @Override
        public LoadedModel load(String name) throws Exception {
            GgufFile f = GgufFile.open(ServeFixture.FIXTURES.resolve("model-bf16.gguf"));
            GemmaTokenizer tok = GemmaTokenizer.fromGguf(f);
            LanguageModel inner = new ReferenceLanguageModel(ReferenceModel.load(f));
            GenerationDefaults greedy = new GenerationDefaults(SamplingConfig.greedy(), List.of(), -1, 4, 0);
            LanguageModel gated = new LanguageModel() {
                @Override public GemmaConfig config() { return inner.config(); }
                @Override public String engine() { return "cpu-reference (gated)"; }
                @Override public InferenceSession newSession(int ctx) { return new GatedSession(inner.newSession(ctx), gate, tok); }
            };
            return new LoadedModel("gated", inner.config(), tok, ChatFormat.forArchitecture("gemma3"), greedy, gated, 256, f);
        }
    }

    static final class GatedSession implements InferenceSession {
        final InferenceSession inner;
        final Gate gate;
        final GemmaTokenizer tok;
        final AtomicInteger decodes = new AtomicInteger();

        GatedSession(InferenceSession inner, Gate gate, GemmaTokenizer tok) {
            this.inner = inner;
            this.gate = gate;
            this.tok = tok;
            gate.decodes.add(decodes);
        }

        @Override public int position() { return inner.position(); }
        @Override public int contextLength() { return inner.contextLength(); }
        @Override public float[][] forwardAll(int[] tokens) { return inner.forwardAll(tokens); }

        @Override
        public float[] prefill(int[] tokens) {
            String text = tok.decode(tokens);
            for (String w : List.of("first", "second", "third")) if (text.contains(w)) gate.order.add(w);
            return inner.prefill(tokens);
        }

        @Override
        public float[] decode(int token) {
            try {
                gate.open.await();
                if (gate.delayMillis > 0) Thread.sleep(gate.delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            decodes.incrementAndGet();
            return inner.decode(token);
        }
    }
}
