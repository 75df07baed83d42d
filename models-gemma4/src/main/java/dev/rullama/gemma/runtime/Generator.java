package dev.rullama.gemma.runtime;

import dev.rullama.gemma.sampling.Sampler;
import dev.rullama.gemma.sampling.SamplingConfig;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gemma.tokenizer.StreamingDecoder;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The generation loop every front end shares (CLI, HTTP server): prefill the prompt in one batch, then sample and
 * decode one token at a time until an end-of-generation token, a stop string, the token limit, the context limit or
 * cancellation. Text streams out as soon as it forms whole UTF-8 characters; a stop string is never emitted (text
 * that might be the start of one is held back until it cannot be).
 */
public final class Generator {
    /** Why generation ended, in Ollama's words. */
    public enum DoneReason {
        STOP("stop"), LENGTH("length"), CANCELLED("cancelled");

        private final String ollama;

        DoneReason(String ollama) { this.ollama = ollama; }

        public String ollama() { return ollama; }
    }

    /**
     * @param numPredict most tokens to generate (negative: until the context is full)
     * @param stop       strings that end generation (not emitted)
     * @param endIds     token ids that end generation (not emitted)
     */
    public record Options(SamplingConfig sampling, int numPredict, List<String> stop, int[] endIds) {}

    /** What happened: tokens, text, and Ollama-style counts and durations. */
    public record Result(int[] tokens, String text, DoneReason doneReason, int promptTokens, long promptNanos,
                         int evalTokens, long evalNanos) {
        public double promptTokensPerSecond() { return promptNanos == 0 ? 0 : promptTokens / (promptNanos / 1e9); }
        public double evalTokensPerSecond() { return evalNanos == 0 ? 0 : evalTokens / (evalNanos / 1e9); }
    }

    private final GemmaTokenizer tokenizer;

    public Generator(GemmaTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public Result generate(InferenceSession session, int[] prompt, Options options, Consumer<String> out, BooleanSupplier cancelled) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (session.position() + prompt.length > session.contextLength())
            throw new IllegalArgumentException("the prompt (" + prompt.length + " tokens) does not fit the context of "
                    + session.contextLength() + " tokens (" + session.position() + " already used); use a larger --ctx or a shorter prompt");
        Sampler sampler = new Sampler(options.sampling());
        sampler.acceptAll(prompt);
        long t0 = System.nanoTime();
        float[] logits = session.prefill(prompt);
        long promptNanos = System.nanoTime() - t0;

        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StringBuilder text = new StringBuilder();
        int emitted = 0;
        List<Integer> generated = new ArrayList<>();
        DoneReason reason = DoneReason.LENGTH;
        long t1 = System.nanoTime();
        while (true) {
            if (cancelled.getAsBoolean()) { reason = DoneReason.CANCELLED; break; }
            int token = sampler.sampleAndAccept(logits);
            if (contains(options.endIds(), token)) { reason = DoneReason.STOP; break; }
            generated.add(token);
            text.append(decoder.append(token));
            int stopAt = firstStop(text, options.stop());
            if (stopAt >= 0) {
                text.setLength(stopAt);
                reason = DoneReason.STOP;
                break;
            }
            int safe = text.length() - heldBack(text, options.stop());
            if (safe > emitted) { out.accept(text.substring(emitted, safe)); emitted = safe; }
            if (options.numPredict() >= 0 && generated.size() >= options.numPredict()) break;
            if (session.position() >= session.contextLength()) break;
            logits = session.decode(token);
        }
        if (reason != DoneReason.STOP) text.append(decoder.finish());
        if (text.length() > emitted) out.accept(text.substring(emitted));
        long evalNanos = System.nanoTime() - t1;
        return new Result(generated.stream().mapToInt(Integer::intValue).toArray(), text.toString(), reason, prompt.length,
                promptNanos, generated.size(), evalNanos);
    }

    private static boolean contains(int[] ids, int token) {
        for (int id : ids) if (id == token) return true;
        return false;
    }

    private static int firstStop(CharSequence text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            if (s.isEmpty()) continue;
            int i = text.toString().indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of some stop string. */
    private static int heldBack(CharSequence text, List<String> stops) {
        int hold = 0;
        for (String s : stops)
            for (int k = Math.min(s.length() - 1, text.length()); k > hold; k--)
                if (text.subSequence(text.length() - k, text.length()).toString().equals(s.substring(0, k))) { hold = k; break; }
        return hold;
    }
}
