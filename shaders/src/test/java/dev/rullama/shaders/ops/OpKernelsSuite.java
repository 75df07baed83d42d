package dev.rullama.shaders.ops;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.Tensor;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.conformance.CaseReport;
import dev.rullama.shaders.conformance.ChainCase;
import dev.rullama.shaders.conformance.ChainHarness;
import dev.rullama.shaders.conformance.ConformanceHarness;
import dev.rullama.shaders.conformance.KernelCase;
import dev.rullama.shaders.conformance.OpCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Gemma op kernels on one backend: every {@link OpCases} case, plus what a single case cannot show — a decode loop
 * that reuses its bind groups while only the step tensor changes, the sampler's determinism and distribution, and
 * argmax feeding the embedding gather with no CPU in between. Extend it in a backend's tests.
 */
public abstract class OpKernelsSuite extends dev.rullama.shaders.conformance.BackendDeviceSuite {
    private Device device;
    private long seed;

    @Override
    protected String tag() { return "ops"; }

    @BeforeAll
    void openHarness() {
        device = device();
        seed = seed();
    }

    @TestFactory
    Stream<DynamicTest> singleDispatchCases() {
        return harnessTests(OpCases.all());
    }

    @TestFactory
    Stream<DynamicTest> chainCases() {
        ChainHarness h = new ChainHarness(device);
        return OpCases.chains().stream().map(c -> DynamicTest.dynamicTest(c.kernel() + " " + c.shape(), () -> {
            ChainHarness.Report r = h.run(c, new Random(seed ^ c.shape().hashCode()));
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }));
    }

    private record Mutation(ChainCase target, String from, String to, String why) {}

    /** Each mutation is a real mistake (most of them seen in other engines); the cases must catch every one. */
    @TestFactory
    Stream<DynamicTest> brokenKernelsAreCaught() {
        List<Mutation> mutations = List.of(
                new Mutation(OpCases.attention("sliding flat scores", 1, 8, 1, 256, 512, 575, 1300, 2, 1f, 1, 256, 0.05f),
                        "return pos + 1u - p.window;", "return pos - p.window;", "W + 1 keys (the legacy Ollama window)"),
                new Mutation(OpCases.attention("prefill sliding", 20, 2, 1, 40, 16, 35, 50, 2, 1f, 4, 64, 1f),
                        "key <= my_pos", "key <= my_pos + 1u", "a query sees the next token (no causal mask inside the batch)"),
                new Mutation(OpCases.attention("gqa", 1, 4, 2, 8, 5, 7, 20, 2, 0.35f, 1, 64, 1f),
                        "let kvh = h / (p.heads / p.kv_heads);", "let kvh = h % p.kv_heads;", "GQA heads interleaved instead of grouped"),
                new Mutation(OpCases.attention("split-k", 1, 2, 1, 256, 0, 8192, 5000, 16, 1f, 1, 128, 1f),
                        "total += exp(part[base + s * stride] - mx) * part[base + s * stride + 1u];",
                        "total += part[base + s * stride + 1u];", "splits merged without rescaling their sums"),
                new Mutation(OpCases.rope(1, 1, 512, 512, 1e6f, 1f, true, 300, 64),
                        "f32(2u * i) / f32(p.n_rot)", "f32(2u * i) / f32(p.n_rot / 4u)", "proportional RoPE as partial RoPE over 128 dims"),
                new Mutation(OpCases.rope(1, 8, 256, 256, 1e4f, 1f, false, 4099, 64),
                        "let b = x[base + i + half];", "let b = x[base + (i ^ 1u)];", "GPT-J pairing (i, i^1) instead of NeoX (i, i + n/2)"),
                new Mutation(OpCases.kvWrite(5, 120, 8, 6), "% p.ring)", "% (p.ring + 1u))", "ring slot off by one"),
                new Mutation(OpCases.argmax("ties", 262_144, 256, 0, a -> { a[70_000] = 7f; a[200_000] = 7f; }),
                        "(va == vb && ia < ib)", "(va == vb && ia > ib)", "ties to the higher index"),
                new Mutation(OpCases.argmax("NaN", 50, 64, 0, a -> a[0] = Float.NaN),
                        "return (b & 0x7FFFFFFFu) <= 0x7F800000u && b != 0xFF800000u;", "return true;", "NaN treated as a candidate"),
                new Mutation(OpCases.moe(1, 128, 8, true, 128, false), "w = exp(top_v[j] - v0) / total;", "w = exp(top_v[j] - v0);",
                        "router weights not renormalised"),
                new Mutation(OpCases.elementwise(Elementwise.Op.GEGLU, 1000, 64), "0.044715", "0.0044715", "a GELU constant with a dropped digit"),
                new Mutation(OpCases.addRmsNorm(1, 1536, true, true, 256), "let v = (x[base + i] + g) * layer_scale;",
                        "let v = x[base + i] * layer_scale + g;", "layer scale applied before the residual add"),
                new Mutation(OpCases.copy(1000, 64), "if (i < p.n) {", "if (i + 1u < p.n) {", "the copy drops its last vec4"),
                new Mutation(OpCases.copy(70_001, 1), "(wid.x + wid.y * nwg.x)", "(wid.x + wid.y * 65535u)", "folded rows indexed with the wrong stride"),
                new Mutation(OpCases.embedWindows(dev.rullama.gguf.GgmlType.Q6_K, 512, 40, 17, new int[]{16, 17, 39}),
                        "bb + 192u + e / 16u", "bb + 192u + e / 32u", "Q6_K scale index per 32 instead of per 16"));
        ChainHarness h = new ChainHarness(device);
        return mutations.stream().map(m -> DynamicTest.dynamicTest(m.why(), () -> {
            ChainHarness.Report r = h.run(m.target(), new Random(seed), spec -> {
                if (!spec.wgsl().contains(m.from())) return spec;
                return new dev.rullama.api.KernelSpec(spec.name() + "_broken", spec.wgsl().replace(m.from(), m.to()), spec.entryPoint(),
                        spec.constants(), spec.bindings());
            });
            System.out.println(r.line() + " (expected FAIL: " + m.why() + ")");
            assertTrue(m.target().prepare(new Random(0), device.limits()).dispatches().stream().anyMatch(d -> d.spec().wgsl().contains(m.from())),
                    "test setup: '" + m.from() + "' is in none of the kernels");
            assertFalse(r.passed(), m.why() + " went unnoticed: " + r.line());
        }));
    }

