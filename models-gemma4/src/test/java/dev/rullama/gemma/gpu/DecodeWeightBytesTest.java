package dev.rullama.gemma.gpu;

import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.TestModels;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.shaders.ops.StepWords;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weight bytes a decode token reads, which {@code rullama bench} turns into effective bandwidth: the model's count
 * against one made here from the GGUF tensor list alone, and the forward pass's own per-step counters against both.
 */
class DecodeWeightBytesTest {
    private static final Pattern BLOCK = Pattern.compile("blk\\.(\\d+)\\.(.+)");

    /**
     * From the tensor list: every matrix (2-D and up) except the token tables (the embedding is gathered, not
     * multiplied, unless it is also the LM head; the PLE table is read on the CPU), without K/V of KV-shared layers,
     * expert stacks ({@code *_exps}) at k/E of their bytes.
     */
    static long fromTensorList(GgufFile file) throws Exception {
        String arch = file.metadata().architecture();
        int blocks = file.metadata().getInt(arch + ".block_count");
        int shared = (int) file.metadata().findLong(arch + ".attention.shared_kv_layers").orElse(0);
        long experts = file.metadata().findLong(arch + ".expert_count").orElse(0);
        long used = file.metadata().findLong(arch + ".expert_used_count").orElse(0);
        boolean tied = file.findTensor("output.weight").isEmpty();
        long sum = 0;
        Map<Integer, Long> expertBytes = new HashMap<>();
        for (GgufTensor t : file.textTensors()) {
            if (t.nDims() < 2) continue;
            String n = t.name();
            if (n.equals("per_layer_token_embd.weight") || (n.equals("token_embd.weight") && !tied)) continue;
            Matcher m = BLOCK.matcher(n);
            if (m.matches()) {
                int layer = Integer.parseInt(m.group(1));
                String rest = m.group(2);
                if (layer >= blocks - shared && (rest.startsWith("attn_k.") || rest.startsWith("attn_v."))) continue;
                if (rest.contains("_exps.")) {
                    expertBytes.merge(layer, t.byteSize(), Long::sum);
                    continue;
                }
            }
            sum += t.byteSize();
        }
        for (long e : expertBytes.values()) sum += e * used / experts;
        return sum;
    }

    static GgufFile open(String variant) throws Exception {
        return GgufFile.open(TestModels.fixture(variant).resolve("model-q4_k_m.gguf"));
    }

    @Test
    void modelCountMatchesTheTensorList() throws Exception {
        for (String v : TestModels.FIXTURE_VARIANTS) {
            Path p = TestModels.fixture(v).resolve("model-q4_k_m.gguf");
            if (!p.toFile().isFile()) p = TestModels.fixture(v).resolve("model-bf16.gguf");
            try (GgufFile f = GgufFile.open(p)) {
                GemmaConfig c = GemmaConfig.from(f);
                long model = GpuLanguageModel.decodeWeightBytesTopK(GemmaWeights.bind(f, c), c);
                long independent = fromTensorList(f);
                System.out.printf("[bench-bytes] %s/%s decode weight bytes (top-k) %d%n", v, p.getFileName(), model);
                assertEquals(independent, model, v + ": weight bytes one decode token reads");
            }
        }
    }

