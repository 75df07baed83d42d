package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.ollama.OllamaChatModel;
import dev.langchain4j.model.ollama.OllamaStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Clients nobody here wrote, against {@code rullama serve} on the GPU path (Dawn on lavapipe in CI): LangChain4j's
 * {@code langchain4j-ollama} chat and streaming chat, and the system's {@code curl} reading the NDJSON stream.
 */
class ServeClientsTest {
    @TempDir
    static Path dir;
    static ServeFixture s;

    @BeforeAll
    static void start() throws Exception {
        s = ServeFixture.start(dir, "--backend=dawn");
    }

    @AfterAll
    static void stop() {
        if (s != null) s.close();
    }

    @Test
    void langChain4jChat() {
        OllamaChatModel model = OllamaChatModel.builder().baseUrl(s.base.toString()).modelName(ServeFixture.MODEL)
                .temperature(0.0).numPredict(8).timeout(Duration.ofMinutes(2)).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Say hello")).build());
        assertNotNull(r.aiMessage().text());
        assertTrue(r.tokenUsage().outputTokenCount() >= 1 && r.tokenUsage().outputTokenCount() <= 8, r.toString());
        assertTrue(r.tokenUsage().inputTokenCount() > 1, r.toString());
        assertNotNull(r.finishReason(), r.toString());
        // the same greedy request over plain HTTP gives the same text: the client saw the server's answer, not a default
        assertEquals(plainChat("Say hello"), r.aiMessage().text());
    }

    @Test
    void langChain4jStreamingChat() throws Exception {
        OllamaStreamingChatModel model = OllamaStreamingChatModel.builder().baseUrl(s.base.toString()).modelName(ServeFixture.MODEL)
                .temperature(0.0).numPredict(8).timeout(Duration.ofMinutes(2)).build();
        List<String> parts = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(ChatRequest.builder().messages(UserMessage.from("Say hello")).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) { parts.add(partial); }

            @Override
            public void onCompleteResponse(ChatResponse response) { done.complete(response); }

            @Override
            public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse r = done.get(2, TimeUnit.MINUTES);
        assertEquals(String.join("", parts), r.aiMessage().text());
        assertEquals(plainChat("Say hello"), r.aiMessage().text());
        assertTrue(r.tokenUsage().outputTokenCount() >= 1, r.toString());
    }

    private static String plainChat(String text) {
        try {
            JsonNode j = s.post("/api/chat", "{\"model\":\"tiny-gemma3\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"" + text
                    + "\"}],\"options\":{\"temperature\":0,\"num_predict\":8}}").json();
            return j.get("message").get("content").asText();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void curlReadsTheNdjsonStream() throws Exception {
        String curl = findCurl();
        Process p = new ProcessBuilder(curl, "-sS", "-N", "--max-time", "120", s.base.resolve("/api/generate").toString(), "-d",
                "{\"model\":\"tiny-gemma3\",\"prompt\":\"Why is the sky blue?\",\"options\":{\"num_predict\":6}}")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "curl did not finish");
        assertEquals(0, p.exitValue(), "curl failed: " + out);
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertTrue(lines.size() >= 2, "expected chunks and a final line: " + out);
        for (String l : lines.subList(0, lines.size() - 1)) {
            JsonNode j = ServeFixture.JSON.readTree(l);
            assertFalse(j.get("done").asBoolean(), l);
            assertTrue(j.has("response"), l);
        }
        JsonNode last = ServeFixture.JSON.readTree(lines.getLast());
        assertTrue(last.get("done").asBoolean(), out);
        assertTrue(last.get("eval_count").asInt() <= 6 && last.get("total_duration").asLong() > 0, out);
    }

    /** The system curl; its absence fails the test (it is part of the acceptance criteria), naming the fix. */
    private static String findCurl() {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            File f = new File(d, "curl");
            if (f.canExecute()) return f.getPath();
        }
        fail("curl is not on PATH; install it (e.g. apt-get install curl): this test checks the NDJSON stream with a client nobody here wrote");
        return null;
    }
}
