package dev.rullama.shaders.ops;

/**
 * The small storage tensor of per-step values that position-dependent kernels read instead of a uniform, so that one
 * bind group serves every decode step and the host rewrites a few bytes per token (or a GPU kernel advances them):
 * word {@link #POSITION} is the position of the batch's first token (RoPE, KV write, attention), word
 * {@link #COUNTER} the sampler's RNG counter. Bind it whole; it is 4 words so that it can also be a uniform later.
 */
public final class StepWords {
    public static final int POSITION = 0;
    public static final int COUNTER = 1;
    public static final int WORDS = 4;

    private StepWords() {}

    public static int[] of(int position, int counter) {
        return new int[]{position, counter, 0, 0};
    }

    public static int[] of(int position) {
        return of(position, 0);
    }
}
