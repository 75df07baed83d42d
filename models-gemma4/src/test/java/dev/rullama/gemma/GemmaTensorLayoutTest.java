package dev.rullama.gemma;

import com.sun.management.ThreadMXBean;
import dev.rullama.api.ModelFormatException;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import static dev.rullama.gemma.GemmaConfigTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Binding tensors by current and legacy names, and rejecting files whose tensors contradict their keys. */
class GemmaTensorLayoutTest {
    @TempDir
    Path dir;

    private ModelFormatException failure(SyntheticGemma s) throws Exception {
        Path f = s.write(dir.resolve("bad" + System.nanoTime() + ".gguf"));
        try (GgufFile g = GgufFile.open(f)) {
            return assertThrows(ModelFormatException.class, () -> GemmaConfig.from(g));
        }
    }

    private static SyntheticGemma moe() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSF";
        s.experts = 4;
        s.expertsUsed = 2;
        s.expertFfn = 16;
        s.kEqualsV = true;
        s.kvArray = true;
        return s;
    }

    @Test
    void legacyOllamaNamesBindTheSameWeights() throws Exception {
        SyntheticGemma current = moe();
        SyntheticGemma legacy = moe();
        legacy.legacyNames = true;
        legacy.legacyMoe = true;
        try (GgufFile a = GgufFile.open(current.write(dir.resolve("a.gguf")));
             GgufFile b = GgufFile.open(legacy.write(dir.resolve("b.gguf")))) {
            GemmaWeights wa = GemmaWeights.load(a);
            GemmaWeights wb = GemmaWeights.load(b);
            assertNotNull(b.findTensor("blk.0.attn_post_norm.weight").orElse(null), "the legacy file really uses legacy names");
            assertNotNull(b.findTensor("blk.0.ffn_gate_exps.weight").orElse(null));
            assertNotNull(b.findTensor("blk.0.ffn_gate_inp.per_expert_scale").orElse(null));
            assertNotNull(b.findTensor("blk.0.layer_scalar").orElse(null));
            for (int i = 0; i < 3; i++) {
                GemmaWeights.Layer la = wa.layer(i), lb = wb.layer(i);
                assertArrayEq(la.postAttentionNorm(), lb.postAttentionNorm());
                assertArrayEq(la.ffnNorm(), lb.ffnNorm());
                assertArrayEq(la.postFfwNorm(), lb.postFfwNorm());
                assertEquals(la.outputScale(), lb.outputScale());
                assertArrayEq(la.experts().perExpertScale(), lb.experts().perExpertScale());
                assertArrayEq(la.experts().preNorm2(), lb.experts().preNorm2());
                assertArrayEq(la.experts().postNorm1(), lb.experts().postNorm1());
                assertArrayEq(la.experts().postNorm2(), lb.experts().postNorm2());
                for (int e = 0; e < 4; e++) {
                    for (int r = 0; r < 16; r++) {
                        assertArrayEq(la.experts().experts().get(e).gate().row(r), lb.experts().experts().get(e).gate().row(r));
                        assertArrayEq(la.experts().experts().get(e).up().row(r), lb.experts().experts().get(e).up().row(r));
                    }
                }
                if (i == 2) assertNull(la.v(), "K=V: layer 2 (F) has no attn_v");
                else assertNotNull(la.v());
            }
        }
    }

    @Test
    void bothCurrentAndLegacyNameIsAnError() throws Exception {
        SyntheticGemma s = new SyntheticGemma();
        s.legacyNames = true;
        s.duplicatedTensors.put("blk.1.post_attention_norm.weight", "blk.1.attn_post_norm.weight");
        assertMessage(failure(s), "blk.1.post_attention_norm.weight", "blk.1.attn_post_norm.weight", "same weight");
        SyntheticGemma m = moe();
        m.duplicatedTensors.put("blk.0.ffn_gate_inp.per_expert_scale", "blk.0.ffn_down_exps.scale");
        assertMessage(failure(m), "blk.0.ffn_gate_inp.per_expert_scale", "same weight");
    }

    @Test
    void missingTensorIsNamedWithItsOlderNames() throws Exception {
        SyntheticGemma s = new SyntheticGemma();
        s.removedTensors.add("blk.1.post_ffw_norm.weight");
        assertMessage(failure(s), "missing tensor 'blk.1.post_ffw_norm.weight'", "blk.1.ffn_post_norm.weight");
        SyntheticGemma m = moe();
        m.removedTensors.add("blk.2.ffn_gate_up_exps.weight");
        assertMessage(failure(m), "blk.2.ffn_gate_up_exps.weight", "ffn_gate_exps");
        SyntheticGemma v = new SyntheticGemma();
        v.removedTensors.add("blk.0.attn_k.weight");
        assertMessage(failure(v), "missing tensor 'blk.0.attn_k.weight'", "head_count_kv");
    }

    @Test
    void tensorShapesThatContradictTheKeysAreNamed() throws Exception {
        SyntheticGemma q = new SyntheticGemma(); // layer 2 is F: 2 heads × 32
        q.shapeOverrides.put("blk.2.attn_q.weight", new long[] {32, 32});
        assertMessage(failure(q), "blk.2.attn_q.weight", "[32, 32]", "[32, 64]", "gemma4.attention.head_count=2",
                "gemma4.attention.key_length=32");
        SyntheticGemma k = new SyntheticGemma(); // a head_count_kv of 1 but a K projection for 2 heads
        k.shapeOverrides.put("blk.0.attn_k.weight", new long[] {32, 32});
        assertMessage(failure(k), "blk.0.attn_k.weight", "gemma4.attention.head_count_kv=1", "key_length_swa=16");
        SyntheticGemma e = new SyntheticGemma();
        e.shapeOverrides.put("token_embd.weight", new long[] {48, 64});
        assertMessage(failure(e), "token_embd.weight", "[48, 64]", "gemma4.embedding_length=32");
        SyntheticGemma f = new SyntheticGemma();
        f.shapeOverrides.put("blk.1.ffn_down.weight", new long[] {40, 32});
        assertMessage(failure(f), "blk.1.ffn_down.weight", "feed_forward_length[1]=48");
        SyntheticGemma x = moe();
        x.shapeOverrides.put("blk.0.ffn_down_exps.weight", new long[] {16, 32, 3});
        assertMessage(failure(x), "blk.0.ffn_down_exps.weight", "gemma4.expert_count=4");
        SyntheticGemma p = new SyntheticGemma();
        p.ple = 8;
        p.shapeOverrides.put("per_layer_token_embd.weight", new long[] {16, 64});
        assertMessage(failure(p), "per_layer_token_embd.weight", "[24, 64]", "embedding_length_per_layer_input=8");
        SyntheticGemma r = new SyntheticGemma();
        r.shapeOverrides.put("rope_freqs.weight", new long[] {8});
        assertMessage(failure(r), "rope_freqs.weight", "[16]");
    }

    /**
     * A contradiction in the last layer of a model whose norms alone are tens of MB is reported before anything sized
     * by the model is allocated: loading the broken file allocates (on this thread) less than a twentieth of what
     * loading its valid twin does. Measured with the JVM's per-thread allocation counter.
     */
    @Test
    void contradictionIsDetectedBeforeAnyAllocation() throws Exception {
        SyntheticGemma valid = wide();
        SyntheticGemma broken = wide();
        int last = broken.layerCount() - 1;
        broken.shapeOverrides.put("blk." + last + ".attn_output.weight", new long[] {32, broken.d});
        try (GgufFile ok = GgufFile.open(valid.write(dir.resolve("ok.gguf")));
             GgufFile bad = GgufFile.open(broken.write(dir.resolve("bad.gguf")))) {
            ReferenceModel.load(ok); // warm up classes so class loading is not counted below
            assertThrows(ModelFormatException.class, () -> ReferenceModel.load(bad));

            long before = allocated();
            ReferenceModel.load(ok).newSession(16);
            long validBytes = allocated() - before;

            before = allocated();
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> ReferenceModel.load(bad));
            long brokenBytes = allocated() - before;

            assertMessage(e, "blk." + last + ".attn_output.weight");
            assertTrue(validBytes > 8L << 20, "the valid model allocates its norms (12 MiB): " + validBytes);
            assertTrue(brokenBytes * 20 < validBytes, "broken: " + brokenBytes + " bytes, valid: " + validBytes);
        }
    }

    /** 12 layers of width 65536: each norm vector is 256 KiB, 12 MiB of decoded norms in all. */
    private static SyntheticGemma wide() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSSF".repeat(2);
        s.d = 65536;
        s.ff = 32;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }

    private static long allocated() {
        return ((ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void visionAndAudioTensorsAreInvisible() throws Exception {
        SyntheticGemma s = new SyntheticGemma();
        s.multimodalTensors = true;
        try (GgufFile g = GgufFile.open(s.write(dir.resolve("mm.gguf")))) {
            GemmaTensorLayout t = GemmaTensorLayout.resolve(g, GemmaConfig.from(g));
            assertEquals("blk.0.attn_q.weight", t.layer(0).attnQ().name());
            assertTrue(g.findTensor("v.blk.0.attn_q.weight").isPresent());
        }
    }

    @Test
    void sharedLayersMayCarryUnusedKv() throws Exception {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SFSF";
        s.sharedKv = 2;
        s.sharedLayersCarryKv = true;
        try (GgufFile g = GgufFile.open(s.write(dir.resolve("sh.gguf")))) {
            GemmaWeights w = GemmaWeights.load(g);
            assertNull(w.layer(2).k(), "shared layer's own K is not bound");
            assertNull(w.layer(3).v());
            assertNotNull(w.layer(1).k());
        }
    }

    @Test
    void tiedHeadIsTheEmbedding() throws Exception {
        try (GgufFile g = GgufFile.open(new SyntheticGemma().write(dir.resolve("t.gguf")))) {
            GemmaWeights w = GemmaWeights.load(g);
            assertSame(w.tokenEmbedding(), w.lmHead());
        }
    }

    private static void assertArrayEq(float[] a, float[] b) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }
}
