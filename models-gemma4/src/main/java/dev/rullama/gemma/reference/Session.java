package dev.rullama.gemma.reference;

import java.util.Arrays;

/**
 * One conversation on a {@link ReferenceModel}: its KV cache and the next position. {@link #forward} appends any
 * number of tokens (split into chunks of at most {@code chunk}); {@link #decode} is the same step with one token, so a
 * prompt prefilled in one call and the same prompt fed token by token produce the same logits.
 *
 * <p>Not thread-safe: one caller at a time.
 */
public final class Session {
    private final ReferenceModel model;
    private final KvCache cache;
    private final int contextLength;
    private final int chunk;
    private int position;

    Session(ReferenceModel model, KvCache cache, int contextLength, int chunk) {
        this.model = model;
        this.cache = cache;
        this.contextLength = contextLength;
        this.chunk = chunk;
    }

    /** Tokens processed so far (the position the next token gets). */
    public int position() { return position; }

    public int contextLength() { return contextLength; }

    /** Appends {@code tokens} and returns the logits at each of their positions, {@code [tokens.length][vocab]}. */
    public float[][] forward(int[] tokens) {
        float[][] out = new float[tokens.length][];
        run(tokens, out);
        return out;
    }

    /** Appends {@code tokens} and returns only the last position's logits (skips the LM head elsewhere). */
    public float[] prefill(int[] tokens) {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens");
        return run(tokens, null);
    }

    /** Appends one token and returns the logits for the next. */
    public float[] decode(int token) {
        return forward(new int[] {token})[0];
    }

    /** Final-normed hidden states of {@code tokens} (the LM head's input); appends like {@link #forward}. */
    public float[][] hiddenStates(int[] tokens) {
        float[][] out = new float[tokens.length][];
        for (int from = 0; from < tokens.length; from += chunk) {
            int[] part = slice(tokens, from);
            float[][] h = model.hiddenStates(cache, part, position);
            position += part.length;
            System.arraycopy(h, 0, out, from, h.length);
        }
        return out;
    }

    private float[] run(int[] tokens, float[][] all) {
        float[] last = null;
        for (int from = 0; from < tokens.length; from += chunk) {
            int[] part = slice(tokens, from);
            float[][] h = model.hiddenStates(cache, part, position);
            position += part.length;
            if (all != null) {
                float[][] z = model.logits(h);
                System.arraycopy(z, 0, all, from, z.length);
                last = z[z.length - 1];
            } else if (from + part.length == tokens.length) {
                last = model.logits(new float[][] {h[h.length - 1]})[0];
            }
        }
        return last;
    }

    private int[] slice(int[] tokens, int from) {
        int[] part = Arrays.copyOfRange(tokens, from, Math.min(tokens.length, from + chunk));
        for (int t : part) model.checkToken(t);
        if (position + part.length > contextLength) {
            throw new IllegalStateException("context of " + contextLength + " positions is full (at " + position
                    + ", " + part.length + " more tokens)");
        }
        return part;
    }
}
