package dev.rullama.cli.serve;

import dev.rullama.gemma.chat.ChatMessage;
import dev.rullama.gemma.chat.OutputParser;
import dev.rullama.gemma.chat.ParsedOutput;
import dev.rullama.gemma.chat.ToolDefinition;
import dev.rullama.gemma.runtime.Generator;
import dev.rullama.gemma.runtime.InferenceSession;
import dev.rullama.gemma.tokenizer.PromptSegment;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One generation request from prompt to answer, shared by the Ollama and OpenAI endpoints: builds the prompt tokens
 * and fits them to the context, queues the work on the model's worker, and hands the streamed text (split into
 * content, thinking and tool calls) to the endpoint's writer on the request's own thread.
 *
 * <p>A prompt longer than the context is handled as Ollama does by default ({@code truncate} true): a chat drops its
 * oldest messages (system messages and the last message stay) until it fits; a prompt still too long keeps its first
 * {@code num_keep} tokens and its end. With {@code "truncate": false} it is a 400 instead. Room is kept for the
 * answer: {@code num_predict} tokens when set (at most half the context), else a quarter of the context.
 */
final class Generation {
    /** What to render: a conversation in the model's chat format, or ready segments (raw or template override). */
    sealed interface PromptSpec permits Chat, Segments {}

    record Chat(List<ChatMessage> messages, List<ToolDefinition> tools, boolean think) implements PromptSpec {}

    record Segments(List<PromptSegment> segments) implements PromptSpec {}

    /** The prompt that will run, and whether it was cut to fit. */
    record Prompt(int[] tokens, boolean truncated) {}

    sealed interface Event permits Text, Finished, Failed {}

    record Text(String text) implements Event {}

    record Finished(Generator.Result result) implements Event {}

    record Failed(Throwable error) implements Event {}

    /** Receives parsed output as it streams. */
    interface Sink {
        void piece(ParsedOutput piece) throws IOException;
    }

    /** What a finished generation produced: the result and whatever the parser held back until the end. */
    record Outcome(Generator.Result result, ParsedOutput tail) {}

    /** Every token's bytes per loaded model, for {@code format: "json"}. */
    private static final Map<ModelSource.LoadedModel, byte[][]> VOCABULARY_BYTES = new WeakHashMap<>();

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final AtomicBoolean cancelled = new AtomicBoolean();

    private Generation() {}

    static Prompt prompt(ModelSource.LoadedModel m, PromptSpec spec, RequestOptions.Resolved o, boolean truncate) {
        int ctx = o.numCtx();
        int reserve = o.numPredict() > 0 ? Math.min(o.numPredict(), ctx / 2) : ctx / 4;
        int budget = Math.max(1, ctx - reserve);
        int[] tokens;
        if (spec instanceof Chat c) {
            List<ChatMessage> messages = new ArrayList<>(c.messages());
            tokens = render(m, messages, c);
            // Ollama's chatPrompt: drop the oldest messages, never system messages nor the last one
            while (tokens.length > budget && truncate) {
                int drop = -1;
                for (int i = 0; i < messages.size() - 1; i++) if (!messages.get(i).role().isSystem()) { drop = i; break; }
                if (drop < 0) break;
                messages.remove(drop);
                tokens = render(m, messages, c);
            }
        } else {
            tokens = m.tokenizer().encodeWithBos(((Segments) spec).segments());
        }
        if (tokens.length <= budget) return new Prompt(tokens, false);
        if (!truncate || o.numKeep() < 0)
            throw ApiException.badRequest("the prompt is " + tokens.length + " tokens, more than the context of " + ctx + " tokens leaves room for ("
                    + budget + " after " + reserve + " for the answer); shorten it, raise num_ctx (the server's --ctx caps it) or allow truncate");
        int keep = Math.max(1, Math.min(o.numKeep(), budget / 2));
        int[] cut = new int[budget];
        System.arraycopy(tokens, 0, cut, 0, keep);
        System.arraycopy(tokens, tokens.length - (budget - keep), cut, keep, budget - keep);
        return new Prompt(cut, true);
    }

    private static int[] render(ModelSource.LoadedModel m, List<ChatMessage> messages, Chat c) {
        try {
            return m.chat().render(messages, c.tools(), c.think()).tokenize(m.tokenizer());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(m.name() + ": " + e.getMessage());
        }
    }

    /** Queues the generation on the model's worker. */
    static Generation start(ModelManager.Use use, int[] prompt, RequestOptions.Resolved o, boolean json) {
        Generation g = new Generation();
        use.submit(m -> g.run(m, prompt, o, json));
        return g;
    }

    private void run(ModelSource.LoadedModel m, int[] prompt, RequestOptions.Resolved o, boolean json) {
        if (cancelled.get()) { events.add(new Failed(new Exchange.ClientGone(new IOException("cancelled before it started")))); return; }
        try (InferenceSession session = m.model().newSession(o.numCtx())) {
            int[] endIds = m.chat().endOfGenerationIds(m.tokenizer());
            Generator.TokenConstraint constraint = json ? new JsonConstraint(vocabularyBytes(m), endIds) : null;
            Generator.Options opts = new Generator.Options(o.sampling(), o.numPredict(), o.stop(), endIds);
            Generator.Result r = new Generator(m.tokenizer()).generate(session, prompt, opts, constraint, t -> events.add(new Text(t)), cancelled::get);
            events.add(new Finished(r));
        } catch (Throwable t) {
            events.add(new Failed(t));
        }
    }

    private static byte[][] vocabularyBytes(ModelSource.LoadedModel m) {
        synchronized (VOCABULARY_BYTES) {
            return VOCABULARY_BYTES.computeIfAbsent(m, k -> JsonConstraint.vocabularyBytes(k.tokenizer()));
        }
    }

    void cancel() { cancelled.set(true); }

    /**
     * Streams the answer to {@code sink} until the end. A write that fails (the client left) cancels the generation
     * and rethrows; a failed generation becomes an {@link ApiException}.
     */
    Outcome drive(OutputParser parser, Sink sink) throws IOException, InterruptedException {
        try {
            while (true) {
                Event e = events.take();
                switch (e) {
                    case Text t -> {
                        ParsedOutput p = parser.add(t.text());
                        if (!p.isEmpty()) sink.piece(p);
                    }
                    case Finished f -> { return new Outcome(f.result(), parser.finish()); }
                    case Failed f -> throw f.error() instanceof ApiException a ? a : new ApiException(500, ServerErrors.oneLine(f.error()));
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            cancel();
            throw e;
        }
    }

    /** Joins parsed pieces (for {@code stream: false}). */
    static final class Collector implements Sink {
        final StringBuilder content = new StringBuilder(), thinking = new StringBuilder();
        final List<dev.rullama.gemma.chat.ToolCall> toolCalls = new ArrayList<>();

        @Override
        public void piece(ParsedOutput p) {
            content.append(p.content());
            thinking.append(p.thinking());
            toolCalls.addAll(p.toolCalls());
        }
    }
}
