package dev.rullama.gemma;

import dev.rullama.gguf.GgmlType;
import dev.rullama.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Builds Gemma 4 / Gemma 3 GGUF files in Ollama's layout for tests: tiny ones with seeded random F32 weights for the
 * forward pass, and full-size ones whose tensors are sparse holes (header only) for config tests. Every weight's
 * values depend only on the seed and the weight's canonical (current) name, so two files that differ only in naming
 * (legacy Ollama names, split vs fused experts) hold identical numbers.
 */
public final class SyntheticGemma {
    public String arch = "gemma4";
    /** Layer types, e.g. "SSSSF"; null for Gemma 3's hardcoded rule over {@link #layers} layers. */
    public String pattern = "SSF";
    public int layers = 3;
    public boolean writePattern = true;
    public int d = 32;
    public int vocab = 64;
    public int heads = 2;
    public int kvSwa = 1;
    public int kvFull = 1;
    /** Write head_count_kv as a per-layer array (otherwise a scalar, which needs kvSwa == kvFull). */
    public boolean kvArray;
    public int hdSwa = 16;
    public int hdFull = 32;
    public int ff = 48;
    /** KV-shared layers get 2×ff (E2B); feed_forward_length becomes an array. */
    public boolean doubleWide;
    public int window = 4;
    public int sharedKv;
    /** Shared layers still carry (unused) attn_k/attn_v/attn_k_norm. */
    public boolean sharedLayersCarryKv;
    public int ple;
    public boolean kEqualsV;
    public boolean layerScale = true;
    public boolean ropeFreqsTensor = true;
    public double ropeLinearFactor;
    public double ropeBase = 1e6;
    public double ropeBaseSwa = 1e4;
    public float softcap = 30f;
    public int experts;
    public int expertsUsed;
    public int expertFfn;
    /** Split ffn_gate_exps/ffn_up_exps and ffn_gate_inp.per_expert_scale (older Ollama blobs). */
    public boolean legacyMoe;
    /** attn_post_norm, ffn_pre_norm, ffn_post_norm, ffn_*_norm_N, layer_scalar (older Ollama names). */
    public boolean legacyNames;
    /** On full layers, write attn_v with exactly attn_k's values (V = raw K, what a K=V layer computes). */
    public boolean vCopiesK;
    /** Add vision/audio/projector tensors, as Ollama's monolithic blobs carry. */
    public boolean multimodalTensors;
    /** Tensors are sparse holes of this type (header-only files for config tests). */
    public GgmlType zeroType;
    public long seed = 1;

    /** Keys to replace (suffix after "arch.") or add: value is Integer, Float, Boolean, String, int[], boolean[]. */
    public final Map<String, Object> keyOverrides = new LinkedHashMap<>();
    public final Set<String> removedKeys = new HashSet<>();
    /** Tensor name → replacement shape (to build contradictions). */
    public final Map<String, long[]> shapeOverrides = new HashMap<>();
    public final Set<String> removedTensors = new HashSet<>();
    /** Extra tensor name → existing tensor whose shape and values it copies (e.g. a second name for one weight). */
    public final Map<String, String> duplicatedTensors = new LinkedHashMap<>();

    public boolean gemma4() { return arch.equals("gemma4"); }

    public int layerCount() { return pattern != null ? pattern.length() : layers; }

    public boolean sliding(int i) {
        return pattern != null ? pattern.charAt(i) == 'S' : (i + 1) % 6 != 0;
    }

    public int headDim(int i) { return gemma4() && sliding(i) ? hdSwa : hdFull; }

    public int kvHeads(int i) { return sliding(i) ? kvSwa : kvFull; }

    public int firstShared() { return layerCount() - sharedKv; }

    public int ffn(int i) { return doubleWide && i >= firstShared() ? 2 * ff : ff; }

    public boolean hasV(int i) { return !(gemma4() && kEqualsV && !sliding(i)); }

    /** Writes the file. */
    public Path write(Path file) throws IOException {
        GgufWriter w = new GgufWriter();
        for (Map.Entry<String, Object> e : keys().entrySet()) put(w, e.getKey(), e.getValue());
        for (Map.Entry<String, Tensor> e : tensors().entrySet()) {
            Tensor t = e.getValue();
            long[] shape = shapeOverrides.getOrDefault(e.getKey(), t.shape);
            if (zeroType != null || t.values == null || shapeOverrides.containsKey(e.getKey())) {
                GgmlType type = zeroType == null ? GgmlType.F32 : (shape.length == 1 || shape[0] % zeroType.blockElements() != 0 ? GgmlType.F32 : zeroType);
                w.addZeroTensor(e.getKey(), type, shape);
            } else {
                w.addF32Tensor(e.getKey(), shape, t.values);
            }
        }
        w.write(file);
        return file;
    }

