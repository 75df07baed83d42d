package dev.rullama.gemma.synth;

import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.gpu.GpuLanguageModel;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.tokenizer.GemmaTokenizer;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.ollama.LayerKind;
import dev.rullama.ollama.Manifest;
import dev.rullama.ollama.ModelConfig;
import dev.rullama.ollama.OllamaStore;
import dev.rullama.ollama.VerifyListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A reduced model with real data (E2B widths and head dims, 6 layers, 1024 tokens: every tensor kind and quant type
 * of E2B, KV sharing and the double-wide FFN included) written into a store: the store is what Ollama's layout says
 * (manifest, config, params, blob digest verified), rullama loads it, its weights have the planned spread, and the
 * reference model and the GPU model (Dawn on lavapipe) run it to finite logits that agree.
 */
class SyntheticModelInstallTest {

    @Test
    void installsAVerifiableOllamaLayoutThatRullamaLoads() throws Exception {
        SyntheticModel.Installed in = SynthTestFiles.reduced();
        OllamaStore store = OllamaStore.at(SynthTestFiles.store());
        Manifest m = store.manifest(SynthTestFiles.REDUCED_NAME);
        assertEquals(in.manifest(), m.path());
        store.verify(m, VerifyListener.NONE); // every blob's sha256 matches its digest: the one-pass hash is right
        assertEquals(List.of(LayerKind.MODEL, LayerKind.PARAMS), m.layers().stream().map(l -> l.kind()).toList());
        assertEquals(in.digest(), m.modelLayer().orElseThrow().digest());
        assertEquals(in.bytes(), Files.size(in.blob()));
        assertEquals("sha256-" + in.digest().substring(7), in.blob().getFileName().toString());
        ModelConfig config = store.config(m);
        assertEquals(Optional.of("gguf"), config.modelFormat());
        assertEquals(Optional.of("gemma4"), config.modelFamily());
        assertEquals(Optional.of("Q4_K_M"), config.fileType());
        assertEquals(64, ((Number) store.params(m).get("top_k")).intValue());
        try (Stream<Path> blobs = Files.list(SynthTestFiles.store().resolve("blobs"))) {
            assertTrue(blobs.allMatch(p -> p.getFileName().toString().matches("sha256-[0-9a-f]{64}")), "no temporary file is left behind");
        }

        SyntheticModel plan = SyntheticModel.plan(SynthTestFiles.REDUCED, SynthTestFiles.SEED);
        try (GgufFile f = store.openModel(m)) {
            assertEquals(plan.tensors().size(), f.tensors().size());
            for (int i = 0; i < f.tensors().size(); i++) {
                GgufTensor t = f.tensors().get(i);
                SyntheticModel.Tensor want = plan.tensors().get(i);
                assertEquals(want.name(), t.name(), "tensor order");
                assertEquals(want.type(), t.type(), t.name());
                assertArrayEquals(want.shape(), t.shape(), t.name());
            }
            f.checkTensors(); // every fp16 scale finite
            GemmaWeights w = GemmaWeights.load(f);
            GemmaConfig c = w.config();
            assertEquals(6, c.blockCount());
            assertEquals(1, c.sharedKvLayers());
            assertEquals(12288, c.layer(5).ffnWidth());
            assertEquals(4, c.layer(5).kvDonor());
            GemmaTokenizer tok = GemmaTokenizer.fromGguf(f);
            assertEquals(1024, tok.vocabularySize());
            assertEquals("hello there", tok.decode(tok.encode("hello there", false)));
        }
    }

    /**
     * Decoded weights have the planned spread: mean 0 and standard deviation 1/sqrt(row length) for every matrix type
     * (Q4_K, Q6_K, BF16 here; Q5_0/Q8_0 in {@link #everyPoolTypeHasThePlannedSpread}), and 1 ± 0.05 for norms. The
     * bounds are loose (±25% on the deviation, |mean| < 0.1σ) but a wrongly packed scale is off by 2× or more.
     */
    @Test
    void weightsHaveThePlannedSpread() throws Exception {
        SyntheticModel.Installed in = SynthTestFiles.reduced();
        try (GgufFile f = GgufFile.open(in.blob())) {
            for (GgufTensor t : f.tensors()) {
                int n = (int) Math.min(t.elementCount(), 4 * t.rowLength()); // the first 4 rows: whole blocks
                float[] v = new float[n];
                t.quantBlock().dequantize(t.data(), 0, v, 0, n);
                double[] ms = meanStd(v);
                if (t.nDims() >= 2 && !t.name().equals("rope_freqs.weight")) {
                    double sigma = 1 / Math.sqrt(t.rowLength());
                    assertTrue(Math.abs(ms[0]) < 0.1 * sigma, t.name() + " mean " + ms[0] + " vs sigma " + sigma);
                    assertTrue(ms[1] > 0.75 * sigma && ms[1] < 1.25 * sigma, t.name() + " " + t.type() + " std " + ms[1] + " vs " + sigma);
                } else if (t.name().contains("norm") || t.name().endsWith(".scale")) {
                    assertEquals(1, ms[0], 0.05, t.name());
                }
            }
        }
    }

