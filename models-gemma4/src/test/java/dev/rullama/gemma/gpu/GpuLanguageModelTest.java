package dev.rullama.gemma.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gemma.reference.Session;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The GPU forward pass against the CPU reference ({@code Arithmetic.EXACT}) and the HF goldens, on every backend found
 * (Dawn and wgpu-native on lavapipe in CI), for every fixture variant and quantization.
 *
 * <p>Tolerances. Both sides compute in float32 from the same decoded weights; the GPU sums in another order (per-lane
 * partial sums, tree reductions, f32 norm sums where the reference uses double, f32 RoPE angles). Each of these is a
 * few ulp (≤ ~1e-6 relative) per op; through ~10 random-weight layers the measured growth stays below 1e-5, so
 * {@value #REL_L2} relative L2 leaves an order of magnitude of margin while a real error (wrong norm, RoPE, mask, scale)
 * moves logits by 1e-2 or more. The HF golden is itself within 6e-6 of the reference, so the same bound holds for it.
 * Prefill (matmul kernel) vs token-by-token decode (matvec kernel, split-K attention): again only summation order,
 * same bound. Greedy tokens must be identical.
 */
class GpuLanguageModelTest {
    static final double REL_L2 = 1e-4;
    static final int GREEDY_STEPS = 16;

    private static final Map<String, Device> DEVICES = new LinkedHashMap<>();
    private static final Map<String, float[][]> REFERENCE = new HashMap<>();
    /** variant/model -> backend -> greedy tokens */
    private static final Map<String, Map<String, int[]>> GREEDY = new HashMap<>();

    static synchronized Map<String, Device> devices() {
        if (DEVICES.isEmpty()) {
            for (Backend b : Backends.discover().all()) {
                if (b.hidden() || !b.probe().available()) continue;
                try {
                    DEVICES.put(b.name(), b.open(DeviceOptions.defaults()));
                } catch (Exception e) {
                    System.out.println("backend " + b.name() + " did not open: " + e.getMessage());
                }
            }
        }
        return DEVICES;
    }

    @AfterAll
    static void closeDevices() {
        DEVICES.values().forEach(Device::close);
        DEVICES.clear();
    }

    static List<String> variants() throws IOException {
        try (Stream<Path> s = Files.list(TestModels.fixtures())) {
            return s.filter(p -> Files.isRegularFile(p.resolve("tokens.json"))).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicNode> fixtures() throws IOException {
        Map<String, Device> devs = devices();
        List<DynamicNode> out = new ArrayList<>();
        if (devs.isEmpty()) {
            out.add(DynamicTest.dynamicTest("no backend", () -> assumeTrue(false, "no GPU backend available: " + Backends.discover().report())));
            return out.stream();
        }
        for (String variant : variants()) {
            Path dir = TestModels.fixture(variant);
            List<String> models;
            try (Stream<Path> s = Files.list(dir)) {
                models = s.map(p -> p.getFileName().toString()).filter(n -> n.matches("model-[^.]+\\.gguf")).sorted().toList();
            }
            List<DynamicNode> perModel = new ArrayList<>();
            for (String model : models) {
                List<DynamicNode> tests = new ArrayList<>();
                for (String backend : devs.keySet()) tests.add(DynamicTest.dynamicTest(backend, () -> checkModel(backend, variant, dir, model)));
                tests.add(DynamicTest.dynamicTest("backends agree", () -> {
                    Map<String, int[]> g = GREEDY.get(variant + "/" + model);
                    assumeTrue(g != null && g.size() == devs.size(), "not every backend ran");
                    int[] first = g.values().iterator().next();
                    for (Map.Entry<String, int[]> e : g.entrySet()) assertArrayEquals(first, e.getValue(), e.getKey() + " greedy tokens");
                }));
                perModel.add(DynamicContainer.dynamicContainer(model, tests));
            }
            out.add(DynamicContainer.dynamicContainer(variant, perModel));
        }
        return out.stream();
    }

    @org.junit.jupiter.api.Test
    void overBudgetIsRefusedBeforeAllocating() throws Exception {
        Map<String, Device> devs = devices();
        assumeTrue(!devs.isEmpty(), "no GPU backend available");
        try (GgufFile f = GgufFile.open(TestModels.fixture("gemma3").resolve("model-q8_0.gguf"))) {
            GemmaConfig config = GemmaConfig.from(f);
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.rullama.api.OutOfDeviceMemoryException.class,
                    () -> GpuLanguageModel.load(f, config, devs.values().iterator().next(), 64, 4096));
            assertTrue(e.getMessage().contains("--ctx"), e.getMessage());
            System.out.println("over budget: " + e.getMessage());
        }
    }

    /**
     * A prompt longer than one submit ({@link GpuLanguageModel#chunk()}) and enough greedy steps that the sliding layers'
     * ring (window 4 + chunk − 1 slots) wraps: chunked prefill, ring KV writes and ring reads vs the reference.
     */
    @TestFactory
    Stream<DynamicNode> longerThanOneChunkAndTheRing() throws Exception {
        Map<String, Device> devs = devices();
        List<DynamicNode> out = new ArrayList<>();
        for (String variant : List.of("e2b", "gemma3")) {
            for (String backend : devs.keySet()) {
                out.add(DynamicTest.dynamicTest(variant + " " + backend, () -> {
                    Path dir = TestModels.fixture(variant);
                    int[] seq = new ObjectMapper().convertValue(new ObjectMapper().readTree(dir.resolve("tokens.json").toFile()).get("sequences").get(0), int[].class);
                    int steps = 24;
                    try (GgufFile f = GgufFile.open(dir.resolve("model-q8_0.gguf"))) {
                        GemmaConfig config = GemmaConfig.from(f);
                        ReferenceModel ref = ReferenceModel.load(f);
                        int context = 2 * GpuLanguageModel.chunkFor(config.vocabSize(), devs.get(backend).limits()) + steps;
                        try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, devs.get(backend), context)) {
                            int[] prompt = new int[gpu.chunk() + 6];
                            for (int i = 0; i < prompt.length; i++) prompt[i] = seq[i % seq.length];
                            Session rs = ref.newSession(context);
                            float[] refLast = rs.prefill(prompt);
                            int[] want = new int[steps];
                            float[] z = refLast;
                            for (int i = 0; i < steps; i++) {
                                want[i] = argmax(z);
                                if (i + 1 < steps) z = rs.decode(want[i]);
                            }
                            GpuLanguageModel.Session s = gpu.newSession(context);
                            float[] last = s.prefill(prompt);
                            double e = relL2(last, refLast);
                            int[] ours = new int[steps];
                            z = last;
                            for (int i = 0; i < steps; i++) {
                                ours[i] = argmax(z);
                                if (i + 1 < steps) z = s.decode(ours[i]);
                            }
                            s.close();
                            System.out.printf("%s %s %d-token prefill (2 submits of at most %d) rel L2 %.2e, %d greedy steps to position %d%n",
                                    backend, variant, prompt.length, gpu.chunk(), e, steps, prompt.length + steps - 1);
                            assertTrue(e <= REL_L2, "prefill logits rel L2 " + e);
                            assertArrayEquals(want, ours, "greedy tokens past the ring");
                            assertTrue(prompt.length + steps > 4 + gpu.chunk() - 1, "the ring wraps");
                        }
                    }
                }));
            }
        }
        return out.stream();
    }

    private void checkModel(String backend, String variant, Path dir, String model) throws Exception {
        Device device = devices().get(backend);
        ObjectMapper json = new ObjectMapper();
        JsonNode seqs = json.readTree(dir.resolve("tokens.json").toFile()).get("sequences");
        int[] seq = json.convertValue(seqs.get(0), int[].class);
        String what = backend + " " + variant + "/" + model;
        try (GgufFile f = GgufFile.open(dir.resolve(model))) {
            GemmaConfig config = GemmaConfig.from(f);
            ReferenceModel ref = ReferenceModel.load(f);
            float[][] want = reference(variant + "/" + model, ref, seq);
            try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, device, 64)) {
                // every position, one batch
                GpuLanguageModel.Session s = gpu.newSession(64);
                float[][] got = s.forwardAll(seq);
                double e = compare(what + " forwardAll vs reference", got, want, REL_L2);
                s.close();

                // HF golden on the full-precision file
                if (model.equals("model-bf16.gguf") && Files.isRegularFile(dir.resolve("golden-hf-seq1.f32"))) {
                    float[][] hf = readF32(dir.resolve("golden-hf-seq1.f32"), seq.length);
                    compare(what + " forwardAll vs HF", got, hf, REL_L2);
                }

                // token-by-token decode equals the batched prefill
                GpuLanguageModel.Session d = gpu.newSession(64);
                float[][] stepwise = new float[seq.length][];
                for (int i = 0; i < seq.length; i++) stepwise[i] = d.decode(seq[i]);
                compare(what + " decode vs prefill", stepwise, got, REL_L2);
                int dispatches = d.lastDispatchCount();
                d.close();

                // greedy on the GPU vs the reference, from the first 4 tokens
                int[] prompt = Arrays.copyOf(seq, 4);
                int[] wantGreedy = referenceGreedy(ref, prompt, GREEDY_STEPS);
                GpuLanguageModel.Session g = gpu.newSession(64);
                int[] ours = new int[GREEDY_STEPS];
                int next = g.prefillGreedy(prompt);
                for (int i = 0; i < GREEDY_STEPS; i++) {
                    ours[i] = next;
                    if (i + 1 < GREEDY_STEPS) next = g.decodeGreedy(next);
                }
                g.close();
                GREEDY.computeIfAbsent(variant + "/" + model, k -> new java.util.concurrent.ConcurrentHashMap<>()).put(backend, ours);
                System.out.printf("%s: max rel L2 %.2e, decode step = %d dispatches, greedy %s%n", what, e, dispatches, Arrays.toString(ours));
                assertArrayEquals(wantGreedy, ours, what + ": greedy tokens");
            }
        }
    }

    static synchronized float[][] reference(String key, ReferenceModel ref, int[] seq) {
        return REFERENCE.computeIfAbsent(key, k -> ref.newSession(seq.length).forward(seq));
    }

    static int[] referenceGreedy(ReferenceModel ref, int[] prompt, int steps) {
        Session s = ref.newSession(prompt.length + steps + 1);
        float[] z = s.prefill(prompt);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = argmax(z);
            if (i + 1 < steps) z = s.decode(out[i]);
        }
        return out;
    }

    static double compare(String what, float[][] got, float[][] want, double tol) {
        assertEquals(want.length, got.length, what + ": positions");
        double worst = 0;
        for (int t = 0; t < want.length; t++) {
            double e = relL2(got[t], want[t]);
            worst = Math.max(worst, e);
            assertTrue(e <= tol, what + " position " + t + ": rel L2 " + e + " > " + tol);
            assertEquals(argmax(want[t]), argmax(got[t]), what + " position " + t + ": argmax");
        }
        System.out.printf("%-70s max rel L2 %.2e%n", what, worst);
        return worst;
    }

    static double relL2(float[] a, float[] b) {
        double num = 0, den = 0;
        for (int i = 0; i < b.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }

    static int argmax(float[] z) {
        int best = 0;
        for (int i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
        return best;
    }

    static float[][] readF32(Path file, int positions) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int vocab = b.remaining() / 4 / positions;
        float[][] out = new float[positions][vocab];
        var fb = b.asFloatBuffer();
        for (float[] row : out) fb.get(row);
        return out;
    }
}