    private record Tensor(long[] shape, float[] values) {}

    private Map<String, Object> keys() {
        String a = arch + ".";
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("general.architecture", arch);
        k.put("general.name", "synthetic " + arch);
        int n = layerCount();
        k.put(a + "block_count", n);
        k.put(a + "context_length", 4096);
        k.put(a + "embedding_length", d);
        int[] ffs = new int[n];
        for (int i = 0; i < n; i++) ffs[i] = ffn(i);
        k.put(a + "feed_forward_length", doubleWide ? ffs : (Object) ff);
        k.put(a + "attention.head_count", heads);
        int[] kvs = new int[n];
        for (int i = 0; i < n; i++) kvs[i] = kvHeads(i);
        k.put(a + "attention.head_count_kv", kvArray ? kvs : (Object) kvSwa);
        k.put(a + "attention.layer_norm_rms_epsilon", 1e-6f);
        k.put(a + "attention.sliding_window", window);
        if (gemma4()) {
            k.put(a + "attention.key_length", hdFull);
            k.put(a + "attention.value_length", hdFull);
            k.put(a + "attention.key_length_swa", hdSwa);
            k.put(a + "attention.value_length_swa", hdSwa);
            boolean[] pat = new boolean[n];
            for (int i = 0; i < n; i++) pat[i] = sliding(i);
            k.put(a + "attention.sliding_window_pattern", pat);
            k.put(a + "attention.shared_kv_layers", sharedKv);
            k.put(a + "embedding_length_per_layer_input", ple);
            k.put(a + "rope.freq_base", (float) ropeBase);
            k.put(a + "rope.freq_base_swa", (float) ropeBaseSwa);
            k.put(a + "rope.dimension_count", hdFull);
            k.put(a + "rope.dimension_count_swa", hdSwa);
            k.put(a + "final_logit_softcapping", softcap);
            if (experts > 0) {
                k.put(a + "expert_count", experts);
                k.put(a + "expert_used_count", expertsUsed);
                k.put(a + "expert_feed_forward_length", expertFfn);
            }
        } else {
            k.put(a + "attention.key_length", hdFull);
            k.put(a + "attention.value_length", hdFull);
            k.put(a + "rope.freq_base", (float) ropeBase);
            if (ropeLinearFactor > 0) {
                k.put(a + "rope.scaling.type", "linear");
                k.put(a + "rope.scaling.factor", (float) ropeLinearFactor);
            }
            if (pattern != null && writePattern) {
                boolean[] pat = new boolean[n];
                for (int i = 0; i < n; i++) pat[i] = sliding(i);
                k.put(a + "attention.sliding_window_pattern", pat);
            }
        }
        k.put("tokenizer.ggml.model", "llama");
        for (String r : removedKeys) k.remove(r.startsWith("general.") || r.startsWith("tokenizer.") ? r : a + r);
        for (Map.Entry<String, Object> e : keyOverrides.entrySet()) {
            String key = e.getKey().startsWith("general.") || e.getKey().startsWith("tokenizer.") ? e.getKey() : a + e.getKey();
            k.put(key, e.getValue());
        }
        return k;
    }

    private static void put(GgufWriter w, String key, Object v) {
        switch (v) {
            case Integer i -> w.putU32(key, i);
            case Float f -> w.putF32(key, f);
            case Double dd -> w.putF32(key, dd.floatValue());
            case Boolean b -> w.putBool(key, b);
            case String s -> w.putString(key, s);
            case int[] ia -> w.putInts(key, ia);
            case boolean[] ba -> w.putBools(key, ba);
            case String[] sa -> w.putStrings(key, List.of(sa));
            default -> throw new IllegalArgumentException(key + ": " + v);
        }
    }

