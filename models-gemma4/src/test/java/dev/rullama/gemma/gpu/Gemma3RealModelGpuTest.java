package dev.rullama.gemma.gpu;

import dev.rullama.api.Device;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.LlamaCppGreedy;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real Gemma 3 270M Q4_K_M blob on every GPU backend: the greedy output of the generation path (prefill, then one
 * decode step per token, argmax on the GPU so only the token id is read back) for llama.cpp's five prompts, 32 tokens
 * each, fed its own tokens, must be llama.cpp's on the same weights in float arithmetic ({@code greedy-f32.json}, see
 * {@code Gemma3RealModelTest}) token for token; and the first prompt's last logits within
 * {@link GpuLanguageModelTest#REL_L2} of the CPU reference. Also covers the windowed binding of the 262144-row token
 * table (larger than lavapipe's 128 MiB storage binding).
 */
class Gemma3RealModelGpuTest {
    @Test
    void greedyOutputIsLlamaCppsOnEveryBackend() throws Exception {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        assumeTrue(!devs.isEmpty(), "no GPU backend available");
        List<LlamaCppGreedy.Run> runs = LlamaCppGreedy.load(LlamaCppGreedy.F32).runs();
        List<String> failures = new ArrayList<>();
        try (GgufFile f = GgufFile.open(TestModels.gemma3_270m())) {
            GemmaConfig config = GemmaConfig.from(f);
            int[] first = runs.getFirst().promptIds();
            float[] refLast = ReferenceModel.load(f).newSession(first.length + 1).prefill(first);
            int context = runs.stream().mapToInt(r -> r.promptIds().length + r.greedyIds().length + 1).max().orElseThrow();
            for (Map.Entry<String, Device> e : devs.entrySet()) {
                long t0 = System.nanoTime();
                try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, e.getValue(), context)) {
                    GpuLanguageModel.Session check = gpu.newSession(context);
                    double err = GpuLanguageModelTest.relL2(check.prefill(first), refLast);
                    check.close();
                    if (err > GpuLanguageModelTest.REL_L2) failures.add(e.getKey() + ": last prompt logits rel L2 " + err + " from the reference");
                    int identical = 0;
                    for (LlamaCppGreedy.Run run : runs) {
                        GpuLanguageModel.Session g = gpu.newSession(context);
                        int[] ours = new int[run.greedyIds().length];
                        int next = g.prefillGreedy(run.promptIds());
                        for (int i = 0; i < ours.length; i++) {
                            ours[i] = next;
                            if (i + 1 < ours.length) next = g.decodeGreedy(next);
                        }
                        g.close();
                        if (Arrays.equals(ours, run.greedyIds())) identical++;
                        else failures.add(e.getKey() + " " + run.label() + ": ours " + Arrays.toString(ours) + ", llama.cpp " + Arrays.toString(run.greedyIds()));
                    }
                    System.out.printf("gemma3 270M on %s: %d/%d prompts' greedy output identical to llama.cpp's (F32 weights), first prompt logits rel L2 %.2e from the reference, %.1f s%n",
                            e.getKey(), identical, runs.size(), err, (System.nanoTime() - t0) / 1e9);
                }
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