    @Test
    void everyPoolTypeHasThePlannedSpread() throws Exception {
        for (GgmlType type : List.of(GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.Q5_0, GgmlType.Q8_0, GgmlType.BF16, GgmlType.F32, GgmlType.F16)) {
            double sigma = 1 / Math.sqrt(704);
            BlockPool pool = BlockPool.of(type, sigma, 3).from(17);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            pool.writeTo(Channels.newChannel(out), pool.byteSize());
            MemorySegment bytes = MemorySegment.ofArray(out.toByteArray());
            int blocks = pool.byteSize() / type.blockBytes();
            int n = blocks * type.blockElements();
            float[] v = new float[n];
            type.quantBlock().dequantize(bytes, 0, v, 0, n);
            double[] ms = meanStd(v);
            assertTrue(Math.abs(ms[0]) < 0.05 * sigma, type + " mean " + ms[0]);
            assertTrue(ms[1] > 0.9 * sigma && ms[1] < 1.1 * sigma, type + " std " + ms[1] + " vs " + sigma);
            assertEquals(-1, type.quantBlock().findNonFiniteScale(bytes, 0, blocks), type + ": a non-finite scale");
        }
    }

    @Test
    void theSameSeedWritesTheSameBlob(@TempDir Path dir) throws Exception {
        RealShapes tiny = RealShapes.E2B.reduced(1, 512);
        String a = SyntheticModel.plan(tiny, 5).install(dir.resolve("a"), "t:a", SyntheticModel.Progress.NONE).digest();
        String b = SyntheticModel.plan(tiny, 5).install(dir.resolve("b"), "t:b", SyntheticModel.Progress.NONE).digest();
        String c = SyntheticModel.plan(tiny, 6).install(dir.resolve("c"), "t:c", SyntheticModel.Progress.NONE).digest();
        assertEquals(a, b);
        assertNotEquals(a, c);
    }

    /** One forward step of the CPU reference: finite logits, within the softcap, not constant. */
    @Test
    void referenceModelRunsAStepToFiniteLogits() throws Exception {
        float[] z = reference();
        assertEquals(1024, z.length);
        checkLogits(z);
    }

    static final int[] PROMPT = {2, 105, 600, 700, 106};
    private static float[] referenceLogits;

    private static synchronized float[] reference() throws Exception {
        if (referenceLogits == null) {
            try (GgufFile f = GgufFile.open(SynthTestFiles.reduced().blob())) {
                referenceLogits = ReferenceModel.load(f).newSession(8).prefill(PROMPT);
            }
        }
        return referenceLogits;
    }

    /**
     * The GPU model on Dawn (lavapipe in CI) against the reference on the same prompt. Tolerance 1e-4 relative L2, as
     * GpuLanguageModelTest: both compute in float32 from the same decoded weights and differ only in summation order
     * (measured here: 2e-6, with rows up to 12288 long); a wrong kernel, type or layout gives O(1).
     */
    @Test
    void gpuModelOnDawnAgreesWithTheReference() throws Exception {
        Backend dawn = Backends.discover().all().stream().filter(b -> b.name().equals("dawn")).findFirst().orElse(null);
        assumeTrue(dawn != null && dawn.probe().available(), () -> "Dawn is not available: " + Backends.discover().report());
        try (GgufFile f = GgufFile.open(SynthTestFiles.reduced().blob());
             Device device = dawn.open(DeviceOptions.defaults())) {
            GemmaConfig config = GemmaConfig.from(f);
            float[] want = reference();
            try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, device, 16)) {
                GpuLanguageModel.Session s = gpu.newSession(16);
                float[] got = s.prefill(PROMPT);
                s.close();
                checkLogits(got);
                double num = 0, den = 0;
                for (int i = 0; i < want.length; i++) {
                    num += (got[i] - want[i]) * (double) (got[i] - want[i]);
                    den += want[i] * (double) want[i];
                }
                double rel = Math.sqrt(num / den);
                System.out.printf("synthetic E2B-6l on %s: GPU vs reference rel L2 %.2e, weights %,d bytes%n", gpu.engine(), rel, gpu.weightBytes());
                assertTrue(rel < 1e-4, "rel L2 " + rel);
            }
        }
    }

    private static void checkLogits(float[] z) {
        double[] ms = meanStd(z);
        for (float x : z) assertTrue(Float.isFinite(x) && Math.abs(x) <= 30f, "logit " + x);
        assertTrue(ms[1] > 1e-3, "logits are (nearly) constant: std " + ms[1]);
        System.out.printf("logits mean %.3f std %.3f%n", ms[0], ms[1]);
    }

    private static double[] meanStd(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) { s += x; s2 += x * (double) x; }
        double mean = s / v.length;
        return new double[] {mean, Math.sqrt(Math.max(0, s2 / v.length - mean * mean))};
    }
}