    private Map<String, Tensor> tensors() {
        Map<String, Tensor> t = new LinkedHashMap<>();
        int n = layerCount();
        matrix(t, "token_embd.weight", d, vocab, 1.0);
        norm(t, "output_norm.weight", d);
        if (gemma4() && ropeFreqsTensor) {
            float[] f = new float[hdFull / 2];
            for (int i = 0; i < f.length; i++) f[i] = i < hdFull / 8 ? 1f : 1e30f; // p = 0.25: 0.25·hd/2 pairs rotate
            put(t, "rope_freqs.weight", new long[] {hdFull / 2}, f);
        }
        if (ple > 0) {
            matrix(t, "per_layer_token_embd.weight", (long) n * ple, vocab, 1.0);
            matrix(t, "per_layer_model_proj.weight", d, (long) n * ple, 1.0);
            norm(t, "per_layer_proj_norm.weight", ple);
        }
        for (int i = 0; i < n; i++) {
            String b = "blk." + i + ".";
            int hd = headDim(i);
            int q = heads * hd;
            int kv = kvHeads(i) * hd;
            boolean owns = i < firstShared();
            norm(t, b + "attn_norm.weight", d);
            matrix(t, b + "attn_q.weight", d, q, 1.0);
            norm(t, b + "attn_q_norm.weight", hd);
            if (owns || sharedLayersCarryKv) {
                matrix(t, b + "attn_k.weight", d, kv, 1.0);
                norm(t, b + "attn_k_norm.weight", hd);
                if (hasV(i)) matrix(t, b + "attn_v.weight", vCopiesK && !sliding(i) ? b + "attn_k.weight" : b + "attn_v.weight", d, kv);
            }
            matrix(t, b + "attn_output.weight", q, d, 1.0);
            norm(t, b + (legacyNames ? "attn_post_norm.weight" : "post_attention_norm.weight"), b + "post_attention_norm.weight", d);
            norm(t, b + (legacyNames ? "ffn_pre_norm.weight" : "ffn_norm.weight"), b + "ffn_norm.weight", d);
            matrix(t, b + "ffn_gate.weight", d, ffn(i), 1.0);
            matrix(t, b + "ffn_up.weight", d, ffn(i), 1.0);
            matrix(t, b + "ffn_down.weight", ffn(i), d, 1.0);
            norm(t, b + (legacyNames ? "ffn_post_norm.weight" : "post_ffw_norm.weight"), b + "post_ffw_norm.weight", d);
            if (gemma4() && layerScale) {
                put(t, b + (legacyNames ? "layer_scalar" : "layer_output_scale.weight"), new long[] {1},
                        uniform(b + "layer_output_scale.weight", 1, 0.5, 1.5));
            }
            if (ple > 0) {
                matrix(t, b + "inp_gate.weight", d, ple, 1.0);
                matrix(t, b + "proj.weight", ple, d, 1.0);
                norm(t, b + "post_norm.weight", d);
            }
            if (experts > 0) experts(t, b);
        }
        if (multimodalTensors) {
            put(t, "v.patch_embd.weight", new long[] {8, 4}, uniform("v", 32, -1, 1));
            put(t, "a.conv1d.0.weight", new long[] {4}, uniform("a", 4, -1, 1));
            put(t, "mm.input_projection.weight", new long[] {8, d}, uniform("mm", 8L * d, -1, 1));
            // A text-looking name under a vision prefix must not shadow the text tensor.
            put(t, "v.blk.0.attn_q.weight", new long[] {3}, uniform("vq", 3, -1, 1));
        }
        for (String r : removedTensors) t.remove(r);
        for (Map.Entry<String, String> e : duplicatedTensors.entrySet()) t.put(e.getKey(), t.get(e.getValue()));
        return t;
    }

    private void experts(Map<String, Tensor> t, String b) {
        int e = experts, f = expertFfn;
        matrix(t, b + "ffn_gate_inp.weight", d, e, 1.0);
        put(t, b + "ffn_gate_inp.scale", new long[] {d}, uniform(b + "ffn_gate_inp.scale", d, 0.5, 1.5));
        // Canonical values: gate[e][f][d] and up[e][f][d]; fused = per expert, its F gate rows then its F up rows.
        double a = Math.sqrt(3.0 / d);
        float[] gate = uniform(b + "ffn_gate_exps.weight", (long) e * f * d, -a, a);
        float[] up = uniform(b + "ffn_up_exps.weight", (long) e * f * d, -a, a);
        if (legacyMoe) {
            put(t, b + "ffn_gate_exps.weight", new long[] {d, f, e}, gate);
            put(t, b + "ffn_up_exps.weight", new long[] {d, f, e}, up);
        } else {
            float[] fused = null;
            if (gate != null) {
                fused = new float[2 * gate.length];
                int block = f * d;
                for (int x = 0; x < e; x++) {
                    System.arraycopy(gate, x * block, fused, 2 * x * block, block);
                    System.arraycopy(up, x * block, fused, 2 * x * block + block, block);
                }
            }
            put(t, b + "ffn_gate_up_exps.weight", new long[] {d, 2L * f, e}, fused);
        }
        put(t, b + "ffn_down_exps.weight", new long[] {f, d, e},
                uniform(b + "ffn_down_exps.weight", (long) e * f * d, -Math.sqrt(3.0 / f), Math.sqrt(3.0 / f)));
        put(t, b + (legacyMoe ? "ffn_gate_inp.per_expert_scale" : "ffn_down_exps.scale"), new long[] {e},
                uniform(b + "ffn_down_exps.scale", e, 0.5, 1.5));
        norm(t, b + (legacyNames ? "ffn_pre_norm_2.weight" : "pre_ffw_norm_2.weight"), b + "pre_ffw_norm_2.weight", d);
        norm(t, b + (legacyNames ? "ffn_post_norm_1.weight" : "post_ffw_norm_1.weight"), b + "post_ffw_norm_1.weight", d);
        norm(t, b + (legacyNames ? "ffn_post_norm_2.weight" : "post_ffw_norm_2.weight"), b + "post_ffw_norm_2.weight", d);
    }

