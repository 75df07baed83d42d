package dev.rullama.gemma.gpu;

import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.runtime.Generator;
import dev.rullama.gemma.runtime.InferenceSession;
import dev.rullama.gemma.sampling.SamplingConfig;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgufFile;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sampling on the GPU through {@link Generator} (only the token id comes back): greedy gives the tokens of the CPU
 * sampler on the same model's logits; stochastic sampling is reproducible for a seed and every token it picks is one
 * the CPU sampler could pick (among the top-k of that step's logits, computed in a lockstep session).
 */
class DeviceSamplingTest {
    private static final int[] PROMPT = {2, 10, 11, 40, 7};
    private static final int STEPS = 12;

    /** The same session with the device sampling hidden: Generator then samples on the CPU from the logits. */
    private record CpuOnly(InferenceSession s) implements InferenceSession {
        public int position() { return s.position(); }
        public int contextLength() { return s.contextLength(); }
        public float[] prefill(int[] tokens) { return s.prefill(tokens); }
        public float[] decode(int token) { return s.decode(token); }
        public float[][] forwardAll(int[] tokens) { return s.forwardAll(tokens); }
    }

    private static int[] generate(GpuLanguageModel m, GemmaTokenizer tok, SamplingConfig c, boolean cpu) {
        try (GpuLanguageModel.Session s = m.newSession(64)) {
            Generator.Options o = new Generator.Options(c, STEPS, List.of(), new int[0]);
            return new Generator(tok).generate(cpu ? new CpuOnly(s) : s, PROMPT, o, x -> {}, () -> false).tokens();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"dawn", "wgpu"})
    void greedyAndSampledOnTheGpu(String backend) throws Exception {
        try (Device device = Backends.discover().select(backend).open(DeviceOptions.defaults());
             GgufFile f = GgufFile.open(TestModels.fixture("e2b").resolve("model-q4_k_m.gguf"))) {
            GemmaConfig c = GemmaConfig.from(f);
            GemmaTokenizer tok = GemmaTokenizer.fromGguf(f);
            try (GpuLanguageModel m = GpuLanguageModel.load(f, c, device, 64)) {
                int[] gpu = generate(m, tok, SamplingConfig.greedy(), false), cpu = generate(m, tok, SamplingConfig.greedy(), true);
                System.out.println("[device-sampling] " + backend + " greedy gpu " + Arrays.toString(gpu) + " cpu " + Arrays.toString(cpu));
                assertArrayEquals(cpu, gpu, "greedy: the GPU argmax picks the CPU sampler's tokens");

                SamplingConfig hot = SamplingConfig.greedy().withTemperature(1.5f).withTopK(8).withTopP(0.95f).withSeed(11);
                int[] a = generate(m, tok, hot, false), b = generate(m, tok, hot, false);
                System.out.println("[device-sampling] " + backend + " sampled " + Arrays.toString(a));
                assertArrayEquals(a, b, "the same seed draws the same tokens");
                // every sampled token is among the top-k of that step's logits (a lockstep session gives them)
                try (GpuLanguageModel.Session s = m.newSession(64)) {
                    float[] logits = s.prefill(PROMPT);
                    for (int i = 0; i < a.length; i++) {
                        int[] top = dev.rullama.shaders.ops.TopKSampler.topK(logits, hot.topK());
                        int t = a[i];
                        assertTrue(Arrays.stream(top).anyMatch(x -> x == t), "step " + i + ": token " + t + " is not in the top-" + hot.topK() + " " + Arrays.toString(top));
                        logits = s.decode(t);
                    }
                }
                GpuLanguageModel.Session s = m.newSession(8);
                assertFalse(s.samplesOnDevice(new SamplingConfig(1.5f, 8, 0.95f, 0f, 1.1f, 0f, 0f, 64, 11)), "penalties need the CPU sampler");
                assertFalse(s.samplesOnDevice(hot.withTopK(0)), "an unbounded top-k needs the CPU sampler");
                assertTrue(s.samplesOnDevice(hot) && s.samplesOnDevice(SamplingConfig.greedy()));
                s.close();
            }
        }
    }
}
