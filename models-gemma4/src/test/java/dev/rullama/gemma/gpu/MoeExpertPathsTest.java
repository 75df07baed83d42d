package dev.rullama.gemma.gpu;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.AdapterInfo;
import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.TestModels;
import dev.rullama.gemma.reference.ReferenceModel;
import dev.rullama.gguf.GgufFile;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The two expert paths of {@code ForwardPass.experts} on the MoE fixtures (fused gate/up with {@code ffn_down_exps.scale};
 * legacy split gate/up with {@code ffn_gate_inp.per_expert_scale}), on every backend: decode and prefill take the by-id
 * path by default, the all-experts path forced on the same tokens agrees with it, and both agree with the CPU
 * reference. Tolerance: {@link GpuLanguageModelTest#REL_L2}, for the reason stated there — the paths differ
 * only in the order of f32 sums (the by-id down projection adds the k weighted slots inside one dot product; the
 * all-experts path adds the experts one at a time).
 *
 * <p>{@link #fallbacks} loads through a device whose reported limits are tightened so that a layer can bind only one
 * path (stacks larger than a binding; experts off the storage offset alignment) or neither (per-expert copies).
 */
class MoeExpertPathsTest {
    private static final List<String> MODELS = List.of("moe/model-q4_k_m.gguf", "moe/model-bf16.gguf", "moe-legacy/model-q4_k_m.gguf");

    @TestFactory
    Stream<DynamicTest> byIdByDefaultAndAllExpertsAgree() {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        List<DynamicTest> out = new ArrayList<>();
        if (devs.isEmpty()) {
            out.add(DynamicTest.dynamicTest("no backend", () -> assumeTrue(false, "no GPU backend available")));
            return out.stream();
        }
        for (String model : MODELS)
            for (Map.Entry<String, Device> d : devs.entrySet())
                out.add(DynamicTest.dynamicTest(model + " " + d.getKey(), () -> bothPaths(d.getKey() + " " + model, d.getValue(), model)));
        return out.stream();
    }

    private void bothPaths(String what, Device device, String model) throws Exception {
        Path file = TestModels.fixtures().resolve(model);
        int[] seq = sequence(file);
        try (GgufFile f = GgufFile.open(file)) {
            GemmaConfig config = GemmaConfig.from(f);
            float[][] want = GpuLanguageModelTest.reference(model, ReferenceModel.load(f), seq);
            int moeLayers = (int) config.layers().stream().filter(l -> l.moe()).count();
            assertTrue(moeLayers > 0 && ForwardPass.expertsById(), what + ": MoE layers, and the default rule is by id");
            try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, device, 64)) {
                for (int i = 0; i < config.blockCount(); i++) {
                    ExpertStacks st = gpu.expertStacks(i);
                    if (st != null) assertTrue(st.byId() && st.perExpertWindows(), what + " layer " + i + ": both paths bound");
                }
                // decode: by id by the rule; then the same tokens with the all-experts path forced
                float[][] byId = new float[seq.length][], allExperts = new float[seq.length][];
                int dispatchesById, dispatchesAll;
                try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                    for (int i = 0; i < seq.length; i++) byId[i] = s.decode(seq[i]);
                    assertEquals(moeLayers, s.lastExpertLayersById(), what + ": decode computes the experts by id");
                    assertEquals(0, s.lastExpertLayersAll(), what + ": decode computes no layer with every expert");
                    dispatchesById = s.lastDispatchCount();
                }
                try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                    s.forceExpertPath(false);
                    for (int i = 0; i < seq.length; i++) allExperts[i] = s.decode(seq[i]);
                    assertEquals(moeLayers, s.lastExpertLayersAll(), what + ": forced all-experts decode");
                    dispatchesAll = s.lastDispatchCount();
                }
                System.out.printf("%s: decode step %d dispatches by id, %d with every expert (%d MoE layers, %d experts)%n",
                        what, dispatchesById, dispatchesAll, moeLayers, config.expertCount());
                assertEquals((long) moeLayers * (5L * config.expertCount() - 4), dispatchesAll - dispatchesById,
                        what + ": 4 dispatches per layer by id instead of 5 per expert");
                GpuLanguageModelTest.compare(what + " decode by id vs reference", byId, want, GpuLanguageModelTest.REL_L2);
                GpuLanguageModelTest.compare(what + " decode by id vs all experts", byId, allExperts, GpuLanguageModelTest.REL_L2);

                // prefill: by id by the rule (several tokens per submit: x per token, T·k slots); then all experts forced
                float[][] prefillAll, prefillById;
                try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                    prefillById = s.forwardAll(seq);
                    assertEquals(moeLayers, s.lastExpertLayersById(), what + ": prefill computes the experts by id");
                }
                try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                    s.forceExpertPath(false);
                    prefillAll = s.forwardAll(seq);
                    assertEquals(moeLayers, s.lastExpertLayersAll(), what + ": forced all-experts prefill");
                }
                GpuLanguageModelTest.compare(what + " prefill all experts vs reference", prefillAll, want, GpuLanguageModelTest.REL_L2);
                GpuLanguageModelTest.compare(what + " prefill by id vs reference", prefillById, want, GpuLanguageModelTest.REL_L2);
                GpuLanguageModelTest.compare(what + " prefill (all experts) vs decode (by id)", prefillAll, byId, GpuLanguageModelTest.REL_L2);
                GpuLanguageModelTest.compare(what + " prefill by id vs decode by id", prefillById, byId, GpuLanguageModelTest.REL_L2);
            }
        }
    }

    /**
     * Tightened limits force the fallbacks: a 32 KiB binding limit keeps the 36 KiB gate/up stack from binding whole
     * (all experts only, per-expert windows); a 1280-byte (5 × 256) offset alignment puts the fused stack's up halves
     * (rows 32..63 of 144-byte Q4_K rows: 4608 bytes into each expert) off alignment (by id only, every token count);
     * both give per-expert copies. The other weights still window within these limits (a 128-row granule of 210-byte
     * Q6_K rows is 26880 bytes). Each must still match the reference.
     */
    @TestFactory
    Stream<DynamicTest> fallbacks() {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        List<DynamicTest> out = new ArrayList<>();
        if (devs.isEmpty()) {
            out.add(DynamicTest.dynamicTest("no backend", () -> assumeTrue(false, "no GPU backend available")));
            return out.stream();
        }
        Device device = devs.values().iterator().next();
        String model = "moe/model-q4_k_m.gguf";
        record Variant(String name, UnaryOperator<DeviceLimits> limits, boolean byId, boolean windows) {}
        List<Variant> variants = List.of(
                new Variant("stacks over the binding limit", l -> limits(l, 32768, l.minStorageBufferOffsetAlignment()), false, true),
                new Variant("experts off the offset alignment", l -> limits(l, l.maxStorageBufferBindingSize(), 1280), true, false),
                new Variant("both: per-expert copies", l -> limits(l, 32768, 1280), false, false));
        for (Variant v : variants)
            out.add(DynamicTest.dynamicTest(v.name() + " " + device.backendName(), () -> {
                Path file = TestModels.fixtures().resolve(model);
                int[] seq = sequence(file);
                try (GgufFile f = GgufFile.open(file)) {
                    GemmaConfig config = GemmaConfig.from(f);
                    float[][] want = GpuLanguageModelTest.reference(model, ReferenceModel.load(f), seq);
                    Device tight = new LimitedDevice(device, v.limits().apply(device.limits()));
                    try (GpuLanguageModel gpu = GpuLanguageModel.load(f, config, tight, 64)) {
                        for (int i = 0; i < config.blockCount(); i++) {
                            ExpertStacks st = gpu.expertStacks(i);
                            if (st == null) continue;
                            assertEquals(v.byId(), st.byId(), v.name() + " layer " + i + ": by id");
                            assertEquals(v.windows(), st.perExpertWindows(), v.name() + " layer " + i + ": per-expert windows");
                        }
                        float[][] prefill, decode = new float[seq.length][];
                        try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                            prefill = s.forwardAll(seq);
                            if (v.byId()) assertEquals(0, s.lastExpertLayersAll(), v.name() + ": prefill by id");
                            else assertEquals(0, s.lastExpertLayersById(), v.name() + ": prefill with every expert");
                        }
                        try (GpuLanguageModel.Session s = gpu.newSession(64)) {
                            for (int i = 0; i < seq.length; i++) decode[i] = s.decode(seq[i]);
                            if (!v.byId()) assertFalse(s.lastExpertLayersById() > 0, v.name() + ": no by-id path to take");
                        }
                        GpuLanguageModelTest.compare(v.name() + " prefill vs reference", prefill, want, GpuLanguageModelTest.REL_L2);
                        GpuLanguageModelTest.compare(v.name() + " decode vs reference", decode, want, GpuLanguageModelTest.REL_L2);
                    }
                }
            }));
        return out.stream();
    }

    private static int[] sequence(Path model) throws java.io.IOException {
        ObjectMapper json = new ObjectMapper();
        return json.convertValue(json.readTree(model.resolveSibling("tokens.json").toFile()).get("sequences").get(0), int[].class);
    }

    private static DeviceLimits limits(DeviceLimits l, long binding, int alignment) {
        return new DeviceLimits(binding, l.maxBufferSize(), l.maxStorageBuffersPerShaderStage(), l.maxComputeWorkgroupStorageSize(),
                l.maxComputeInvocationsPerWorkgroup(), l.maxComputeWorkgroupSizeX(), l.maxComputeWorkgroupsPerDimension(), alignment,
                l.maxUniformBufferBindingSize());
    }

    /** A device that reports tighter limits than it has (within them, everything it does is valid on the real one). */
    private record LimitedDevice(Device real, DeviceLimits limits) implements Device {
        public String backendName() { return real.backendName(); }
        public AdapterInfo adapter() { return real.adapter(); }
        public Set<String> features() { return real.features(); }
        public Tensor createTensor(String label, DType dtype, long elements) throws RullamaException { return real.createTensor(label, dtype, elements); }
        public void write(Tensor dst, long byteOffset, MemorySegment src) throws RullamaException { real.write(dst, byteOffset, src); }
        public byte[] read(Tensor src) throws RullamaException { return real.read(src); }
        public Kernel compile(KernelSpec spec) throws RullamaException { return real.compile(spec); }
        public BoundKernel bind(Kernel kernel, Tensor... resources) throws RullamaException { return real.bind(kernel, resources); }
        public CommandBatch newBatch() { return real.newBatch(); }
        public void checkErrors() throws RullamaException { real.checkErrors(); }
        public void close() { /* the real device belongs to GpuLanguageModelTest */ }
    }
}