    private Grid fold(long n) {
        return Grid.fold(n, device.limits());
    }

    private static void dispatch(CommandBatch b, BoundKernel k, Grid g) {
        b.dispatch(k, g.x(), g.y(), g.z());
    }

    /**
     * 40 decode steps of one sliding layer (window 6, ring 6) and one full layer (ring = capacity): each step uploads
     * k, v and the position, then KV write + split-K attention + combine run from bind groups made once.
     */
    @Test
    void decodeLoopReusesBindGroupsAndWrapsTheRing() throws Exception {
        int heads = 4, kvHeads = 2, hd = 16, splits = 3, steps = 40, row = kvHeads * hd;
        Random r = new Random(seed);
        for (int window : new int[]{6, 0}) {
            int ring = window > 0 ? window : steps;
            float[] kc = new float[ring * row], vc = new float[ring * row];
            try (Tensor params = device.upload("params", FlashAttention.params(1, heads, kvHeads, window, ring, splits, 0.7f));
                 Tensor kvParams = device.upload("kv_params", KvCacheWrite.params(row, 1, ring));
                 Tensor step = device.upload("step", StepWords.of(0));
                 Tensor q = device.createTensor("q", DType.F32, heads * hd);
                 Tensor k = device.createTensor("k", DType.F32, row);
                 Tensor v = device.createTensor("v", DType.F32, row);
                 Tensor kCache = device.createTensor("k_cache", DType.F32, ring * row);
                 Tensor vCache = device.createTensor("v_cache", DType.F32, ring * row);
                 Tensor part = device.createTensor("part", DType.F32, FlashAttention.partWords(1, heads, splits, hd));
                 Tensor out = device.createTensor("out", DType.F32, heads * hd);
                 BoundKernel write = device.bind(device.compile(KvCacheWrite.spec(64)), kvParams, step, k, v, kCache, vCache);
                 BoundKernel partial = device.bind(device.compile(FlashAttention.partialSpec(hd, 1, 64)), params, step, q, kCache, vCache, part, out);
                 BoundKernel combine = device.bind(device.compile(FlashAttention.combineSpec(hd, 64)), params, step, q, kCache, vCache, part, out)) {
                double worst = 0;
                for (int pos = 0; pos < steps; pos++) {
                    float[] qv = KernelCase.randomFloats(r, heads * hd, 1f), kv = KernelCase.randomFloats(r, row, 1f), vv = KernelCase.randomFloats(r, row, 1f);
                    device.write(q, qv);
                    device.write(k, kv);
                    device.write(v, vv);
                    device.write(step, StepWords.of(pos));
                    try (CommandBatch b = device.newBatch()) {
                        dispatch(b, write, fold(KvCacheWrite.workgroups(row, 1, 64)));
                        dispatch(b, partial, fold(FlashAttention.partialWorkgroups(1, heads, splits, 1)));
                        dispatch(b, combine, fold(FlashAttention.combineWorkgroups(1, heads)));
                        b.submitAndWait();
                    }
                    kc = KvCacheWrite.reference(kc, kv, row, 1, ring, pos);
                    vc = KvCacheWrite.reference(vc, vv, row, 1, ring, pos);
                    float[] ref = FlashAttention.reference(qv, kc, vc, 1, heads, kvHeads, hd, window, ring, pos, 0.7f);
                    float[] got = device.readFloats(out);
                    for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
                }
                System.out.printf("[ops] backend=%s decode loop window=%d ring=%d steps=%d maxAbsErr=%.3e%n", device.backendName(), window, ring, steps, worst);
                assertTrue(worst < 2e-6, "decode loop max error " + worst);
            }
        }
    }

