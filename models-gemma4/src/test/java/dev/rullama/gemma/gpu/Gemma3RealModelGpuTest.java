package dev.rullama.gemma.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.Device;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.reference.Session;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real Gemma 3 270M Q4_K_M blob: GPU greedy (argmax on the GPU) equals the CPU reference's greedy for a prompt of
 * about 8 tokens and 8 generated tokens, on every backend; the prompt's last logits within {@link GpuLanguageModelTest#REL_L2}.
 * Also covers the windowed binding of the 262144-row token table (larger than lavapipe's 128 MiB storage binding).
 */
class Gemma3RealModelGpuTest {
    static final int STEPS = 8;

    @Test
    void greedyMatchesReference() throws Exception {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        assumeTrue(!devs.isEmpty(), "no GPU backend available");
        JsonNode runs = new ObjectMapper().readTree(TestModels.fixtures().resolve("gemma3-270m").resolve("greedy.json").toFile()).get("runs");
        int[] prompt = null;
        for (JsonNode r : runs) {
            int[] ids = new ObjectMapper().convertValue(r.get("prompt_ids"), int[].class);
            if (prompt == null || Math.abs(ids.length - 8) < Math.abs(prompt.length - 8)) prompt = ids;
        }
        try (GgufFile f = GgufFile.open(TestModels.gemma3_270m())) {
            GemmaConfig config = GemmaConfig.from(f);
            ReferenceModel ref = ReferenceModel.load(f);
            Session s = ref.newSession(prompt.length + STEPS + 1);
            float[] refLast = s.prefill(prompt);
            float[] z = refLast;
            int[] want = new int[STEPS];
            for (int i = 0; i < STEPS; i++) {
                want[i] = GpuLanguageModelTest.argmax(z);
                if (i + 1 < STEPS) z = s.decode(want[i]);
            }
            for (Map.Entry<String, Device> e : devs.entrySet()) {
                long t0 = System.nanoTime();
                try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, e.getValue(), 64)) {
                    GpuLanguageModel.Session check = gpu.newSession(64);
                    float[] last = check.prefill(prompt);
                    double err = GpuLanguageModelTest.relL2(last, refLast);
                    check.close();
                    GpuLanguageModel.Session g = gpu.newSession(64);
                    int[] ours = new int[STEPS];
                    int next = g.prefillGreedy(prompt);
                    for (int i = 0; i < STEPS; i++) {
                        ours[i] = next;
                        if (i + 1 < STEPS) next = g.decodeGreedy(next);
                    }
                    int dispatches = g.lastDispatchCount();
                    g.close();
                    System.out.printf("gemma3 270M on %s: prompt %s, greedy %s (reference %s), last-prompt logits rel L2 %.2e, %d dispatches per decode step, %.1f s%n",
                            e.getKey(), Arrays.toString(prompt), Arrays.toString(ours), Arrays.toString(want), err, dispatches,
                            (System.nanoTime() - t0) / 1e9);
                    assertTrue(err <= GpuLanguageModelTest.REL_L2, e.getKey() + ": prompt logits rel L2 " + err);
                    assertArrayEquals(want, ours, e.getKey() + ": greedy tokens");
                }
            }
        }
    }
}