    private void put(Map<String, Tensor> t, String name, long[] shape, float[] values) {
        t.put(name, new Tensor(shape, zeroType == null ? values : null));
    }

    /** A [in, out] matrix with entries uniform in ±sqrt(3/in)·gain (unit-variance outputs for unit inputs). */
    private void matrix(Map<String, Tensor> t, String name, long in, long out, double gain) {
        double a = Math.sqrt(3.0 / in) * gain;
        put(t, name, new long[] {in, out}, zeroType != null ? null : uniform(name, in * out, -a, a));
    }

    private void matrix(Map<String, Tensor> t, String name, String canonical, long in, long out) {
        double a = Math.sqrt(3.0 / in);
        put(t, name, new long[] {in, out}, zeroType != null ? null : uniform(canonical, in * out, -a, a));
    }

    private void norm(Map<String, Tensor> t, String name, int n) { norm(t, name, name, n); }

    private void norm(Map<String, Tensor> t, String name, String canonical, int n) {
        put(t, name, new long[] {n}, zeroType != null ? null : uniform(canonical, n, 0.8, 1.2));
    }

    private float[] uniform(String canonical, long n, double lo, double hi) {
        if (zeroType != null) return null;
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + canonical.hashCode());
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return v;
    }

    // ---- presets at the spec's real sizes (spec §1), for header-only config tests ----

    public static SyntheticGemma e2b() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSF".repeat(7);
        s.d = 1536; s.vocab = 262144; s.heads = 8; s.kvSwa = 1; s.kvFull = 1; s.hdSwa = 256; s.hdFull = 512;
        s.ff = 6144; s.doubleWide = true; s.window = 512; s.sharedKv = 20; s.ple = 256; s.sharedLayersCarryKv = true;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }

    public static SyntheticGemma e4b() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSSF".repeat(7);
        s.d = 2560; s.vocab = 262144; s.heads = 8; s.kvSwa = 2; s.kvFull = 2; s.hdSwa = 256; s.hdFull = 512;
        s.ff = 10240; s.window = 512; s.sharedKv = 18; s.ple = 256;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }

    public static SyntheticGemma g12b() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSSF".repeat(8);
        s.d = 3840; s.vocab = 262144; s.heads = 16; s.kvSwa = 8; s.kvFull = 1; s.kvArray = true; s.hdSwa = 256; s.hdFull = 512;
        s.ff = 15360; s.window = 1024; s.kEqualsV = true; s.layerScale = false;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }

    public static SyntheticGemma a26b() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSSF".repeat(5);
        s.d = 2816; s.vocab = 262144; s.heads = 16; s.kvSwa = 8; s.kvFull = 2; s.kvArray = true; s.hdSwa = 256; s.hdFull = 512;
        s.ff = 2112; s.window = 1024; s.kEqualsV = true; s.experts = 128; s.expertsUsed = 8; s.expertFfn = 704;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }

    public static SyntheticGemma b31() {
        SyntheticGemma s = new SyntheticGemma();
        s.pattern = "SSSSSF".repeat(10);
        s.d = 5376; s.vocab = 262144; s.heads = 32; s.kvSwa = 16; s.kvFull = 4; s.kvArray = true; s.hdSwa = 256; s.hdFull = 512;
        s.ff = 21504; s.window = 1024; s.kEqualsV = true;
        s.zeroType = GgmlType.Q4_0;
        return s;
    }

    public static SyntheticGemma gemma3(int layers, int d, int heads, int kv, int ff, int window) {
        SyntheticGemma s = new SyntheticGemma();
        s.arch = "gemma3"; s.pattern = null; s.layers = layers;
        s.d = d; s.vocab = 262144; s.heads = heads; s.kvSwa = kv; s.kvFull = kv; s.hdSwa = 256; s.hdFull = 256;
        s.ff = ff; s.window = window; s.layerScale = false; s.ropeFreqsTensor = false;
        s.zeroType = GgmlType.Q8_0;
        return s;
    }
}