    private int[] sample(float[] logits, int topK, float temperature, float topP, float minP, int sampleSeed, int counter, int draws) throws Exception {
        int wg = 256, groups = TopKSampler.groups(logits.length, wg);
        try (Tensor params = device.upload("params", TopKSampler.params(logits.length, groups, topK, temperature, topP, minP, sampleSeed, draws));
             Tensor step = device.upload("step", StepWords.of(0, counter));
             Tensor l = device.upload("logits", logits);
             Tensor part = device.createTensor("part", DType.U32, TopKSampler.partWords(groups, topK));
             Tensor token = device.createTensor("token", DType.U32, draws);
             BoundKernel p = device.bind(device.compile(TopKSampler.partialSpec(wg)), params, step, l, part, token);
             BoundKernel m = device.bind(device.compile(TopKSampler.mergeSpec(wg)), params, step, l, part, token);
             CommandBatch b = device.newBatch()) {
            dispatch(b, p, fold(groups));
            dispatch(b, m, new Grid(1, 1, 1));
            b.submitAndWait();
            return device.readInts(token);
        }
    }

    @Test
    void samplerIsDeterministicStaysInsideTheKeptSetAndMatchesItsReference() throws Exception {
        Random r = new Random(seed);
        float[] logits = KernelCase.randomFloats(r, 262_144, 3f);
        for (int i = 0; i < 30; i++) logits[r.nextInt(logits.length)] = 9f + r.nextFloat(); // a head of likely tokens
        int topK = 40, draws = 512;
        float temperature = 0.8f, topP = 0.9f;
        int[] a = sample(logits, topK, temperature, topP, 0f, 1234, 77, draws);
        int[] again = sample(logits, topK, temperature, topP, 0f, 1234, 77, draws);
        int[] otherSeed = sample(logits, topK, temperature, topP, 0f, 1235, 77, draws);
        assertArrayEquals(a, again, "same seed and counter, same tokens");
        assertFalse(Arrays.equals(a, otherSeed), "another seed gives another sequence");
        TopKSampler.Kept kept = TopKSampler.kept(logits, topK, temperature, topP, 0f);
        Set<Integer> keptIds = new HashSet<>();
        for (int id : kept.ids()) keptIds.add(id);
        int mismatches = 0;
        for (int d = 0; d < draws; d++) {
            assertTrue(keptIds.contains(a[d]), "draw " + d + " = " + a[d] + " is outside the top-k/top-p set " + keptIds);
            int ref = TopKSampler.reference(kept, 1234, 77 + d);
            if (ref != a[d]) mismatches++;
        }
        System.out.printf("[ops] backend=%s sampler k=%d T=%.1f top_p=%.1f kept=%d draws=%d distinct=%d mismatches vs reference=%d%n",
                device.backendName(), topK, temperature, topP, kept.ids().length, draws, Arrays.stream(a).distinct().count(), mismatches);
        // f32 vs double cumulative sums can only disagree when a draw lands within ~1e-6 of a bucket boundary
        assertTrue(mismatches <= 2, mismatches + " draws differ from the reference with the same uniform");
        // sequential counters continue one sequence: draws [10, 20) with counter 87 are draws 10.. of counter 77
        int[] tail = sample(logits, topK, temperature, topP, 0f, 1234, 87, 10);
        assertArrayEquals(Arrays.copyOfRange(a, 10, 20), tail);
    }

