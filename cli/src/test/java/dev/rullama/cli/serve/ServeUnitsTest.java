package dev.rullama.cli.serve;

import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.rullama.cli.ServeCommand;
import dev.rullama.gemma.tokenizer.PromptSegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The server's small parts: keep-alive durations, host:port, the JSON automaton, template overrides, port in use. */
class ServeUnitsTest {
    @Test
    void keepAliveTakesOllamasDurationsAndNumbers() {
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofMinutes(90), Durations.parse("1h30m"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertEquals(Duration.ZERO, Durations.parse("0"));
        assertEquals(Durations.FOREVER, Durations.parse("-1"));
        assertEquals(Durations.FOREVER, Durations.parse("-5m"));
        assertEquals(Duration.ofSeconds(300), Durations.keepAlive(IntNode.valueOf(300)));
        assertEquals(Duration.ofSeconds(30), Durations.keepAlive(TextNode.valueOf("30s")));
        assertEquals(Duration.ofSeconds(5), Durations.parse("5"));
        for (String bad : List.of("", "m5", "5 minutes", "5mm", "--1"))
            assertThrows(ApiException.class, () -> Durations.parse(bad), bad);
    }

    @Test
    void hostPortReadsOllamaHostForms() {
        assertEquals(new HostPort("127.0.0.1", 11434), HostPort.parse(null));
        assertEquals(new HostPort("127.0.0.1", 11435), HostPort.parse(":11435"));
        assertEquals(new HostPort("0.0.0.0", 11434), HostPort.parse("0.0.0.0"));
        assertEquals(new HostPort("localhost", 8080), HostPort.parse("http://localhost:8080"));
        assertEquals(new HostPort("::1", 11434), HostPort.parse("[::1]:11434"));
        for (String bad : List.of("localhost:notaport", "https://x:1", "host:99999", "a/b"))
            assertThrows(IllegalArgumentException.class, () -> HostPort.parse(bad), bad);
    }

    private static boolean json(String s) {
        return new JsonConstraint(new byte[0][], new int[0]).feed(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theJsonAutomatonAcceptsExactlyPrefixesOfOneObject() {
        for (String ok : List.of("{", "{}", "{\"a\":1}", "{\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"], \"b\": {\"c\": {}}}",
                "{\"a\":0.5", "{\"k\":\"caf\u00e9 \u2603", "{\"a\":[", "{\"a\":tr", "{ \"a\" : 1 , \"b\" : 2 }"))
            assertTrue(json(ok), ok);
        for (String bad : List.of(" {", "[1]", "\"x\"", "{a:1}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":1,}", "{\"a\":[1,]}", "{\"a\":tru}",
                "{\"a\":\"\\x\"}", "{\"a\":\"line\nbreak\"}", "{}x", "{}}", "{\"a\":1]", "{\"a\":-}", "{\"a\":1.}", "{\"a\":1e}"))
            assertFalse(json(bad), bad);
        JsonConstraint c = new JsonConstraint(new byte[0][], new int[0]);
        assertTrue(c.feed("{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(c.complete());
    }

    @Test
    void theJsonConstraintAllowsEndOnlyWhenComplete() {
        byte[][] vocab = {"{".getBytes(), "}".getBytes(), "\"k\"".getBytes(), ":".getBytes(), "1".getBytes(), new byte[0], " ".getBytes()};
        int end = 7;
        JsonConstraint c = new JsonConstraint(vocab, new int[]{end});
        assertFalse(c.allows(end));
        assertFalse(c.allows(6), "no whitespace before the object");
        assertTrue(c.allows(0));
        c.accept(0);
        assertFalse(c.allows(5), "a token without bytes makes no progress");
        assertTrue(c.allows(2) && c.allows(1) && !c.allows(4));
        c.accept(2);
        c.accept(3);
        c.accept(4);
        assertFalse(c.allows(end));
        c.accept(1);
        assertTrue(c.allows(end));
        for (int t = 0; t < vocab.length; t++) assertFalse(c.allows(t), "nothing may follow the object: " + t);
    }

    @Test
    void templateOverridesRenderTheGoSubset() {
        List<PromptSegment> p = SimpleTemplate.render("{{ if .System }}<start_of_turn>user\n{{ .System }}<end_of_turn>\n{{ end }}<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n{{ .Response }}<end_of_turn>",
                "", "hi <b>");
        assertEquals(List.of(PromptSegment.template("<start_of_turn>user\n"), PromptSegment.content("hi <b>"),
                PromptSegment.template("<end_of_turn>\n<start_of_turn>model\n")), p);
        assertEquals("S:sys P:x", String.join("", SimpleTemplate.render("{{ if .System }}S:{{ .System }} {{ else }}none {{ end }}P:{{ .Prompt }}", "sys", "x")
                .stream().map(PromptSegment::text).toList()));
        assertThrows(ApiException.class, () -> SimpleTemplate.render("{{ range .Messages }}{{ end }}", "", "x"));
        assertThrows(ApiException.class, () -> SimpleTemplate.render("{{ if .System }}x", "", "x"));
    }

    @Test
    void aPortInUseIsOneClearLineSuggestingAnother(@TempDir Path dir) throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Path store = ServeFixture.installStore(dir);
            Exception e = assertThrows(Exception.class, () -> ServeCommand.start("--host", "127.0.0.1:" + port, "--models", store.toString()));
            assertEquals("127.0.0.1:" + port + " is in use (is Ollama or another rullama running?); use --host 127.0.0.1:" + (port + 1), e.getMessage());
        }
    }
}
