package dev.rullama.cli;

import dev.rullama.gemma.chat.GenerationDefaults;
import dev.rullama.gemma.sampling.SamplingConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Engine options plus sampling: what {@code run} takes. Unset values come from the model's params layer. */
final class GenerationOptions {
    @Mixin
    EngineOptions engine;

    @Option(names = "--temperature", description = "Sampling temperature; 0 is greedy (default: the model's params layer).")
    Float temperature;

    @Option(names = "--top-k", description = "Keep the K most likely tokens (default: the model's params layer).")
    Integer topK;

    @Option(names = "--top-p", description = "Keep the smallest set of tokens whose probability reaches P.")
    Float topP;

    @Option(names = "--min-p", description = "Drop tokens below MIN_P times the best token's probability.")
    Float minP;

    @Option(names = "--repeat-penalty", description = "Penalty for tokens in the last 64 (default 1.0: none).")
    Float repeatPenalty;

    @Option(names = "--seed", description = "Seed for reproducible sampling.")
    Long seed;

    @Option(names = {"-n", "--num-predict"}, paramLabel = "N", description = "Most tokens to generate (default: until the model stops).")
    Integer numPredict;

    SamplingConfig sampling(GenerationDefaults defaults) {
        SamplingConfig s = defaults.sampling();
        if (temperature != null) s = s.withTemperature(temperature);
        if (topK != null) s = s.withTopK(topK);
        if (topP != null) s = s.withTopP(topP);
        if (minP != null) s = s.withMinP(minP);
        if (repeatPenalty != null) s = s.withRepeatPenalty(repeatPenalty);
        if (seed != null) s = s.withSeed(seed);
        return s;
    }
}