    @Test
    void samplerFrequenciesFollowTheProbabilities() throws Exception {
        float[] logits = new float[1000];
        Arrays.fill(logits, -20f);
        double[] p = {0.4, 0.3, 0.2, 0.1};
        int[] ids = {500, 3, 999, 77};
        for (int i = 0; i < 4; i++) logits[ids[i]] = (float) Math.log(p[i]);
        int draws = 8192;
        int[] got = sample(logits, 4, 1f, 1f, 0f, 42, 0, draws);
        int[] count = new int[4];
        for (int t : got) {
            int j = Arrays.stream(ids).boxed().toList().indexOf(t);
            assertTrue(j >= 0, "token " + t + " is not among the top 4");
            count[j]++;
        }
        double chi2 = 0;
        for (int i = 0; i < 4; i++) chi2 += Math.pow(count[i] - draws * p[i], 2) / (draws * p[i]);
        System.out.printf("[ops] backend=%s sampler frequencies %s for p=%s chi2=%.2f (3 dof)%n", device.backendName(),
                Arrays.toString(count), Arrays.toString(p), chi2);
        assertTrue(chi2 < 16.3, "chi-square " + chi2 + " exceeds the 0.1% point of 3 degrees of freedom");
        // top-k 1 is the argmax whatever the temperature
        assertEquals(500, sample(logits, 1, 5f, 1f, 0f, 9, 9, 1)[0]);
    }

    @Test
    void argmaxFeedsTheEmbeddingGatherWithoutTheCpu() throws Exception {
        Random r = new Random(seed);
        int vocab = 300, dim = 512;
        byte[] table = OpCases.randomTable(r, GgmlType.Q6_K, dim, vocab);
        float[] logits = KernelCase.randomFloats(r, vocab, 1f);
        logits[123] = 5f;
        int groups = Argmax.groups(vocab, 64);
        int[] tableWords = new int[(table.length + 3) / 4];
        java.nio.ByteBuffer.wrap(Arrays.copyOf(table, tableWords.length * 4)).order(java.nio.ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(tableWords);
        try (Tensor ap = device.upload("argmax_params", Argmax.params(vocab, groups));
             Tensor l = device.upload("logits", logits);
             Tensor part = device.createTensor("part", DType.U32, 2L * groups);
             Tensor token = device.createTensor("token", DType.U32, 1);
             Tensor ep = device.upload("embed_params", EmbeddingGather.params(GgmlType.Q6_K, dim, 1, vocab, 16f));
             Tensor t = device.upload("table", tableWords);
             Tensor x = device.createTensor("x", DType.F32, dim);
             BoundKernel p1 = device.bind(device.compile(Argmax.partialSpec(64)), ap, l, part, token);
             BoundKernel p2 = device.bind(device.compile(Argmax.mergeSpec(64)), ap, l, part, token);
             BoundKernel e = device.bind(device.compile(EmbeddingGather.spec(GgmlType.Q6_K, 64)), ep, token, t, x);
             CommandBatch b = device.newBatch()) {
            dispatch(b, p1, fold(groups));
            dispatch(b, p2, new Grid(1, 1, 1));
            dispatch(b, e, fold(EmbeddingGather.workgroups(dim, 1, 64)));
            b.submitAndWait();
            assertArrayEquals(EmbeddingGather.reference(table, GgmlType.Q6_K, dim, new int[]{123}, 16f), device.readFloats(x));
        }
    }
}
