package dev.rullama.gemma.chat;

import java.util.List;

/**
 * Gemma 4's chat format (spec ollama-gguf §6), rendered the way Ollama's {@code gemma4} renderer does:
 *
 * <pre>
 * &lt;bos&gt;
 * &lt;|turn&gt;system\n[&lt;|think|&gt;\n]{system, trimmed}{tool declarations}&lt;turn|&gt;\n   only with a system/developer
 *                                                                   message, tools, or thinking on
 * &lt;|turn&gt;user\n{content, trimmed}&lt;turn|&gt;\n
 * &lt;|turn&gt;model\n{content without &lt;|channel&gt;…&lt;channel|&gt;}&lt;turn|&gt;\n
 * &lt;|turn&gt;model\n                                                    the generation prompt
 * </pre>
 *
 * <p>Assistant is {@code model}; a leading developer message is the system prompt (a later one renders as a system
 * turn). Reasoning is dropped from history except an assistant's {@code thinking} after the last user message. Tool
 * calls follow the assistant's turn marker, tool results are folded into the same model turn, a call still waiting
 * for its result ends the prompt with {@code <|tool_response>}, and consecutive assistant messages continue one turn.
 * The large models (12B and up) get an empty thought block after the generation prompt when thinking is off:
 * {@link #large()}.
 */
public final class Gemma4ChatFormat implements ChatFormat {
    /** Turn ends, EOS, and a pending tool call (spec §5.4; llama.cpp's gemma4 end-of-generation set). */
    public static final List<String> END_OF_GENERATION = List.of("<eos>", "<turn|>", "<|tool_response>");

    private final boolean emptyThoughtBlockWhenThinkingOff;

    private Gemma4ChatFormat(boolean emptyThoughtBlockWhenThinkingOff) {
        this.emptyThoughtBlockWhenThinkingOff = emptyThoughtBlockWhenThinkingOff;
    }

    /** Ollama's {@code gemma4-small} renderer (E2B, E4B). */
    public static Gemma4ChatFormat small() { return new Gemma4ChatFormat(false); }

    /** Ollama's {@code gemma4-large} renderer (12B, 26B, 31B): the empty thought block when thinking is off. */
    public static Gemma4ChatFormat large() { return new Gemma4ChatFormat(true); }

    /** Ollama's choice when the name does not say: large from 12B parameters up. */
    public static Gemma4ChatFormat forParameterCount(long parameters) {
        return parameters >= 12_000_000_000L ? large() : small();
    }

    public boolean emptyThoughtBlockWhenThinkingOff() { return emptyThoughtBlockWhenThinkingOff; }

    @Override
    public List<String> endOfGenerationTokens() { return END_OF_GENERATION; }

    @Override
    public OutputParser outputParser(List<ChatMessage> messages, boolean think) {
        return Gemma4OutputParser.forConversation(messages, think);
    }

    @Override
    public boolean supportsTools() { return true; }

