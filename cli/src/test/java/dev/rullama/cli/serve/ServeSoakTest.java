package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Soak: 16 concurrent streaming clients against one model on Dawn (lavapipe in CI) for a bounded time
 * ({@code -Drullama.soak.seconds}, default 60). Every request must succeed, and the server must not grow: platform
 * threads and heap used after GC are compared between the end of the first and the end of the last quarter, with a
 * slack of 4 threads (the JDK's HTTP client and timers may start a helper) and 16 MiB of heap (GC noise; a leak of one
 * object per request would exceed it over hundreds of requests only if objects are large, so the thread and request
 * counts are the sharper checks).
 */
class ServeSoakTest {
    static final int CLIENTS = 16;

    @TempDir
    static Path dir;

    record Sample(int threads, long heap) {}

    @Test
    void sixteenStreamingClientsWithoutFailuresOrGrowth() throws Exception {
        int seconds = Integer.getInteger("rullama.soak.seconds", 60);
        try (ServeFixture s = ServeFixture.start(dir, "--backend=dawn")) {
            // warm up: the first request loads the model
            assertEquals(200, s.post("/api/chat", "{\"model\":\"tiny-gemma3\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"options\":{\"num_predict\":2}}").status());
            AtomicInteger ok = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                int id = c;
                clients.add(pool.submit(() -> {
                    int n = 0;
                    while (System.nanoTime() < end) {
                        String body = "{\"model\":\"tiny-gemma3\",\"messages\":[{\"role\":\"user\",\"content\":\"client " + id + " request " + (n++)
                                + "\"}],\"options\":{\"num_predict\":4,\"temperature\":0.8,\"seed\":" + n + "}}";
                        try {
                            HttpResponse<InputStream> r = s.client.send(HttpRequest.newBuilder(s.base.resolve("/api/chat")).timeout(Duration.ofMinutes(2))
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
                            JsonNode last = null;
                            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = in.readLine()) != null) if (!line.isBlank()) last = ServeFixture.JSON.readTree(line);
                            }
                            if (r.statusCode() != 200 || last == null || !last.path("done").asBoolean() || last.has("error"))
                                failures.add("status " + r.statusCode() + ", last line " + last);
                            else ok.incrementAndGet();
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
            List<Sample> samples = new ArrayList<>();
            for (int q = 1; q <= 4; q++) {
                long at = end - TimeUnit.SECONDS.toNanos(seconds) * (4 - q) / 4 - TimeUnit.SECONDS.toNanos(1);
                long wait = at - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000);
                samples.add(sample());
            }
            for (Future<?> f : clients) f.get(5, TimeUnit.MINUTES);
            pool.shutdown();
            System.out.printf("soak: %d s, %d clients, %d requests ok, %d failed; samples (threads, heap MiB): %s%n", seconds, CLIENTS, ok.get(),
                    failures.size(), samples.stream().map(x -> "(" + x.threads() + ", " + x.heap() / (1 << 20) + ")").toList());
            assertTrue(failures.isEmpty(), failures.size() + " failed requests, e.g. " + failures.peek());
            assertTrue(ok.get() >= CLIENTS, "only " + ok.get() + " requests in " + seconds + " s");
            Sample first = samples.getFirst(), last = samples.getLast();
            assertTrue(last.threads() <= first.threads() + 4, "platform threads grew from " + first.threads() + " to " + last.threads());
            assertTrue(last.heap() <= first.heap() + (16L << 20), "heap after GC grew from " + first.heap() / (1 << 20) + " to " + last.heap() / (1 << 20) + " MiB");
        }
    }

    private static Sample sample() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        return new Sample(threads.getThreadCount(), memory.getHeapMemoryUsage().getUsed());
    }
}
