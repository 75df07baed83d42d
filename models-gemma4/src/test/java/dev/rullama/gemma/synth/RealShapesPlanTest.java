package dev.rullama.gemma.synth;

import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaTensorLayout;
import dev.rullama.gemma.LayerConfig;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The full-size plans of every real shape, without writing GBs: the plan's names, shapes and types against the rules
 * written out independently here, its byte size against an expected range, and the header-only (sparse) file read
 * back by rullama's own loader: {@link GemmaConfig} must find exactly the shapes asked for, and every tensor must
 * have the planned type.
 */
class RealShapesPlanTest {
    static List<RealShapes> all() { return RealShapes.ALL; }

    /**
     * Expected tensor-data sizes in GB. Independent estimate: Q4_K is 4.5 bits a weight, Q6_K 6.5625, BF16 16; so e.g.
     * E2B is ≈ 4.70 GB of BF16 per-layer embeddings + 0.33 GB Q6_K token embeddings + ≈ 1.9e9 layer weights at ~4.8
     * bits ≈ 1.1 GB, and E4B ≈ 5.64 + 0.55 + 3.9e9 weights ≈ 2.35 GB. The ranges allow about ±10% around such sums; a
     * wrong width, a missing layer or a wrong type falls out. (Ollama's downloads are larger by their vision and audio
     * tensors: 7.2, 9.6, 18 and 20 GB for e2b, e4b, 26b, 31b.)
     */
    static final Map<String, double[]> EXPECTED_GB = Map.of(
            "e2b", new double[] {5.5, 6.6},
            "e4b", new double[] {7.7, 9.4},
            "12b", new double[] {6.3, 7.8},
            "26b", new double[] {15.0, 18.5},
            "31b", new double[] {16.5, 20.5});

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void planHasTheRealNamesShapesAndQ4KMTypes(RealShapes s) {
        SyntheticModel m = SyntheticModel.plan(s, 1);
        System.out.print(m.summary());
        Map<String, SyntheticModel.Tensor> byName = new HashMap<>();
        for (SyntheticModel.Tensor t : m.tensors()) assertTrue(byName.put(t.name(), t) == null, "duplicate " + t.name());

        int d = s.embedding(), n = s.layers();
        check(byName, "token_embd.weight", GgmlType.Q6_K, d, 262144);
        check(byName, "output_norm.weight", GgmlType.F32, d);
        check(byName, "rope_freqs.weight", GgmlType.F32, 256);
        assertFalse(byName.containsKey("output.weight"), "tied embeddings");
        int perLayer = 0;
        int attnV = 0;
        for (int i = 0; i < n; i++) attnV += byName.containsKey("blk." + i + ".attn_v.weight") ? 1 : 0;
        int vIndex = 0;
        for (int i = 0; i < n; i++) {
            String b = "blk." + i + ".";
            boolean sliding = s.pattern().charAt(i) == 'S';
            int hd = sliding ? 256 : 512;
            int kv = sliding ? s.kvHeadsSliding() : s.kvHeadsFull();
            check(byName, b + "attn_q.weight", GgmlType.Q4_K, d, (long) s.heads() * hd);
            check(byName, b + "attn_output.weight", GgmlType.Q4_K, (long) s.heads() * hd, d);
            check(byName, b + "attn_q_norm.weight", GgmlType.F32, hd);
            for (String norm : List.of("attn_norm", "post_attention_norm", "ffn_norm", "post_ffw_norm")) check(byName, b + norm + ".weight", GgmlType.F32, d);
            int ff = s.ffn() * (s.doubleWideShared() && i >= n - s.sharedKvLayers() ? 2 : 1);
            check(byName, b + "ffn_gate.weight", GgmlType.Q4_K, d, ff);
            check(byName, b + "ffn_up.weight", GgmlType.Q4_K, d, ff);
            boolean more = i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
            GgmlType down = ff % 256 == 0 ? (more ? GgmlType.Q6_K : GgmlType.Q4_K) : (more ? GgmlType.Q8_0 : GgmlType.Q5_0);
            check(byName, b + "ffn_down.weight", down, ff, d);
            // attn_k on every layer of the E models (Ollama's blobs keep it on shared layers), on owning layers elsewhere
            check(byName, b + "attn_k.weight", GgmlType.Q4_K, d, (long) kv * hd);
            check(byName, b + "attn_k_norm.weight", GgmlType.F32, hd);
            boolean hasV = sliding || !s.kEqualsV();
            if (hasV) {
                boolean vMore = vIndex < attnV / 8 || vIndex >= 7 * attnV / 8 || (vIndex - attnV / 8) % 3 == 2;
                check(byName, b + "attn_v.weight", vMore ? GgmlType.Q6_K : GgmlType.Q4_K, d, (long) kv * hd);
                vIndex++;
            } else {
                assertFalse(byName.containsKey(b + "attn_v.weight"), b + "attn_v on a K=V layer");
            }
            perLayer += 12 + (hasV ? 1 : 0) + (s.layerOutputScale() ? 1 : 0);
            if (s.layerOutputScale()) check(byName, b + "layer_output_scale.weight", GgmlType.F32, 1);
            if (s.perLayerInput() > 0) {
                check(byName, b + "inp_gate.weight", GgmlType.Q4_K, d, 256);
                check(byName, b + "proj.weight", GgmlType.Q4_K, 256, d);
                check(byName, b + "post_norm.weight", GgmlType.F32, d);
                perLayer += 3;
            }
            if (s.moe()) {
                check(byName, b + "ffn_gate_inp.weight", GgmlType.F32, d, 128);
                check(byName, b + "ffn_gate_inp.scale", GgmlType.F32, d);
                check(byName, b + "ffn_gate_up_exps.weight", GgmlType.Q4_K, d, 1408, 128);
                check(byName, b + "ffn_down_exps.weight", more ? GgmlType.Q8_0 : GgmlType.Q5_0, 704, d, 128);
                check(byName, b + "ffn_down_exps.scale", GgmlType.F32, 128);
                for (String norm : List.of("pre_ffw_norm_2", "post_ffw_norm_1", "post_ffw_norm_2")) check(byName, b + norm + ".weight", GgmlType.F32, d);
                perLayer += 8;
            }
        }
        assertEquals(vIndex, attnV);
        int global = 3;
        if (s.perLayerInput() > 0) {
            check(byName, "per_layer_token_embd.weight", GgmlType.BF16, (long) n * 256, 262144);
            check(byName, "per_layer_model_proj.weight", GgmlType.Q4_K, d, (long) n * 256);
            check(byName, "per_layer_proj_norm.weight", GgmlType.F32, 256);
            global += 3;
        }
        assertEquals(global + perLayer, m.tensors().size(), "no tensor beyond the ones checked");
        double gb = m.tensorBytes() / 1e9;
        double[] range = EXPECTED_GB.get(s.kind());
        assertTrue(gb >= range[0] && gb <= range[1], s.kind() + ": " + gb + " GB outside " + Arrays.toString(range));
    }