    @Override
    public boolean supportsThinking() { return true; }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean think) {
        tools = tools == null ? List.of() : tools;
        RenderedPrompt.Builder b = new RenderedPrompt.Builder();
        // add_bos_token is false in Gemma 4's tokenizer config: the prompt carries <bos> itself, as the HF template does.
        b.template("<bos>");
        boolean hasSystem = !messages.isEmpty() && messages.getFirst().role().isSystem();
        List<ChatMessage> loop = hasSystem ? messages.subList(1, messages.size()) : messages;
        if (hasSystem || !tools.isEmpty() || think) {
            b.template("<|turn>system\n");
            if (think) b.template("<|think|>\n");
            if (hasSystem) b.content(GoStrings.trimSpace(messages.getFirst().content()));
            for (ToolDefinition t : tools) Gemma4Syntax.declaration(t, b);
            b.template("<turn|>\n");
        }

        int lastUser = -1;
        for (int i = 0; i < loop.size(); i++) if (loop.get(i).role() == Role.USER) lastUser = i;

        String prevType = "";
        Role prevNonTool = null;
        for (int i = 0; i < loop.size(); i++) {
            ChatMessage m = loop.get(i);
            if (m.role() == Role.TOOL) continue; // folded into the preceding assistant turn
            prevType = "";
            String role = switch (m.role()) {
                case ASSISTANT -> "model";
                case SYSTEM, DEVELOPER -> "system";
                default -> "user";
            };
            boolean model = m.role() == Role.ASSISTANT;
            boolean continueTurn = model && prevNonTool == Role.ASSISTANT;
            if (!continueTurn) b.template("<|turn>" + role + "\n");

            if (model && m.thinking() != null && !m.thinking().isEmpty() && i > lastUser) {
                b.template("<|channel>thought\n").content(m.thinking()).template("\n<channel|>");
            }
            if (!m.toolCalls().isEmpty()) {
                for (ToolCall c : m.toolCalls()) Gemma4Syntax.call(c, b);
                prevType = "tool_call";
            }
            boolean responsesEmitted = false;
            if (!m.toolCalls().isEmpty()) {
                for (int k = i + 1; k < loop.size() && loop.get(k).role() == Role.TOOL; k++) {
                    Gemma4Syntax.response(responseName(loop.get(k), m.toolCalls()), loop.get(k).content(), b);
                    responsesEmitted = true;
                    prevType = "tool_response";
                }
            }

            boolean hadContent;
            if (model) {
                String content = stripThinking(m.content());
                b.content(content);
                hadContent = !content.isEmpty();
            } else {
                String content = GoStrings.trimSpace(m.content());
                b.content(content);
                hadContent = !content.isEmpty();
            }

            Role next = nextNonTool(loop, i);
            boolean continuesIntoNext = model && next == Role.ASSISTANT && (m.toolCalls().isEmpty() || responsesEmitted);
            if (prevType.equals("tool_call") && !responsesEmitted) {
                b.template("<|tool_response>");
            } else if (!continuesIntoNext && !(responsesEmitted && !hadContent && next == null)) {
                b.template("<turn|>\n");
            }
            prevNonTool = m.role();
        }

        if (!prevType.equals("tool_response") && !prevType.equals("tool_call")) {
            b.template("<|turn>model\n");
            if (emptyThoughtBlockWhenThinkingOff && !think) b.template("<|channel>thought\n<channel|>");
        } else if (prevType.equals("tool_response") && think) {
            b.template("<|channel>thought\n");
        }
        return b.build();
    }

    /** Removes every {@code <|channel>…<channel|>} block (an unclosed one runs to the end), then trims. */
    public static String stripThinking(String text) {
        StringBuilder out = new StringBuilder();
        String rest = text;
        while (true) {
            int start = rest.indexOf("<|channel>");
            if (start < 0) {
                out.append(rest);
                break;
            }
            out.append(rest, 0, start);
            int end = rest.indexOf("<channel|>", start);
            if (end < 0) break;
            rest = rest.substring(end + "<channel|>".length());
        }
        return GoStrings.trimSpace(out.toString());
    }

    private static String responseName(ChatMessage tool, List<ToolCall> calls) {
        String name = tool.toolName() == null || tool.toolName().isEmpty() ? "unknown" : tool.toolName();
        if (tool.toolCallId() != null && !tool.toolCallId().isEmpty()) {
            for (ToolCall c : calls) if (tool.toolCallId().equals(c.id())) return c.name();
        }
        return name;
    }

    private static Role nextNonTool(List<ChatMessage> loop, int i) {
        for (int k = i + 1; k < loop.size(); k++) if (loop.get(k).role() != Role.TOOL) return loop.get(k).role();
        return null;
    }

    @Override
    public String toString() { return emptyThoughtBlockWhenThinkingOff ? "gemma4-large" : "gemma4-small"; }
}