    /** A decode step of the dense E2B-like model reads exactly the counted bytes; the MoE model at least the top-k share. */
    @Test
    void forwardPassCountsWhatItBinds() throws Exception {
        try (Device device = Backends.discover().select("auto").open(DeviceOptions.defaults())) {
            try (GgufFile f = open("e2b")) {
                GemmaConfig c = GemmaConfig.from(f);
                try (GpuLanguageModel m = GpuLanguageModel.load(f, c, device, 32)) {
                    long before = device.allocatedBytes();
                    GpuLanguageModel.Session s = m.newSession(32);
                    assertTrue(device.allocatedBytes() > before, "a session allocates its KV cache and activations");
                    s.prefill(new int[]{2, 10, 11});
                    GpuLanguageModel.StepCounters a = s.counters();
                    s.decodeGreedy(12);
                    GpuLanguageModel.StepCounters d = s.counters().minus(a);
                    assertEquals(1, d.steps());
                    assertEquals(s.lastDispatchCount(), d.dispatches());
                    assertEquals(m.decodeWeightBytesTopK(), d.weightBytesRead(), "dense model: the forward pass reads what the model counts");
                    // position words + one token id + the PLE rows the CPU supplies (f32, blocks x P)
                    assertEquals(4L * StepWords.WORDS + 4 + 4L * c.blockCount() * c.perLayerInputLength(), d.uploadBytes());
                    assertTrue(d.encodeNanos() > 0);
                    s.close();
                    // the first session also uploads the model's norm vectors and the readback staging buffer: they stay
                    long settled = device.allocatedBytes();
                    m.newSession(32).close();
                    assertEquals(settled, device.allocatedBytes(), "closing a session frees what it allocated");
                    assertTrue(device.peakAllocatedBytes() >= m.weightBytes(), "the peak includes the weights");
                }
            }
            try (GgufFile f = open("moe")) {
                GemmaConfig c = GemmaConfig.from(f);
                try (GpuLanguageModel m = GpuLanguageModel.load(f, c, device, 32);
                     GpuLanguageModel.Session s = m.newSession(32)) {
                    s.prefill(new int[]{2, 10});
                    GpuLanguageModel.StepCounters a = s.counters();
                    s.decodeGreedy(12);
                    long read = s.counters().minus(a).weightBytesRead();
                    long allExperts = 0;
                    for (GemmaWeights.Layer l : m.weights().layers())
                        if (l.experts() != null)
                            for (GemmaWeights.Expert e : l.experts().experts())
                                allExperts += GpuLanguageModel.matrixBytes(e.gate()) + GpuLanguageModel.matrixBytes(e.up()) + GpuLanguageModel.matrixBytes(e.down());
                    long unused = allExperts - allExperts * c.expertUsedCount() / c.expertCount();
                    System.out.printf("[bench-bytes] moe decode: top-k %d, read %d (all experts would be %d more)%n",
                            m.decodeWeightBytesTopK(), read, unused);
                    assertTrue(read >= m.decodeWeightBytesTopK() && read <= m.decodeWeightBytesTopK() + unused + c.blockCount(), // + rounding of k/E per layer
                            "MoE decode reads between the top-k share and every expert: " + read);
                }
            }
        }
    }

    /**
     * Splitting a step into several submits ({@code rullama.gpu.submitEvery}) changes when the GPU starts, not what it
     * computes: the same kernels in the same order give bit-identical logits and the same greedy tokens, and the
     * dispatch count is the same.
     */
    @Test
    void splitSubmitsComputeTheSame() throws Exception {
        try (Device device = Backends.discover().select("auto").open(DeviceOptions.defaults());
             GgufFile f = open("e2b")) {
            GemmaConfig c = GemmaConfig.from(f);
            try (GpuLanguageModel m = GpuLanguageModel.load(f, c, device, 32)) {
                int[] prompt = {2, 10, 11, 40};
                float[][] logits = new float[2][];
                int[][] tokens = new int[2][6];
                int[] dispatches = new int[2];
                for (int run = 0; run < 2; run++) {
                    System.setProperty(ForwardPass.SUBMIT_EVERY_PROPERTY, run == 0 ? "0" : "7");
                    try (GpuLanguageModel.Session s = m.newSession(32)) {
                        logits[run] = s.prefill(prompt);
                        int next = 12;
                        for (int i = 0; i < tokens[run].length; i++) next = tokens[run][i] = s.decodeGreedy(next);
                        dispatches[run] = s.lastDispatchCount();
                    } finally {
                        System.clearProperty(ForwardPass.SUBMIT_EVERY_PROPERTY);
                    }
                }
                org.junit.jupiter.api.Assertions.assertArrayEquals(logits[0], logits[1], "prefill logits, one submit vs submits of 7 dispatches");
                org.junit.jupiter.api.Assertions.assertArrayEquals(tokens[0], tokens[1], "greedy tokens");
                assertEquals(dispatches[0], dispatches[1], "dispatches per decode step");
            }
        }
    }
}
