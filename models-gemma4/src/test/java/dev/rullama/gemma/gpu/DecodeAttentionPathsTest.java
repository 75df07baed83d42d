package dev.rullama.gemma.gpu;

import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * In a context long enough for split-K decode attention (600 positions: 3 splits of the full layers' keys, plus a
 * combine), token-by-token decode past 256 keys gives the logits of the prefill path, which attends without splits,
 * at every position. Tolerance: {@link GpuLanguageModelTest#REL_L2}, the bound every decode-vs-prefill comparison uses
 * (f32 sums in another order).
 */
class DecodeAttentionPathsTest {
    @ParameterizedTest
    @ValueSource(strings = {"dawn", "wgpu"})
    void splitKDecodeInALongContextMatchesPrefill(String backend) throws Exception {
        int context = 600, before = 250, steps = 14;
        try (Device device = Backends.discover().select(backend).open(DeviceOptions.defaults());
             GgufFile f = GgufFile.open(TestModels.fixture("g31b").resolve("model-q4_k_m.gguf"))) {
            GemmaConfig c = GemmaConfig.from(f);
            int[] seq = new Random(5).ints(before + steps, 3, c.vocabSize()).toArray();
            seq[0] = 2;
            try (GpuLanguageModel m = GpuLanguageModel.load(f, c, device, context);
                 GpuLanguageModel.Session stepwise = m.newSession(context);
                 GpuLanguageModel.Session batched = m.newSession(context)) {
                float[][] want = batched.forwardAll(seq);
                stepwise.prefill(java.util.Arrays.copyOf(seq, before));
                double worst = 0;
                for (int i = before; i < seq.length; i++) {
                    float[] got = stepwise.decode(seq[i]);
                    double e = GpuLanguageModelTest.relL2(got, want[i]);
                    worst = Math.max(worst, e);
                    assertTrue(e <= GpuLanguageModelTest.REL_L2, backend + ": position " + i + " (" + (i + 1) + " keys): rel L2 " + e);
                }
                System.out.printf("[attention-paths] %s: decode at %d..%d keys vs prefill, max rel L2 %.2e%n", backend, before + 1, seq.length, worst);
            }
        }
    }
}
