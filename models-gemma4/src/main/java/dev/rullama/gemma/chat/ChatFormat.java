package dev.rullama.gemma.chat;

import dev.rullama.gemma.tokenizer.GemmaTokenizer;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A Gemma family's chat format: how a conversation becomes a prompt, and which tokens end a reply.
 * {@link Gemma4ChatFormat} follows Ollama's {@code gemma4} renderer, {@link Gemma3ChatFormat} the Gemma 3 template.
 */
public sealed interface ChatFormat permits Gemma4ChatFormat, Gemma3ChatFormat {

    /**
     * Renders the conversation and the generation prompt.
     *
     * @param tools tools the model may call (empty for none)
     * @param think whether to ask for reasoning before the answer
     * @throws IllegalArgumentException when the format cannot express the request (tools or thinking on Gemma 3)
     */
    RenderedPrompt render(List<ChatMessage> messages, List<ToolDefinition> tools, boolean think);

    default RenderedPrompt render(List<ChatMessage> messages) { return render(messages, List.of(), false); }

    /** A parser for the reply to this conversation. */
    OutputParser outputParser(List<ChatMessage> messages, boolean think);

    /** Token strings that end generation (spec ollama-gguf §5.4). */
    List<String> endOfGenerationTokens();

    boolean supportsTools();

    boolean supportsThinking();

    /**
     * Ids that end generation: this format's tokens that the vocabulary has, plus the file's own EOS /
     * {@code eos_token_ids} / {@code eot_token_id}.
     */
    default int[] endOfGenerationIds(GemmaTokenizer tokenizer) {
        IntStream fromFormat = endOfGenerationTokens().stream()
                .map(tokenizer::tokenId).filter(o -> o.isPresent()).mapToInt(o -> o.getAsInt());
        return IntStream.concat(fromFormat, Arrays.stream(tokenizer.fileEndOfGenerationIds())).distinct().toArray();
    }

    /** The format for a GGUF {@code general.architecture}: {@code gemma4} (small renderer) or {@code gemma3}. */
    static ChatFormat forArchitecture(String architecture) {
        return switch (architecture) {
            case "gemma4" -> Gemma4ChatFormat.small();
            case "gemma3" -> new Gemma3ChatFormat();
            default -> throw new IllegalArgumentException("no chat format for architecture '" + architecture + "'");
        };
    }
}
