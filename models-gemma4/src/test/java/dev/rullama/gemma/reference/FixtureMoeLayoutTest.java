package dev.rullama.gemma.reference;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.gemma.TestModels;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The fixtures' 26B-A4B-like model in the current layout ({@code moe}: fused ffn_gate_up_exps, ffn_down_exps.scale)
 * and in Ollama's older one ({@code moe-legacy}: split ffn_gate_exps/ffn_up_exps, ffn_gate_inp.per_expert_scale),
 * quantized identically: the same bits of logits.
 */
class FixtureMoeLayoutTest {
    @Test
    void legacyAndFusedMoeLayoutsGiveIdenticalLogits() throws Exception {
        Path fused = TestModels.fixture("moe").resolve("model-q4_k_m.gguf");
        Path legacy = TestModels.fixture("moe-legacy").resolve("model-q4_k_m.gguf");
        for (Path p : new Path[] {fused, legacy}) {
            if (!Files.isRegularFile(p)) fail(p + " is missing; generate it with python3 " + TestModels.FIXTURE_GENERATOR);
        }
        int[][] seqs = new ObjectMapper().convertValue(
                new ObjectMapper().readTree(TestModels.fixture("moe").resolve("tokens.json").toFile()).get("sequences"), int[][].class);
        try (GgufFile a = GgufFile.open(fused); GgufFile b = GgufFile.open(legacy)) {
            assertTrue(b.findTensor("blk.0.ffn_gate_exps.weight").isPresent() && b.findTensor("blk.0.ffn_gate_inp.per_expert_scale").isPresent(),
                    "moe-legacy really uses the legacy names");
            assertTrue(a.findTensor("blk.0.ffn_gate_up_exps.weight").isPresent());
            ReferenceModel ma = ReferenceModel.load(a), mb = ReferenceModel.load(b);
            for (int[] seq : seqs) {
                float[][] la = ma.newSession(seq.length).forward(seq);
                float[][] lb = mb.newSession(seq.length).forward(seq);
                for (int t = 0; t < seq.length; t++) assertArrayEquals(la[t], lb[t], 0f, "position " + t);
            }
        }
    }
}
