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

    /**
     * Restricts which token may come next, e.g. so that the output stays valid JSON (the server's
     * {@code format: "json"}). Not thread-safe: one per generation.
     */
    public interface TokenConstraint {
        /** Whether {@code token} may come next; end-of-generation ids are asked too. */
        boolean allows(int token);

        /** {@code token} was chosen (never called for an end-of-generation id). */
        void accept(int token);
    }

    /** Sampled tokens a constraint may reject before the whole vocabulary is masked at once. */
    private static final int CONSTRAINT_TRIES = 8;

    private final GemmaTokenizer tokenizer;

    public Generator(GemmaTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public Result generate(InferenceSession session, int[] prompt, Options options, Consumer<String> out, BooleanSupplier cancelled) {
        return generate(session, prompt, options, null, out, cancelled);
    }

    /** As {@link #generate(InferenceSession, int[], Options, Consumer, BooleanSupplier)}, sampling only tokens {@code constraint} allows (null: any). */
    public Result generate(InferenceSession session, int[] prompt, Options options, TokenConstraint constraint, Consumer<String> out,
                           BooleanSupplier cancelled) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt is empty");
        if (session.position() + prompt.length > session.contextLength())
            throw new IllegalArgumentException("the prompt (" + prompt.length + " tokens) does not fit the context of "
                    + session.contextLength() + " tokens (" + session.position() + " already used); use a larger --ctx or a shorter prompt");
        Sampler sampler = new Sampler(options.sampling());
        sampler.acceptAll(prompt);
        long t0 = System.nanoTime();
        // on the device when it can: only the token id comes back each step
        DeviceSampling device = constraint == null && session instanceof DeviceSampling d && d.samplesOnDevice(options.sampling()) ? d : null;
        int draw = 0;
        int deviceToken = device != null ? device.prefillSample(prompt, options.sampling(), draw++) : -1;
        float[] logits = device != null ? null : session.prefill(prompt);
        long promptNanos = System.nanoTime() - t0;

        StreamingDecoder decoder = tokenizer.streamingDecoder();
        StringBuilder text = new StringBuilder();
        int emitted = 0;
        List<Integer> generated = new ArrayList<>();
        DoneReason reason = DoneReason.LENGTH;
        long t1 = System.nanoTime();
        while (true) {
            if (cancelled.getAsBoolean()) { reason = DoneReason.CANCELLED; break; }
            int token = device != null ? deviceToken
                    : constraint == null ? sampler.sampleAndAccept(logits) : sampleAllowed(sampler, logits, constraint);
            if (contains(options.endIds(), token)) { reason = DoneReason.STOP; break; }
            if (constraint != null) constraint.accept(token);
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
            if (device != null) deviceToken = device.decodeSample(token, options.sampling(), draw++);
            else logits = session.decode(token);
        }
        if (reason != DoneReason.STOP) text.append(decoder.finish());
        if (text.length() > emitted) out.accept(text.substring(emitted));
        long evalNanos = System.nanoTime() - t1;
        return new Result(generated.stream().mapToInt(Integer::intValue).toArray(), text.toString(), reason, prompt.length,
                promptNanos, generated.size(), evalNanos);
    }

    /**
     * Samples from the logits restricted to what {@code constraint} allows: a rejected draw is masked and drawn again,
     * which is the restricted distribution; after a few rejections every disallowed token is masked at once.
     */
    private static int sampleAllowed(Sampler sampler, float[] logits, TokenConstraint constraint) {
        float[] l = logits;
        for (int attempt = 0; attempt < CONSTRAINT_TRIES; attempt++) {
            int t = sampler.sample(l);
            if (constraint.allows(t)) { sampler.accept(t); return t; }
            if (l == logits) l = logits.clone();
            l[t] = Float.NEGATIVE_INFINITY;
        }
        if (l == logits) l = logits.clone();
        for (int t = 0; t < l.length; t++) if (l[t] != Float.NEGATIVE_INFINITY && !constraint.allows(t)) l[t] = Float.NEGATIVE_INFINITY;
        int t = sampler.sample(l); // fails when the constraint allows nothing
        sampler.accept(t);
        return t;
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
