package dev.rullama.gemma.sampling;

/**
 * How the next token is picked from logits. Each stage has an "off" value, and the defaults of
 * {@link #ollamaDefaults()} are Ollama's fallbacks for unset options (spec ollama-gguf §6).
 *
 * @param temperature      logits are divided by it; ≤ 0 means greedy (argmax)
 * @param topK             keep the k most likely tokens; ≤ 0 keeps all; 1 is greedy
 * @param topP             keep the smallest most-likely set whose probability reaches p; ≥ 1 keeps all
 * @param minP             drop tokens whose probability is below minP × the top probability; ≤ 0 keeps all
 * @param repeatPenalty    for tokens in the window: a positive logit is divided by it, a negative one multiplied
 *                         (llama.cpp's rule); 1 is off
 * @param presencePenalty  subtracted once from the logit of every token in the window; 0 is off
 * @param frequencyPenalty subtracted per occurrence in the window; 0 is off
 * @param penaltyWindow    how many of the most recent accepted tokens the penalties look at (Ollama's
 *                         {@code repeat_last_n}); 0 turns penalties off, -1 means every accepted token
 * @param seed             RNG seed; the same seed, config and logits give the same tokens. -1 picks a random seed
 */
public record SamplingConfig(float temperature, int topK, float topP, float minP, float repeatPenalty,
                             float presencePenalty, float frequencyPenalty, int penaltyWindow, long seed) {

    public static final long RANDOM_SEED = -1;

    public SamplingConfig {
        if (Float.isNaN(temperature) || Float.isNaN(topP) || Float.isNaN(minP) || Float.isNaN(repeatPenalty)
                || Float.isNaN(presencePenalty) || Float.isNaN(frequencyPenalty)) {
            throw new IllegalArgumentException("sampling parameters must not be NaN");
        }
        if (repeatPenalty <= 0) throw new IllegalArgumentException("repeat penalty must be positive (1 is off), got " + repeatPenalty);
        if (penaltyWindow < -1) throw new IllegalArgumentException("penalty window must be ≥ -1, got " + penaltyWindow);
    }

    /** Ollama's fallbacks: temperature 0.8, top_k 40, top_p 0.9, min_p 0, repeat_penalty 1.0, repeat_last_n 64. */
    public static SamplingConfig ollamaDefaults() {
        return new SamplingConfig(0.8f, 40, 0.9f, 0f, 1.0f, 0f, 0f, 64, RANDOM_SEED);
    }

    /** Always the most likely token. */
    public static SamplingConfig greedy() {
        return new SamplingConfig(0f, 0, 1f, 0f, 1f, 0f, 0f, 0, 0);
    }

    public boolean isGreedy() { return temperature <= 0 || topK == 1; }

    public boolean hasPenalties() {
        return penaltyWindow != 0 && (repeatPenalty != 1f || presencePenalty != 0f || frequencyPenalty != 0f);
    }

    public SamplingConfig withTemperature(float v) { return new SamplingConfig(v, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withTopK(int v) { return new SamplingConfig(temperature, v, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withTopP(float v) { return new SamplingConfig(temperature, topK, v, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withMinP(float v) { return new SamplingConfig(temperature, topK, topP, v, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withRepeatPenalty(float v) { return new SamplingConfig(temperature, topK, topP, minP, v, presencePenalty, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withPresencePenalty(float v) { return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, v, frequencyPenalty, penaltyWindow, seed); }

    public SamplingConfig withFrequencyPenalty(float v) { return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, presencePenalty, v, penaltyWindow, seed); }

    public SamplingConfig withPenaltyWindow(int v) { return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, v, seed); }

    public SamplingConfig withSeed(long v) { return new SamplingConfig(temperature, topK, topP, minP, repeatPenalty, presencePenalty, frequencyPenalty, penaltyWindow, v); }
}
