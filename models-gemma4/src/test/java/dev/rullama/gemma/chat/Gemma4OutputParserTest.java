package dev.rullama.gemma.chat;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Splitting Gemma 4 output into thinking, content and tool calls, whole and streamed in arbitrary pieces. */
class Gemma4OutputParserTest {

    /** Feeds {@code text} in the given pieces and joins everything the parser returned. */
    private static ParsedOutput parse(boolean think, List<String> pieces) {
        Gemma4OutputParser p = new Gemma4OutputParser(think);
        StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        List<ToolCall> calls = new ArrayList<>();
        for (String piece : pieces) {
            ParsedOutput o = p.add(piece);
            content.append(o.content());
            thinking.append(o.thinking());
            calls.addAll(o.toolCalls());
        }
        ParsedOutput o = p.finish();
        content.append(o.content());
        thinking.append(o.thinking());
        calls.addAll(o.toolCalls());
        return new ParsedOutput(content.toString(), thinking.toString(), calls);
    }

    private static ParsedOutput parse(boolean think, String text) { return parse(think, List.of(text)); }

    /** The same text cut at random places, many times: the result must not depend on the cuts. */
    private static void assertStreamingInvariant(boolean think, String text) {
        ParsedOutput whole = parse(think, text);
        SplittableRandom r = new SplittableRandom(text.hashCode());
        for (int trial = 0; trial < 300; trial++) {
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < text.length(); ) {
                int n = 1 + r.nextInt(Math.min(12, text.length() - i));
                pieces.add(text.substring(i, i + n));
                i += n;
            }
            assertEquals(whole, parse(think, pieces), () -> "pieces " + pieces);
        }
    }

    @Test
    void thinkingThenAnswer() {
        String out = "<|channel>thought\nThe sky scatters blue light more.\n<channel|>\nRayleigh scattering.";
        assertEquals(new ParsedOutput("Rayleigh scattering.", "The sky scatters blue light more.", List.of()), parse(true, out));
        assertEquals(new ParsedOutput("Rayleigh scattering.", "", List.of()), parse(false, out), "thinking off: reasoning dropped");
        assertStreamingInvariant(true, out);
    }

    @Test
    void plainAnswerKeepsItsText() {
        String out = "Just an answer with <b>tags</b> and a < sign and a trailing newline\n";
        assertEquals(new ParsedOutput(out, "", List.of()), parse(false, out));
        assertStreamingInvariant(false, out);
    }

    @Test
    void emptyThoughtBlockOfTheLargeModels() {
        assertEquals(new ParsedOutput("Hi!", "", List.of()), parse(true, "<|channel>thought\n<channel|>Hi!"));
    }

    @Test
    void toolCall() {
        String out = "Let me check.<|tool_call>call:get_weather{city:<|\"|>Paris<|\"|>,days:3,metric:true,ratio:0.5,"
                + "opts:{a:1,b:<|\"|>x, y}<|\"|>},hours:[6,12],none:null}<tool_call|>";
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("city", "Paris");
        args.put("days", 3L);
        args.put("metric", true);
        args.put("ratio", 0.5);
        args.put("opts", Map.of("a", 1L, "b", "x, y}"));
        args.put("hours", List.of(6L, 12L));
        args.put("none", null);
        ParsedOutput o = parse(false, out);
        assertEquals("Let me check.", o.content());
        assertEquals(1, o.toolCalls().size());
        assertEquals("get_weather", o.toolCalls().getFirst().name());
        assertEquals(args, o.toolCalls().getFirst().arguments());
        assertStreamingInvariant(false, out);
    }

    @Test
    void thinkingThenToolCallThenNoise() {
        String out = "<|channel>thought\nNeed the tool.<channel|><|tool_call>call:f{q:<|\"|>a<tool_call|>b<|\"|>}<tool_call|>"
                + "<tool_call|><|tool_response>";
        ParsedOutput o = parse(true, out);
        assertEquals("Need the tool.", o.thinking());
        assertEquals("", o.content(), "repeated close tags and a tool-response opener are not content");
        assertEquals(List.of(new ToolCall("f", Map.of("q", "a<tool_call|>b"))), o.toolCalls(), "a close tag inside a string is text");
        assertStreamingInvariant(true, out);
    }

    @Test
    void twoCallsAndUnclosedCallAtEnd() {
        String out = "<|tool_call>call:a{x:1}<tool_call|><|tool_call>call:b{y:<|\"|>unterminated";
        ParsedOutput o = parse(false, out);
        assertEquals(List.of(new ToolCall("a", Map.of("x", 1L)), new ToolCall("b", Map.of("y", "unterminated"))), o.toolCalls());
        assertStreamingInvariant(false, out);
    }

    @Test
    void toolCallArgumentSyntax() {
        assertEquals(Map.of("k", "v\"q\n"), Gemma4ToolCallParser.parse("call:f{\"k\":\"v\\\"q\\n\"}").orElseThrow().arguments());
        assertEquals(Map.of("n", -1.5e-3), Gemma4ToolCallParser.parse("call:f{n:-1.5e-3}").orElseThrow().arguments());
        assertEquals(Map.of("w", "bare words"), Gemma4ToolCallParser.parse("call:f{w:bare words}").orElseThrow().arguments());
        assertEquals(Map.of(), Gemma4ToolCallParser.parse("call:noargs{}").orElseThrow().arguments());
        assertTrue(Gemma4ToolCallParser.parse("no call here").isEmpty());
        assertTrue(Gemma4ToolCallParser.parse("call:{x:1}").isEmpty());
    }

    @Test
    void renderedCallsParseBack() {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("city", "Paris");
        args.put("n", 3L);
        args.put("list", List.of("a", 2L, false));
        args.put("nested", Map.of("k", "v"));
        RenderedPrompt.Builder b = new RenderedPrompt.Builder();
        Gemma4Syntax.call(new ToolCall("get", args), b);
        String text = b.build().text();
        String inner = text.substring("<|tool_call>".length(), text.length() - "<tool_call|>".length());
        assertEquals(args, Gemma4ToolCallParser.parse(inner).orElseThrow().arguments());
    }

    @Test
    void afterAToolResultWithThinkingTheReplyStartsInTheThoughtChannel() {
        List<ChatMessage> conv = List.of(ChatMessage.user("q"),
                ChatMessage.assistantCalls("", List.of(new ToolCall("f", Map.of()))), ChatMessage.tool("f", "42"));
        OutputParser p = Gemma4ChatFormat.small().outputParser(conv, true);
        ParsedOutput a = p.add("The tool said 42.<channel|>It is 42.");
        ParsedOutput b = p.finish();
        assertEquals("The tool said 42.", a.thinking() + b.thinking());
        assertEquals("It is 42.", a.content() + b.content());
    }
}
