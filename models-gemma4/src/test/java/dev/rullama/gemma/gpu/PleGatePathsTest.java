package dev.rullama.gemma.gpu;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.Device;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The per-layer-input gate in decode (spec §3.3): the gated product (one dispatch, written over the layer's slice of
 * the per-layer inputs) against the split path ({@value ForwardPass#SPLIT_PLE_GATE_PROPERTY}: product, then GeGLU) and
 * the CPU reference, on every backend, on the E2B-like fixture. Tolerance {@link GpuLanguageModelTest#REL_L2} (the
 * paths differ only in where GELU's product is rounded).
 */
class PleGatePathsTest {
    @Test
    void gatedProductEqualsSplitPathAndReference() throws Exception {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        assumeTrue(!devs.isEmpty(), "no GPU backend available");
        String model = "e2b/model-q4_k_m.gguf";
        Path file = TestModels.fixtures().resolve(model);
        int[] seq = new ObjectMapper().convertValue(new ObjectMapper().readTree(TestModels.fixture("e2b").resolve("tokens.json").toFile())
                .get("sequences").get(0), int[].class);
        try (GgufFile f = GgufFile.open(file)) {
            GemmaConfig config = GemmaConfig.from(f);
            float[][] want = GpuLanguageModelTest.reference(model, ReferenceModel.load(f), seq);
            for (Map.Entry<String, Device> d : devs.entrySet()) {
                float[][] fused = new float[seq.length][], split = new float[seq.length][];
                int fusedDispatches, splitDispatches;
                try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, d.getValue(), 64)) {
                    try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                        for (int i = 0; i < seq.length; i++) fused[i] = s.decode(seq[i]);
                        fusedDispatches = s.lastDispatchCount();
                    }
                    System.setProperty(ForwardPass.SPLIT_PLE_GATE_PROPERTY, "true");
                    try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                        for (int i = 0; i < seq.length; i++) split[i] = s.decode(seq[i]);
                        splitDispatches = s.lastDispatchCount();
                    } finally {
                        System.clearProperty(ForwardPass.SPLIT_PLE_GATE_PROPERTY);
                    }
                }
                String what = d.getKey() + " " + model;
                assertTrue(config.hasPerLayerInputs(), what + ": a model with per-layer inputs");
                assertEquals(config.blockCount(), splitDispatches - fusedDispatches, what + ": one dispatch fewer per layer");
                GpuLanguageModelTest.compare(what + " gated PLE decode vs split", fused, split, GpuLanguageModelTest.REL_L2);
                GpuLanguageModelTest.compare(what + " gated PLE decode vs reference", fused, want, GpuLanguageModelTest.REL_L2);
            }
        }
    }
}
