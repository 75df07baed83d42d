package dev.rullama.gemma.chat;

import java.util.List;

/**
 * Gemma 3's chat format (spec ollama-gguf §6, last item; the HF template and Ollama's {@code gemma3-instruct}):
 *
 * <pre>
 * &lt;start_of_turn&gt;user\n{system}\n\n{first user content}&lt;end_of_turn&gt;\n
 * &lt;start_of_turn&gt;model\n{content}&lt;end_of_turn&gt;\n
 * &lt;start_of_turn&gt;model\n                                                the generation prompt
 * </pre>
 *
 * <p>Gemma 3 has no system role: a leading system/developer message is folded into the first user turn (or becomes
 * a user turn of its own when the conversation does not start with a user message), and a later one renders as a user turn. Content is trimmed, as
 * the HF template does. BOS is not written: the tokenizer adds it ({@code add_bos_token=true}). There are no tools and
 * no thinking.
 */
public final class Gemma3ChatFormat implements ChatFormat {
    /** Ollama adds {@code <end_of_turn>} (106) to Gemma 3's EOS (spec §5.2 step 6). */
    public static final List<String> END_OF_GENERATION = List.of("<eos>", "<end_of_turn>");

    @Override
    public List<String> endOfGenerationTokens() { return END_OF_GENERATION; }

    @Override
    public OutputParser outputParser(List<ChatMessage> messages, boolean think) { return new OutputParser.Plain(); }

    @Override
    public boolean supportsTools() { return false; }

    @Override
    public boolean supportsThinking() { return false; }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean think) {
        if (tools != null && !tools.isEmpty()) throw new IllegalArgumentException("Gemma 3's chat format has no tool calling");
        if (think) throw new IllegalArgumentException("Gemma 3 does not support thinking");
        RenderedPrompt.Builder b = new RenderedPrompt.Builder();
        String system = null;
        int from = 0;
        if (!messages.isEmpty() && messages.getFirst().role().isSystem()) {
            system = GoStrings.trimSpace(messages.getFirst().content());
            from = 1;
        }
        boolean systemPending = system != null;
        for (int i = from; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (systemPending && m.role() != Role.USER) {
                b.template("<start_of_turn>user\n").content(system).template("<end_of_turn>\n");
                systemPending = false;
            }
            switch (m.role()) {
                case ASSISTANT -> b.template("<start_of_turn>model\n").content(GoStrings.trimSpace(m.content())).template("<end_of_turn>\n");
                case TOOL -> throw new IllegalArgumentException("Gemma 3's chat format has no tool messages");
                default -> {
                    b.template("<start_of_turn>user\n");
                    if (systemPending && m.role() == Role.USER) {
                        b.content(system).template("\n\n");
                        systemPending = false;
                    }
                    b.content(GoStrings.trimSpace(m.content())).template("<end_of_turn>\n");
                }
            }
        }
        if (systemPending) b.template("<start_of_turn>user\n").content(system).template("<end_of_turn>\n");
        b.template("<start_of_turn>model\n");
        return b.build();
    }

    @Override
    public String toString() { return "gemma3"; }
}