    private static void check(Map<String, SyntheticModel.Tensor> byName, String name, GgmlType type, long... shape) {
        SyntheticModel.Tensor t = byName.get(name);
        assertTrue(t != null, "missing " + name);
        assertArrayEquals(shape, t.shape(), name + " shape");
        assertEquals(type, t.type(), name + " type");
        assertEquals(type.byteSize(Arrays.stream(shape).reduce(1, Math::multiplyExact)), t.bytes(), name + " bytes");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("all")
    void rullamaReadsTheFullSizeHeaderAsTheRealShape(RealShapes s) throws Exception {
        SyntheticModel m = SyntheticModel.plan(s, 1);
        Path f = SynthTestFiles.sparse(s);
        try (GgufFile g = GgufFile.open(f)) {
            GemmaConfig c = GemmaConfig.from(g);
            assertEquals(s.layers(), c.blockCount());
            assertEquals(s.embedding(), c.embeddingLength());
            assertEquals(262144, c.vocabSize());
            assertEquals(s.contextLength(), c.contextLength());
            assertEquals(s.sharedKvLayers(), c.sharedKvLayers());
            assertEquals(s.perLayerInput(), c.perLayerInputLength());
            assertEquals(s.experts(), c.expertCount());
            assertEquals(s.expertsUsed(), c.expertUsedCount());
            assertEquals(s.expertFfn(), c.expertFeedForwardLength());
            assertEquals(30f, c.finalLogitSoftcap());
            for (LayerConfig l : c.layers()) {
                int i = l.index();
                assertEquals(s.sliding(i), l.sliding(), "layer " + i);
                assertEquals(s.sliding(i) ? s.slidingWindow() : 0, l.window());
                assertEquals(s.heads(), l.headCount());
                assertEquals(s.kvHeads(i), l.kvHeads(), "layer " + i + " kv heads");
                assertEquals(s.headDim(i), l.headDim());
                assertEquals(s.ffn(i), l.ffnWidth(), "layer " + i + " ffn");
                assertEquals(s.ownsKv(i), l.ownsKv());
                assertEquals(s.kEqualsV() && !s.sliding(i) && s.ownsKv(i), l.kEqualsV(), "layer " + i + " K=V");
                assertEquals(s.moe(), l.moe());
            }
            GemmaTensorLayout layout = GemmaTensorLayout.resolve(g, c);
            assertNull(layout.output());
            Map<String, GgmlType> planned = new HashMap<>();
            m.tensors().forEach(t -> planned.put(t.name(), t.type()));
            assertEquals(planned.size(), g.tensors().size());
            for (GgufTensor t : g.tensors()) assertEquals(planned.get(t.name()), t.type(), t.name());
            assertEquals(SyntheticModel.FILE_TYPE_Q4_K_M, g.metadata().findLong("general.file_type").orElseThrow());

            GemmaTokenizer tok = GemmaTokenizer.fromGguf(g);
            assertEquals(262144, tok.vocabularySize());
            assertEquals(2, tok.bosId());
            assertEquals(1, tok.eosId());
            assertEquals(105, tok.requireTokenId("<|turn>"));
            assertEquals(106, tok.requireTokenId("<turn|>"));
            assertEquals(107, tok.requireTokenId("\n"));
            assertEquals(238 + 'A', tok.requireTokenId("<0x41>"));
            String text = "<|turn>user\nHello, wörld 42!<turn|>\n";
            int[] ids = tok.encode(text, true);
            assertEquals(text, tok.decode(ids), "round trip through merges and byte fallback");
            assertEquals(105, ids[0]);
        }
    }

    @Test
    void reducedKeepsWidthsAndSharesKvOnlyWithDonorsOfBothTypes() {
        RealShapes r = RealShapes.E2B.reduced(6, 1024);
        assertEquals("SSSSFF", r.pattern());
        assertEquals(1, r.sharedKvLayers());
        assertEquals(12288, r.ffn(5));
        assertEquals(6144, r.ffn(4));
        assertEquals("e2b-6l-v1024", r.kind());
        assertEquals(0, RealShapes.E2B.reduced(2, 1024).sharedKvLayers(), "no full layer to donate before the last");
        assertEquals("SF", RealShapes.E2B.reduced(2, 1024).pattern());
        assertEquals(RealShapes.B31B, RealShapes.B31B.reduced(60, 262144));
        assertThrows(IllegalArgumentException.class, () -> RealShapes.E2B.reduced(36, 1024));
        assertThrows(IllegalArgumentException.class, () -> RealShapes.E2B.reduced(2, 100));
        assertEquals(RealShapes.A26B, RealShapes.byName("gemma4:26B-A4B").orElseThrow());
        assertTrue(RealShapes.byName("70b").isEmpty());
    }

    @Test
    void moreBitsLayersAreLlamaCppsRule() {
        // n = 30 (26B): i < 3, i >= 26, and 5, 8, ..., 23
        Set<Integer> want = new HashSet<>(List.of(0, 1, 2, 5, 8, 11, 14, 17, 20, 23, 26, 27, 28, 29));
        for (int i = 0; i < 30; i++) assertEquals(want.contains(i), QuantMix.moreBits(i, 30), "layer " + i);
    }
}
