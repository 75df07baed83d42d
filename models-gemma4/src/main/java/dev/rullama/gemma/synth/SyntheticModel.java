package dev.rullama.gemma.synth;

import dev.rullama.api.RullamaException;
import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufValueType;
import dev.rullama.gguf.GgufWriter;
import dev.rullama.ollama.ModelName;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * A synthetic Gemma 4 model of real shape: random weights with the real tensor names, shapes and Ollama's
 * {@code Q4_K_M} quant mix, for benchmarks. Speed depends on shapes and types, not on values, so such a file measures
 * what a user of the real model gets, without downloading it. The same file is meant for rullama and for llama.cpp's
 * {@code llama-bench}.
 *
 * <p><b>Layout</b> (Ollama's, as {@code tools/oracles/make_fixtures.py} writes it and both loaders accept): GGUF v3,
 * alignment 32, keys sorted by name (spec gemma4.md §5.1: arrays for per-layer {@code feed_forward_length} and
 * {@code head_count_kv} where they vary, the bool {@code sliding_window_pattern}, {@code shared_kv_layers}, RoPE bases
 * and dims, softcap 30, PLE width, expert counts), tensors sorted by (layer, name) with the global ones after; a
 * {@link SyntheticVocabulary} of the real size with Ollama's tokenizer keys. Text tensors only: no vision or audio
 * tensors (a real Ollama blob carries them, but they are never run for text and would only add size).
 *
 * <p><b>Tensors</b> (§3, §4, §5.2): embeddings tied (no {@code output.weight}); {@code rope_freqs} [256]; K=V full layers
 * of 12B/26B/31B without {@code attn_v}; the fused MoE {@code ffn_gate_up_exps} [d, 1408, 128] with
 * {@code ffn_down_exps.scale} (llama.cpp's names, which Ollama's runtime also produces when it loads an older blob).
 *
 * <p><b>Types</b>: {@link QuantMix}, llama.cpp's Q4_K_M rule. Two choices follow the census of a real Ollama
 * {@code gemma4:e4b} blob (spec ollama-gguf.md §4.1: q4_K 339 + q6_K 41 = 380 text matrices, which is 42 layers × 9
 * matrices + {@code per_layer_model_proj} + {@code token_embd}) rather than the tidier reading of the spec:
 * {@code per_layer_model_proj} is Q4_K (quantized like any matrix; only {@code per_layer_token_embd} stays BF16), and
 * the KV-shared layers of E2B/E4B still carry their unused {@code attn_k}/{@code attn_v}/{@code attn_k_norm}
 * ({@link RealShapes#sharedLayersCarryKv()}). Loaders skip those for compute, so they change the file size, not the
 * work per token.
 *
 * <p><b>Values</b>: matrices are tiled from a few MB of valid random blocks ({@link BlockPool}) with spread
 * 1/sqrt(row length), so every matrix-vector product keeps unit-scale activations; norm weights and scales are
 * 1 ± 0.05, {@code layer_output_scale} 1, {@code rope_freqs} 1 for the 64 rotated pairs and 1e30 after. Every fp16
 * scale is finite and small; logits stay finite through 60 layers. Output is deterministic for a given seed.
 */
public final class SyntheticModel {
    /** Ollama's and llama.cpp's {@code general.file_type} for Q4_K_M. */
    public static final int FILE_TYPE_Q4_K_M = 15;
    public static final String FILE_TYPE = "Q4_K_M";

    /** One planned tensor: name, type, ggml shape ({@code ne}, innermost first) and byte size. */
    public record Tensor(String name, GgmlType type, long[] shape, long bytes) {
        public long elements() { return Arrays.stream(shape).reduce(1, Math::multiplyExact); }

        @Override
        public String toString() { return name + " " + type + " " + Arrays.toString(shape); }
    }

    /** Tensors and bytes of one type. */
    public record TypeShare(GgmlType type, int tensors, long bytes) {}

    /** Bytes written so far out of the total; called from the writing thread. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void bytesWritten(long done, long total);
    }

    /** What {@link #install} wrote. */
    public record Installed(ModelName name, Path manifest, Path blob, String digest, long bytes, int tensors, double seconds) {}

    private enum Init { MATRIX, NORM, ONE, ROPE_FREQS }

    private record Planned(Tensor tensor, Init init) {}

    private final RealShapes shapes;
    private final long seed;
    private final List<Planned> plan;

    private SyntheticModel(RealShapes shapes, long seed, List<Planned> plan) {
        this.shapes = shapes;
        this.seed = seed;
        this.plan = List.copyOf(plan);
    }

    /** The tensor plan of {@code shapes}: names, shapes, types and sizes, no bytes yet. */
    public static SyntheticModel plan(RealShapes shapes, long seed) {
        List<String> names = new ArrayList<>();
        Map<String, long[]> dims = new HashMap<>();
        Map<String, Init> inits = new HashMap<>();
        Adder add = (name, init, ne) -> {
            names.add(name);
            dims.put(name, ne);
            inits.put(name, init);
        };
        int d = shapes.embedding(), v = shapes.vocab(), n = shapes.layers(), p = shapes.perLayerInput();
        add.add("token_embd.weight", Init.MATRIX, d, v);
        add.add("output_norm.weight", Init.NORM, d);
        add.add("rope_freqs.weight", Init.ROPE_FREQS, shapes.headDimFull() / 2);
        if (p > 0) {
            add.add("per_layer_token_embd.weight", Init.MATRIX, (long) n * p, v);
            add.add("per_layer_model_proj.weight", Init.MATRIX, d, (long) n * p);
            add.add("per_layer_proj_norm.weight", Init.NORM, p);
        }
        for (int i = 0; i < n; i++) {
            String b = "blk." + i + ".";
            int hd = shapes.headDim(i), q = shapes.heads() * hd, kv = shapes.kvHeads(i) * hd, ff = shapes.ffn(i);
            add.add(b + "attn_norm.weight", Init.NORM, d);
            add.add(b + "attn_q.weight", Init.MATRIX, d, q);
            add.add(b + "attn_q_norm.weight", Init.NORM, hd);
            if (shapes.hasAttnK(i)) {
                add.add(b + "attn_k.weight", Init.MATRIX, d, kv);
                add.add(b + "attn_k_norm.weight", Init.NORM, hd);
            }
            if (shapes.hasAttnV(i)) add.add(b + "attn_v.weight", Init.MATRIX, d, kv);
            add.add(b + "attn_output.weight", Init.MATRIX, q, d);
            add.add(b + "post_attention_norm.weight", Init.NORM, d);
            add.add(b + "ffn_norm.weight", Init.NORM, d);
            add.add(b + "ffn_gate.weight", Init.MATRIX, d, ff);
            add.add(b + "ffn_up.weight", Init.MATRIX, d, ff);
            add.add(b + "ffn_down.weight", Init.MATRIX, ff, d);
            add.add(b + "post_ffw_norm.weight", Init.NORM, d);
            if (shapes.layerOutputScale()) add.add(b + "layer_output_scale.weight", Init.ONE, 1);
            if (p > 0) {
                add.add(b + "inp_gate.weight", Init.MATRIX, d, p);
                add.add(b + "proj.weight", Init.MATRIX, p, d);
                add.add(b + "post_norm.weight", Init.NORM, d);
            }
            if (shapes.moe()) {
                int e = shapes.experts(), f = shapes.expertFfn();
                add.add(b + "ffn_gate_inp.weight", Init.MATRIX, d, e);
                add.add(b + "ffn_gate_inp.scale", Init.NORM, d);
                add.add(b + "ffn_gate_up_exps.weight", Init.MATRIX, d, 2L * f, e);
                add.add(b + "ffn_down_exps.weight", Init.MATRIX, f, d, e);
                add.add(b + "ffn_down_exps.scale", Init.NORM, e);
                add.add(b + "pre_ffw_norm_2.weight", Init.NORM, d);
                add.add(b + "post_ffw_norm_1.weight", Init.NORM, d);
                add.add(b + "post_ffw_norm_2.weight", Init.NORM, d);
            }
        }
        names.sort(OLLAMA_ORDER);
        GgmlType[] types = QuantMix.q4KM(names.stream().map(nm -> new QuantMix.Named(nm, dims.get(nm))).toList(), n);
        List<Planned> plan = new ArrayList<>(names.size());
        for (int k = 0; k < types.length; k++) {
            String nm = names.get(k);
            long[] ne = dims.get(nm);
            long elements = Arrays.stream(ne).reduce(1, Math::multiplyExact);
            plan.add(new Planned(new Tensor(nm, types[k], ne, types[k].byteSize(elements)), inits.get(nm)));
        }
        return new SyntheticModel(shapes, seed, plan);
    }

    @FunctionalInterface
    private interface Adder {
        void add(String name, Init init, long... ne);
    }

    /** Ollama's tensor order: layer tensors by (layer, name), then the others by name. */
    static final Comparator<String> OLLAMA_ORDER = (a, b) -> {
        boolean la = a.startsWith("blk."), lb = b.startsWith("blk.");
        if (la != lb) return la ? -1 : 1;
        if (!la) return a.compareTo(b);
        int c = Integer.compare(QuantMix.layerOf(a), QuantMix.layerOf(b));
        return c != 0 ? c : a.compareTo(b);
    };

    public RealShapes shapes() { return shapes; }

    public long seed() { return seed; }

    public List<Tensor> tensors() { return plan.stream().map(Planned::tensor).toList(); }

    /** Bytes of tensor data (without header and padding). */
    public long tensorBytes() { return plan.stream().mapToLong(t -> t.tensor.bytes).sum(); }

    public long parameterCount() { return plan.stream().mapToLong(t -> t.tensor.elements()).sum(); }

    /** Tensor count and bytes per type, in ggml type order. */
    public List<TypeShare> typeMix() {
        Map<GgmlType, long[]> m = new EnumMap<>(GgmlType.class);
        for (Planned t : plan) {
            long[] a = m.computeIfAbsent(t.tensor.type, k -> new long[2]);
            a[0]++;
            a[1] += t.tensor.bytes;
        }
        return m.entrySet().stream().map(e -> new TypeShare(e.getKey(), (int) e.getValue()[0], e.getValue()[1])).toList();
    }

    /** Ollama's {@code model_type}: the parameter count as "5.1B" or "850M". */
    public String parameterSize() {
        long n = parameterCount();
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.1fB", n / 1e9) : String.format(Locale.ROOT, "%.0fM", n / 1e6);
    }

    /** A few lines describing the plan: shapes, tensor count, bytes and the type mix. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(shapes).append('\n');
        sb.append(String.format(Locale.ROOT, "  %d tensors, %s parameters, %,d bytes of tensor data (%.2f GB)%n", plan.size(), parameterSize(),
                tensorBytes(), tensorBytes() / 1e9));
        for (TypeShare s : typeMix()) {
            sb.append(String.format(Locale.ROOT, "  %-5s %5d tensors %,17d bytes%n", s.type(), s.tensors(), s.bytes()));
        }
        return sb.toString();
    }

    /**
     * A writer holding every key and tensor. With {@code sparse}, tensors are zero holes (a header-only file that
     * costs no disk on a sparse filesystem, for checking shapes); otherwise each tensor streams its random blocks.
     */
    public GgufWriter writer(boolean sparse) {
        GgufWriter w = new GgufWriter();
        metadata(w);
        Map<String, BlockPool> pools = new HashMap<>();
        for (Planned pt : plan) {
            Tensor t = pt.tensor;
            if (sparse) {
                w.addZeroTensor(t.name, t.type, t.shape);
                continue;
            }
            long salt = new SplittableRandom(seed ^ t.name.hashCode() * 0x9E3779B97F4A7C15L).nextLong();
            switch (pt.init) {
                case MATRIX -> {
                    double sigma = 1 / Math.sqrt(t.shape[0]);
                    BlockPool pool = pools.computeIfAbsent(t.type + "/" + sigma, k -> BlockPool.of(t.type, sigma, seed));
                    w.addTensor(t.name, t.type, t.shape, pool.from(salt));
                }
                case NORM -> w.addF32Tensor(t.name, t.shape, aroundOne((int) t.elements(), salt));
                case ONE -> w.addF32Tensor(t.name, t.shape, new float[] {1f});
                case ROPE_FREQS -> w.addF32Tensor(t.name, t.shape, ropeFreqs((int) t.elements()));
            }
        }
        return w;
    }

    private static float[] aroundOne(int n, long salt) {
        SplittableRandom r = new SplittableRandom(salt);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.05 * r.nextGaussian());
        return v;
    }

    /** 1 for the pairs that rotate (p = 0.25 of the full head's pairs), 1e30 (no rotation) after: spec §2.3. */
    private static float[] ropeFreqs(int n) {
        float[] v = new float[n];
        int rotated = (int) Math.round(n * 0.25);
        for (int i = 0; i < n; i++) v[i] = i < rotated ? 1f : 1e30f;
        return v;
    }

    /** Gemma 4's keys (spec gemma4.md §5.1) and Ollama's tokenizer keys, written sorted by name as Ollama does. */
    private void metadata(GgufWriter w) {
        Map<String, Object[]> kv = new TreeMap<>();
        RealShapes s = shapes;
        int n = s.layers();
        String a = "gemma4.";
        kv.put("general.architecture", string("gemma4"));
        kv.put("general.name", string("synthetic " + s.title() + " (random weights)"));
        kv.put("general.file_type", u32(FILE_TYPE_Q4_K_M));
        kv.put("general.quantization_version", u32(2));
        kv.put(a + "block_count", u32(n));
        kv.put(a + "context_length", u32(s.contextLength()));
        kv.put(a + "embedding_length", u32(s.embedding()));
        kv.put(a + "embedding_length_per_layer_input", u32(s.perLayerInput()));
        kv.put(a + "feed_forward_length", perLayerOrScalar(s.ffnWidths()));
        kv.put(a + "attention.head_count", u32(s.heads()));
        kv.put(a + "attention.head_count_kv", perLayerOrScalar(s.kvHeadCounts()));
        kv.put(a + "attention.key_length", u32(s.headDimFull()));
        kv.put(a + "attention.value_length", u32(s.headDimFull()));
        kv.put(a + "attention.key_length_swa", u32(s.headDimSliding()));
        kv.put(a + "attention.value_length_swa", u32(s.headDimSliding()));
        kv.put(a + "attention.layer_norm_rms_epsilon", f32(1e-6f));
        kv.put(a + "attention.sliding_window", u32(s.slidingWindow()));
        List<Boolean> pattern = new ArrayList<>(n);
        for (int i = 0; i < n; i++) pattern.add(s.sliding(i));
        kv.put(a + "attention.sliding_window_pattern", array(GgufValueType.BOOL, pattern));
        kv.put(a + "attention.shared_kv_layers", u32(s.sharedKvLayers()));
        kv.put(a + "rope.freq_base", f32(1e6f));
        kv.put(a + "rope.freq_base_swa", f32(1e4f));
        kv.put(a + "rope.dimension_count", u32(s.headDimFull()));
        kv.put(a + "rope.dimension_count_swa", u32(s.headDimSliding()));
        kv.put(a + "final_logit_softcapping", f32(30f));
        if (s.moe()) {
            kv.put(a + "expert_count", u32(s.experts()));
            kv.put(a + "expert_used_count", u32(s.expertsUsed()));
            kv.put(a + "expert_feed_forward_length", u32(s.expertFfn()));
        }
        SyntheticVocabulary vocab = SyntheticVocabulary.of(s.vocab());
        kv.put("tokenizer.ggml.model", string("llama"));
        kv.put("tokenizer.ggml.pre", string("gemma4"));
        kv.put("tokenizer.ggml.tokens", array(GgufValueType.STRING, vocab.tokens));
        kv.put("tokenizer.ggml.scores", array(GgufValueType.FLOAT32, vocab.scores));
        kv.put("tokenizer.ggml.token_type", array(GgufValueType.INT32, vocab.types));
        kv.put("tokenizer.ggml.merges", array(GgufValueType.STRING, vocab.merges));
        kv.put("tokenizer.ggml.bos_token_id", u32(2));
        kv.put("tokenizer.ggml.eos_token_id", u32(1));
        kv.put("tokenizer.ggml.unknown_token_id", u32(3));
        kv.put("tokenizer.ggml.padding_token_id", u32(0));
        kv.put("tokenizer.ggml.add_bos_token", new Object[] {GgufValueType.BOOL, false});
        kv.put("tokenizer.ggml.add_eos_token", new Object[] {GgufValueType.BOOL, false});
        kv.forEach((key, tv) -> w.put(key, (GgufValueType) tv[0], tv[1]));
    }

    private static Object[] u32(long v) { return new Object[] {GgufValueType.UINT32, v}; }

    private static Object[] f32(float v) { return new Object[] {GgufValueType.FLOAT32, v}; }

    private static Object[] string(String v) { return new Object[] {GgufValueType.STRING, v}; }

    private static Object[] array(GgufValueType element, List<?> values) {
        return new Object[] {GgufValueType.ARRAY, new GgufWriter.Array(element, values)};
    }

    /** A u32 when every layer has the same value, else an i32 array (as both converters write it). */
    private static Object[] perLayerOrScalar(int[] values) {
        if (Arrays.stream(values).distinct().count() == 1) return u32(values[0]);
        return array(GgufValueType.INT32, Arrays.stream(values).boxed().toList());
    }

    /** Writes the header-only sparse file (see {@link #writer}). */
    public GgufWriter.Layout writeSparse(Path file) throws IOException {
        return writer(true).write(file);
    }

    /**
     * Writes the model into the Ollama-layout store at {@code storeRoot} as {@code name} (see {@link SyntheticStore}).
     *
     * @throws RullamaException when the name is not a valid model name
     */
    public Installed install(Path storeRoot, String name, Progress progress) throws IOException, RullamaException {
        return SyntheticStore.install(this, storeRoot, name, progress);
    }
}
