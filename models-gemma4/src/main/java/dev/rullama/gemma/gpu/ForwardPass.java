package dev.rullama.gemma.gpu;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.Kernel;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.LayerConfig;
import dev.rullama.gemma.RopeFrequencies;
import dev.rullama.gemma.WeightMatrix;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.ExpertMatVec;
import dev.rullama.shaders.Grid;
import dev.rullama.shaders.QuantMatVec;
import dev.rullama.shaders.RmsNorm;
import dev.rullama.shaders.ops.AddRmsNorm;
import dev.rullama.shaders.ops.Argmax;
import dev.rullama.shaders.ops.Elementwise;
import dev.rullama.shaders.ops.EmbeddingGather;
import dev.rullama.shaders.ops.FlashAttention;
import dev.rullama.shaders.ops.MoeRouter;
import dev.rullama.shaders.ops.NormRope;
import dev.rullama.shaders.ops.StepWords;
import dev.rullama.shaders.ops.TopKSampler;
import dev.rullama.shaders.quant.RowWindow;
import dev.rullama.shaders.quant.WindowedMatVec;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One session's GPU state and its forward pass: KV caches, activation tensors sized for the model's chunk ({@link GpuLanguageModel#chunkFor})
 * tokens, and every kernel bound once. A forward step of T tokens writes the step words (position), the token ids and,
 * for E models, the per-layer token rows, then records every dispatch of every layer into ONE batch and submits it.
 * Kernels whose parameters depend on T rewrite their small uniform tensors only when T changes.
 *
 * <p>The structure mirrors {@code ReferenceModel}: embed (× sqrt d) → [PLE inputs] → per layer: attn_norm, Q/K/V,
 * q_norm/k_norm per head, V-norm, RoPE, KV write, attention, attn_output, post_attention_norm + residual + ffn_norm
 * (one fused AddRmsNorm), GeGLU FFN (+ MoE block, see {@link #experts}), post_ffw_norm + residual (+ PLE block) +
 * layer_output_scale + the next norm (fused), final norm, LM head, softcap.
 */
final class ForwardPass implements AutoCloseable {
    private static final int WG = 256;
    private static final int ATTN_WG = 128;
    private static final int ARGMAX_WG = 256;
    static final int SAMPLE_WG = ARGMAX_WG;
    private static final int NORM_ROPE_WG = 128;

    private final GpuLanguageModel model;
    private final Device device;
    private final GemmaConfig config;
    private final GemmaWeights weights;
    private final int context;
    private final int chunk;
    private final List<AutoCloseable> owned = new ArrayList<>();
    private int position;
    private int lastDispatches;
    /** Cumulative over the session's submits: see {@link GpuLanguageModel.StepCounters}. */
    private long steps, dispatchesTotal, encodeNanosTotal, weightBytesTotal, uploadBytesTotal;
    private long submitNanosTotal;
    /**
     * Dispatches per submit within one forward step ({@value #SUBMIT_EVERY_PROPERTY}, default {@value #DEFAULT_SUBMIT_EVERY};
     * 0: one submit per step). Several submits let the GPU run the first layers while the rest are still recorded.
     */
    private final int submitEvery = submitEvery();
    static final String SUBMIT_EVERY_PROPERTY = "rullama.gpu.submitEvery";
    static final int DEFAULT_SUBMIT_EVERY = 64;

    static int submitEvery() {
        return (int) GpuLanguageModel.numberProperty(SUBMIT_EVERY_PROPERTY, DEFAULT_SUBMIT_EVERY, 0, Integer.MAX_VALUE,
                "0 (one submit per step) or a dispatch count");
    }
    private long stepWeightBytes, stepUploadBytes;

    // activations
    private final Tensor step, ids, x, h, q, qn, k, v, attn, ao, gate, up, f, hLast, logits, argPart, token;
    /** Every position's logits [chunk][vocab]: made by the first {@link #forwardAll} (only eval needs them). */
    private Tensor logitsAll;
    private Tensor plTok, plProj, plNorm, plByLayer, plGate;

    /** The per-token program: ops recorded in order for a batch of T tokens. */
    private final List<Rec> program = new ArrayList<>();
    private final List<Rec> headLast = new ArrayList<>();
    private final List<Rec> headAll = new ArrayList<>();
    private final List<Rec> greedy = new ArrayList<>();
    private final List<Rec> sample = new ArrayList<>();
    private final Tensor sampleParams;
    private int[] lastSampleParams;
    /** Written into the step words' counter word: the sampler's draw number. */
    private int draw;
    private final boolean gpuEmbedding;
    /** Decode binds layer l's PLE input at plNorm[l·P] directly (P floats are a valid binding offset), no copies. */
    private boolean pleDirect;

    /** Something recorded into a batch for T tokens. */
    private interface Rec {
        void record(CommandBatch b, int tokens) throws RullamaException;
    }

    ForwardPass(GpuLanguageModel model, int context) throws RullamaException {
        this.model = model;
        this.device = model.device;
        this.config = model.config;
        this.weights = model.weights;
        this.context = context;
        this.chunk = model.chunk;
        int d = config.embeddingLength();
        int maxQ = 0, maxKv = 0, maxF = 0;
        for (LayerConfig l : config.layers()) {
            maxQ = Math.max(maxQ, l.queryWidth());
            maxKv = Math.max(maxKv, l.kvWidth());
            maxF = Math.max(maxF, l.ffnWidth());
        }
        int c = chunk;
        int vocab = config.vocabSize();
        step = t("step", DType.U32, StepWords.WORDS);
        ids = t("ids", DType.U32, c);
        x = f32("x", (long) c * d);
        h = f32("h", (long) c * d);
        q = f32("q", (long) c * maxQ);
        qn = f32("qn", (long) c * maxQ);
        k = f32("k", (long) c * maxKv);
        v = f32("v", (long) c * maxKv);
        attn = f32("attn", (long) c * maxQ);
        ao = f32("ao", (long) c * d);
        gate = f32("gate", (long) c * maxF);
        up = f32("up", (long) c * maxF);
        f = f32("f", (long) c * d);
        hLast = f32("h_last", d);
        logits = f32("logits", vocab);
        int groups = Argmax.groups(vocab, ARGMAX_WG);
        argPart = t("argmax_part", DType.U32, 2L * groups);
        token = t("token", DType.U32, 4);

        WeightMatrix embd = weights.tokenEmbedding();
        gpuEmbedding = EmbeddingGather.TYPES.contains(embd.tensor().type());
        if (gpuEmbedding) embedding(embd);

        if (config.hasPerLayerInputs()) perLayerInputs();

        LayerConfig first = config.layer(0);
        program.add(rmsNorm(x, h, model.vector("attn_norm.0", weights.layer(0).attnNorm()), d, T -> T));
        Tensor[][] caches = new Tensor[config.blockCount()][];
        for (LayerConfig l : config.layers()) {
            if (l.ownsKv()) {
                int ring = GpuLanguageModel.ring(l, context, chunk);
                caches[l.index()] = new Tensor[]{f32("k_cache." + l.index(), (long) ring * l.kvWidth()),
                        f32("v_cache." + l.index(), (long) ring * l.kvWidth())};
            } else {
                caches[l.index()] = caches[l.kvDonor()];
            }
            layer(l, caches[l.index()]);
        }
        assert first != null;

        // LM head: the last position's logits (decode, prefill) or every position's (forwardAll)
        WeightMatrix head = weights.lmHead();
        Rec lastRow = matvecOnly(head, hLast, logits), onlyRow = matvecOnly(head, h, logits);
        headLast.add((b, T) -> {
            if (T == 1) {
                onlyRow.record(b, T); // decode: h holds the one row; no copy (a copy ends the compute pass)
            } else {
                b.copy(h.window((long) (T - 1) * d * 4, DType.F32, d), hLast);
                lastRow.record(b, T);
            }
        });
        if (config.finalLogitSoftcap() > 0) headLast.add(elementwise(Elementwise.Op.SOFTCAP, model.dummy, logits, T -> vocab, config.finalLogitSoftcap()));
        Tensor argParams = t("argmax.params", DType.U32, 4);
        device.write(argParams, Argmax.params(vocab, groups));
        BoundKernel ap = bind(Argmax.partialSpec(ARGMAX_WG), argParams, logits, argPart, token);
        BoundKernel am = bind(Argmax.mergeSpec(ARGMAX_WG), argParams, logits, argPart, token);
        Grid ag = Grid.fold(groups, device.limits());
        greedy.add((b, T) -> b.dispatch(ap, ag.x(), ag.y(), ag.z()));
        greedy.add((b, T) -> b.dispatch(am, 1, 1, 1));
        // sampling (top-k, temperature, top-p, min-p) on the GPU: two dispatches, the id lands in token[0]
        int sampleGroups = TopKSampler.groups(vocab, SAMPLE_WG);
        sampleParams = t("sample.params", DType.U32, 12);
        Tensor samplePart = t("sample_part", DType.U32, TopKSampler.partWords(sampleGroups, TopKSampler.MAX_K));
        BoundKernel sp = bind(TopKSampler.partialSpec(SAMPLE_WG), sampleParams, step, logits, samplePart, token);
        BoundKernel sm = bind(TopKSampler.mergeSpec(SAMPLE_WG), sampleParams, step, logits, samplePart, token);
        Grid sgrid = Grid.fold(sampleGroups, device.limits());
        sample.add((b, T) -> b.dispatch(sp, sgrid.x(), sgrid.y(), sgrid.z()));
        sample.add((b, T) -> b.dispatch(sm, 1, 1, 1));
    }

    // ------------------------------------------------------------------------------------------------- building

    private Tensor t(String label, DType type, long elements) throws RullamaException {
        Tensor t = device.createTensor(label, type, Math.max(1, elements));
        owned.add(t);
        return t;
    }

    private Tensor f32(String label, long elements) throws RullamaException { return t(label, DType.F32, elements); }

    private BoundKernel bind(KernelSpec spec, Tensor... resources) throws RullamaException {
        Kernel kernel = device.compile(spec);
        BoundKernel b = device.bind(kernel, resources);
        owned.add(b);
        return b;
    }

    /** A dispatch whose uniform block and grid depend on the token count; rewritten when it changes. */
    private Rec op(KernelSpec spec, IntFunction<int[]> params, IntFunction<Long> workgroups, Tensor... rest) throws RullamaException {
        int words = params.apply(1).length;
        Tensor p = t(spec.name() + ".params", DType.U32, words);
        Tensor[] res = new Tensor[rest.length + 1];
        res[0] = p;
        System.arraycopy(rest, 0, res, 1, rest.length);
        BoundKernel bk = bind(spec, res);
        return new Rec() {
            int lastT = -1;
            Grid grid;

            @Override
            public void record(CommandBatch b, int T) throws RullamaException {
                if (T != lastT) {
                    device.write(p, params.apply(T));
                    grid = Grid.fold(workgroups.apply(T), device.limits());
                    lastT = T;
                }
                b.dispatch(bk, grid.x(), grid.y(), grid.z());
            }
        };
    }

    /** {@code y = W·x} for T tokens: the decode kernel for one token, the prefill kernel for more. */
    private Rec matmul(WeightMatrix w, Tensor in, Tensor out) throws RullamaException {
        Rec mv = matvecOnly(w, in, out);
        Rec mm = matmulOnly(w, in, out);
        return (b, T) -> (T == 1 ? mv : mm).record(b, T);
    }

    private Rec matvecOnly(WeightMatrix w, Tensor in, Tensor out) throws RullamaException {
        GgmlType type = w.tensor().type();
        WindowedMatVec mv = QuantMatVec.bind(device, type, w.rows(), w.cols(), model.raw(w), in, out);
        owned.add(mv);
        long bytes = GpuLanguageModel.matrixBytes(w);
        return (b, T) -> {
            mv.record(b);
            stepWeightBytes += bytes;
        };
    }

    private Rec matmulOnly(WeightMatrix w, Tensor in, Tensor out) throws RullamaException {
        GgmlType type = w.tensor().type();
        WindowedMatVec mm = QuantMatVec.bindMatmul(device, type, w.rows(), w.cols(), model.raw(w), in, out, chunk);
        long bytes = GpuLanguageModel.matrixBytes(w);
        return tokenCounted(mm, T -> bytes);
    }

    /** A product bound for {@link #chunk} tokens whose token count is set when it changes; adds bytes(T) to the step's reads. */
    private Rec tokenCounted(WindowedMatVec mv, java.util.function.IntToLongFunction bytes) {
        owned.add(mv);
        return new Rec() {
            int lastT = -1;

            @Override
            public void record(CommandBatch b, int T) throws RullamaException {
                if (T != lastT) {
                    mv.setTokens(device, T);
                    lastT = T;
                }
                mv.record(b);
                stepWeightBytes += bytes.applyAsLong(T);
            }
        };
    }

    /** RMSNorm of {@code rows(T)} rows of n; {@code w} null: without weight. */
    private Rec rmsNorm(Tensor in, Tensor out, Tensor w, int n, IntFunction<Integer> rows) throws RullamaException {
        float eps = config.rmsEps();
        return op(RmsNorm.spec(w != null, WG), T -> RmsNorm.params(n, rows.apply(T), eps), T -> (long) rows.apply(T),
                in, w == null ? model.dummy : w, out);
    }

    private Rec elementwise(Elementwise.Op o, Tensor b, Tensor xx, IntFunction<Integer> n, float c) throws RullamaException {
        return op(Elementwise.spec(o, WG), T -> Elementwise.params(n.apply(T), c), T -> Elementwise.workgroups(n.apply(T), WG), b, xx);
    }

    private Rec addRmsNorm(Tensor ff, Tensor wPost, Tensor wNext, Tensor scale, Tensor y, int n) throws RullamaException {
        float eps = config.rmsEps();
        return op(AddRmsNorm.spec(wPost != null, scale != null, WG), T -> AddRmsNorm.params(n, T, eps), T -> (long) T,
                ff, wPost == null ? model.dummy : wPost, wNext, scale == null ? model.dummy : scale, x, y);
    }

    private void embedding(WeightMatrix embd) throws RullamaException {
        GgmlType type = embd.tensor().type();
        int d = config.embeddingLength();
        float scale = config.embeddingScale();
        Tensor table = model.raw(embd);
        List<RowWindow> windows = QuantMatVec.plan(type, embd.rows(), d, device.limits());
        for (RowWindow win : windows) {
            Tensor tw = windows.size() == 1 ? table : table.window(win.byteOffset(), DType.U32, win.words());
            int firstRow = Math.toIntExact(win.firstRow()), rows = Math.toIntExact(win.rows());
            program.add(op(EmbeddingGather.spec(type, WG), T -> EmbeddingGather.params(type, d, T, firstRow, rows, 0, scale),
                    T -> EmbeddingGather.workgroups(d, T, WG), ids, tw, x));
        }
    }

    /**
     * §3.1: {@code ple = (RMSNorm(proj(x0) / sqrt(d)) + tok · sqrt(P)) / sqrt(2)}, [T][L][P], then regrouped by layer
     * into [L][chunk][P] so each layer binds its slice at an aligned offset.
     */
    private void perLayerInputs() throws RullamaException {
        GemmaWeights.PerLayerInputs w = weights.perLayerInputs();
        int n = config.blockCount(), p = config.perLayerInputLength(), lp = n * p;
        pleDirect = ((long) p * 4) % device.limits().minStorageBufferOffsetAlignment() == 0;
        plTok = f32("ple_tok", (long) chunk * lp);
        plProj = f32("ple_proj", (long) chunk * lp);
        plNorm = f32("ple_norm", (long) chunk * lp);
        plByLayer = f32("ple_by_layer", (long) n * chunk * p);
        plGate = f32("ple_gate", (long) chunk * p);
        Tensor projScale = t("ple_proj_scale", DType.F32, 1);
        device.write(projScale, new float[]{(float) (1.0 / Math.sqrt(config.embeddingLength()))});
        program.add(matmul(w.modelProjection(), x, plProj));
        program.add(elementwise(Elementwise.Op.SCALE, projScale, plProj, T -> T * lp, 0));
        program.add(rmsNorm(plProj, plNorm, model.vector("per_layer_proj_norm", w.projectionNorm()), p, T -> T * n));
        program.add(elementwise(Elementwise.Op.ADD_SCALE, plTok, plNorm, T -> T * lp, (float) (1.0 / Math.sqrt(2.0))));
        program.add((b, T) -> {
            if (T == 1 && pleDirect) return; // decode: each layer binds its slice of plNorm itself
            for (int l = 0; l < n; l++)
                for (int t = 0; t < T; t++)
                    b.copy(plNorm.window(((long) t * lp + (long) l * p) * 4, DType.F32, p),
                            plByLayer.window(((long) l * chunk + t) * p * 4, DType.F32, p));
        });
    }

    private void layer(LayerConfig l, Tensor[] cache) throws RullamaException {
        GemmaWeights.Layer w = weights.layer(l.index());
        int d = config.embeddingLength();
        int hd = l.headDim(), heads = l.headCount(), kvHeads = l.kvHeads(), kvW = l.kvWidth();
        String li = "." + l.index();

        program.add(matmul(w.q(), h, q));
        Tensor factors = ropeFactors(l);
        int ring = GpuLanguageModel.ring(l, context, chunk);
        // q_norm + RoPE in one dispatch; k_norm + RoPE + V-norm + the cache write in another
        program.add(op(NormRope.querySpec(factors != null, NORM_ROPE_WG), T -> normRopeParams(l, T, heads, T),
                T -> NormRope.workgroups(T, heads), step, factors == null ? model.dummy : factors, headNorm("q_norm" + li, w.qNorm(), hd), q, qn));
        if (l.ownsKv()) {
            program.add(matmul(w.k(), h, k));
            Tensor vsrc = k;
            if (!l.kEqualsV()) {
                program.add(matmul(w.v(), h, v));
                vsrc = v;
            }
            program.add(op(NormRope.kvSpec(factors != null, config.valueNorm(), NORM_ROPE_WG), T -> normRopeParams(l, T, kvHeads, ring),
                    T -> NormRope.workgroups(T, kvHeads), step, factors == null ? model.dummy : factors, headNorm("k_norm" + li, w.kNorm(), hd),
                    k, cache[0], vsrc, cache[1]));
        }
        int window = l.sliding() && l.window() < context ? l.window() : 0;
        float scale = config.attentionScale();
        // decode: one query per workgroup, split over the keys; prefill: 4 queries per workgroup, one split
        int splits = (int) Math.max(1, Math.min(16, (Math.min(ring, context) + 255) / 256));
        Tensor part = f32("attn_part" + li, FlashAttention.partWords(1, heads, splits, hd));
        Rec decodeAttn = op(FlashAttention.partialSpec(hd, 1, ATTN_WG), T -> FlashAttention.params(1, heads, kvHeads, window, ring, splits, scale),
                T -> FlashAttention.partialWorkgroups(1, heads, splits, 1), step, qn, cache[0], cache[1], part, attn);
        Rec combine = splits == 1 ? null : op(FlashAttention.combineSpec(hd, ATTN_WG), T -> FlashAttention.params(1, heads, kvHeads, window, ring, splits, scale),
                T -> FlashAttention.combineWorkgroups(1, heads), step, qn, cache[0], cache[1], part, attn);
        int bq = 4;
        Rec prefillAttn = op(FlashAttention.partialSpec(hd, bq, ATTN_WG), T -> FlashAttention.params(T, heads, kvHeads, window, ring, 1, scale),
                T -> FlashAttention.partialWorkgroups(T, heads, 1, bq), step, qn, cache[0], cache[1], model.dummy, attn);
        program.add((b, T) -> {
            if (T == 1) {
                decodeAttn.record(b, T);
                if (combine != null) combine.record(b, T);
            } else {
                prefillAttn.record(b, T);
            }
        });
        program.add(matmul(w.attnOutput(), attn, ao));
        program.add(addRmsNorm(ao, model.vector("post_attention_norm" + li, w.postAttentionNorm()),
                model.vector("ffn_norm" + li, w.ffnNorm()), null, h, d));

        int ff = l.ffnWidth();
        Rec gateMm = matmul(w.ffnGate(), h, gate), upMm = matmul(w.ffnUp(), h, up);
        Rec geglu = elementwise(Elementwise.Op.GEGLU, up, gate, T -> T * ff, 0);
        Tensor pair = model.gateUpPair(w.ffnGate());
        WindowedMatVec glu = pair == null ? null : QuantMatVec.bindGlu(device, w.ffnGate().tensor().type(), ff, d, pair, h, gate);
        if (glu != null) owned.add(glu);
        long gluBytes = 2L * w.ffnGate().rows() * w.ffnGate().tensor().rowBytes();
        program.add((b, T) -> {
            if (T == 1 && glu != null) {
                glu.record(b); // gate, up and gelu(gate) * up in one dispatch
                stepWeightBytes += gluBytes;
            } else {
                gateMm.record(b, T);
                upMm.record(b, T);
                geglu.record(b, T);
            }
        });
        program.add(matmul(w.ffnDown(), gate, f));
        if (l.moe()) experts(l, w.experts());

        boolean last = l.index() == config.blockCount() - 1;
        Tensor next = last ? model.vector("output_norm", weights.outputNorm())
                : model.vector("attn_norm." + (l.index() + 1), weights.layer(l.index() + 1).attnNorm());
        Tensor layerScale = null;
        if (w.outputScale() != 1f) {
            layerScale = t("layer_output_scale" + li, DType.F32, 1);
            device.write(layerScale, new float[]{w.outputScale()});
        }
        Tensor postFfw = model.vector("post_ffw_norm" + li, w.postFfwNorm());
        if (w.perLayer() != null) {
            GemmaWeights.PerLayerBlock pl = w.perLayer();
            int p = config.perLayerInputLength();
            program.add(addRmsNorm(f, postFfw, next, null, h, d)); // y unused: the PLE block changes x again
            Tensor mine = plByLayer.window((long) l.index() * chunk * p * 4, DType.F32, (long) chunk * p);
            Rec pleGateMm = matmul(pl.inputGate(), x, plGate), pleProjMm = matmul(pl.projection(), plGate, f);
            Rec pleGeglu = elementwise(Elementwise.Op.GEGLU, mine, plGate, T -> T * p, 0);
            // decode reads the layer's slice of plNorm in place (perLayerInputs skips the regrouping copies then)
            Rec pleGegluDirect = pleDirect ? elementwise(Elementwise.Op.GEGLU, plNorm.window((long) l.index() * p * 4, DType.F32, p), plGate, T -> p, 0) : null;
            List<Rec> gated = pleDirect && !Boolean.getBoolean(SPLIT_PLE_GATE_PROPERTY) ? pleGateDecode(pl, l.index()) : null;
            program.add((b, T) -> {
                if (T == 1 && gated != null) {
                    for (Rec r : gated) r.record(b, T);
                } else {
                    pleGateMm.record(b, T);
                    (T == 1 && pleGegluDirect != null ? pleGegluDirect : pleGeglu).record(b, T);
                    pleProjMm.record(b, T);
                }
            });
            program.add(addRmsNorm(f, model.vector("ple_post_norm" + li, pl.postNorm()), next, layerScale, h, d));
        } else {
            program.add(addRmsNorm(f, postFfw, next, layerScale, h, d));
        }
    }

    /** {@value #SPLIT_PLE_GATE_PROPERTY}=true: decode runs the PLE gate as product + GeGLU (3 dispatches; comparisons). */
    static final String SPLIT_PLE_GATE_PROPERTY = "rullama.gpu.splitPleGate";

    /**
     * §3.3 in decode, 2 dispatches: {@code gelu(gate·x) ⊙ ple_l} written over layer l's slice of {@code plNorm} by the
     * gated product ({@link QuantMatVec#bindGeluMul}; the slice is this layer's alone), then the projection reads it.
     */
    private List<Rec> pleGateDecode(GemmaWeights.PerLayerBlock pl, int layer) throws RullamaException {
        int p = config.perLayerInputLength();
        Tensor slice = plNorm.window((long) layer * p * 4, DType.F32, p);
        WeightMatrix g = pl.inputGate();
        WindowedMatVec gated = QuantMatVec.bindGeluMul(device, g.tensor().type(), g.rows(), g.cols(), model.raw(g), x, slice);
        owned.add(gated);
        long gateBytes = GpuLanguageModel.matrixBytes(g);
        Rec gate = (b, T) -> {
            gated.record(b);
            stepWeightBytes += gateBytes;
        };
        return List.of(gate, matvecOnly(pl.projection(), slice, f));
    }

    private Tensor moeM1, moeZ, moeU, moeLogits, moeIds, moeWeights, moeGate, moeUp, moeY, moeAcc, moeInvSqrtD;
    /** MoE layers whose experts the last submit computed by id, and by the all-experts path. */
    private int expertLayersById, expertLayersAll;
    /** Tests only: null follows {@link #expertsById}; TRUE or FALSE forces a path where the layer's stacks allow it. */
    private Boolean forcedExpertPath;

    /**
     * §4, on top of the dense MLP output in {@code f}: {@code f = post_ffw_norm_2(Σ_e w_e · expert_e(pre_norm_2(x)))
     * + post_ffw_norm_1(f)}, the router over {@code rmsnorm(x) / sqrt(d) ⊙ router_scale}. The router (softmax, top-k,
     * renormalization, per-expert scale) runs on the GPU ({@link MoeRouter}) and leaves the chosen ids and weights there.
     *
     * <p>The experts take one of two paths, chosen per submit by {@link #expertsById} where the layer's stacks allow both
     * ({@link ExpertStacks}):
     * <ul>
     * <li><b>by id</b> ({@link ExpertMatVec}): gate and up for each of the T·k slots, GeGLU, then down with the router
     * weights summed per token into {@code moeAcc}: 4 dispatches, reading only the chosen experts' bytes (T·k expert
     * reads);</li>
     * <li><b>all experts</b>: every expert's FFN for every token (prefill kernel for T > 1, so each expert's bytes are read
     * once per 16-token tile), accumulated with its router weight, 0 where a token did not choose it
     * ({@link MoeAccumulate}): 5 dispatches per expert.</li>
     * </ul>
     */
    private void experts(LayerConfig l, GemmaWeights.Experts ex) throws RullamaException {
        int d = config.embeddingLength(), fe = config.expertFeedForwardLength(), ne = config.expertCount(), k = config.expertUsedCount();
        String li = "." + l.index();
        if (moeM1 == null) {
            moeM1 = f32("moe_m1", (long) chunk * d);
            moeZ = f32("moe_z", (long) chunk * d);
            moeU = f32("moe_u", (long) chunk * d);
            moeLogits = f32("moe_logits", (long) chunk * ne);
            moeIds = t("moe_ids", DType.U32, (long) chunk * k);
            moeWeights = f32("moe_weights", (long) chunk * k);
            // [T][fe] on the all-experts path, [T·k][fe] by id
            moeGate = f32("moe_gate", (long) chunk * k * fe);
            moeUp = f32("moe_up", (long) chunk * k * fe);
            moeY = f32("moe_y", (long) chunk * d);
            moeAcc = f32("moe_acc", (long) chunk * d);
            moeInvSqrtD = t("moe_inv_sqrt_d", DType.F32, 1);
            device.write(moeInvSqrtD, new float[]{(float) (1.0 / Math.sqrt(d))});
        }
        program.add(rmsNorm(f, moeM1, model.vector("post_ffw_norm_1" + li, ex.postNorm1()), d, T -> T));
        // rmsnorm(x) ⊙ router_scale, then / sqrt(d) (the reference scales first; the same product in another order)
        program.add(rmsNorm(x, moeZ, model.vector("router_scale" + li, ex.routerScale()), d, T -> T));
        program.add(elementwise(Elementwise.Op.SCALE, moeInvSqrtD, moeZ, T -> T * d, 0));
        program.add(matmul(ex.router(), moeZ, moeLogits));
        program.add(op(MoeRouter.spec(true, 64), T -> MoeRouter.params(ne, k, T), T -> (long) T,
                moeLogits, model.vector("per_expert_scale" + li, ex.perExpertScale()), moeIds, moeWeights));
        program.add(rmsNorm(x, moeU, model.vector("pre_ffw_norm_2" + li, ex.preNorm2()), d, T -> T));
        ExpertStacks st = model.expertStacks(l.index());
        List<Rec> byId = st.byId() ? expertsByIdProgram(st) : null;
        List<Rec> all = st.byId() && !st.perExpertWindows() ? null : allExpertsProgram(ex);
        program.add((b, T) -> {
            boolean useId = all == null || byId != null && (forcedExpertPath != null ? forcedExpertPath : expertsByIdRule);
            for (Rec r : useId ? byId : all) r.record(b, T);
            if (useId) expertLayersById++;
            else expertLayersAll++;
        });
        program.add(rmsNorm(moeAcc, f, model.vector("post_ffw_norm_2" + li, ex.postNorm2()), d, T -> T));
        program.add(elementwise(Elementwise.Op.ADD, moeM1, f, T -> T * d, 0));
    }

    /**
     * The path rule: by id wherever the layer's stacks allow it, for any token count, unless {@value #EXPERTS_PROPERTY}
     * is {@code all}. By id, a prefill chunk reads T·k expert matrices (several times the bytes of computing every
     * expert once for T ≥ E/k) but in 4 dispatches instead of 5 per expert, and computes only the routed experts:
     * 26B-A4B pp512 on an H200 went from 66 to 431 t/s (64-token chunks). The all-experts path remains for stacks too
     * large for one binding.
     */
    static boolean expertsById() {
        String v = System.getProperty(EXPERTS_PROPERTY, "by-id");
        if (!List.of("by-id", "all").contains(v))
            throw new IllegalArgumentException("-D" + EXPERTS_PROPERTY + "=" + v + ": expected by-id or all");
        return v.equals("by-id");
    }

    /** {@value #EXPERTS_PROPERTY}: {@code by-id} (default) or {@code all} (every expert for every token; for comparisons). */
    static final String EXPERTS_PROPERTY = "rullama.gpu.experts";
    /** {@link #expertsById()} when the session was made (checked by {@code GpuLanguageModel.load} already). */
    private final boolean expertsByIdRule = expertsById();

    private List<Rec> expertsByIdProgram(ExpertStacks st) throws RullamaException {
        int fe = config.expertFeedForwardLength(), k = config.expertUsedCount();
        List<Rec> out = new ArrayList<>();
        out.add(perTokens(st.gateShape(), ExpertMatVec.bind(device, st.gateShape(), model.stack(st.gate()), moeU, moeIds, moeWeights, moeGate, chunk)));
        out.add(perTokens(st.upShape(), ExpertMatVec.bind(device, st.upShape(), model.stack(st.up()), moeU, moeIds, moeWeights, moeUp, chunk)));
        out.add(elementwise(Elementwise.Op.GEGLU, moeUp, moeGate, T -> T * k * fe, 0));
        out.add(perTokens(st.downShape(), ExpertMatVec.bind(device, st.downShape(), model.stack(st.down()), moeGate, moeIds, moeWeights, moeAcc, chunk)));
        return out;
    }

    private List<Rec> allExpertsProgram(GemmaWeights.Experts ex) throws RullamaException {
        int d = config.embeddingLength(), fe = config.expertFeedForwardLength(), ne = config.expertCount(), k = config.expertUsedCount();
        List<Rec> out = new ArrayList<>();
        out.add((b, T) -> b.clear(moeAcc));
        for (int e = 0; e < ne; e++) {
            GemmaWeights.Expert x1 = ex.experts().get(e);
            int expert = e;
            out.add(matmul(x1.gate(), moeU, moeGate));
            out.add(matmul(x1.up(), moeU, moeUp));
            out.add(elementwise(Elementwise.Op.GEGLU, moeUp, moeGate, T -> T * fe, 0));
            out.add(matmul(x1.down(), moeGate, moeY));
            out.add(op(MoeAccumulate.spec(WG), T -> MoeAccumulate.params(d, T, k, expert), T -> MoeAccumulate.workgroups(d, T, WG),
                    moeIds, moeWeights, moeY, moeAcc));
        }
        return out;
    }

    /**
     * A product by id bound for {@link #chunk} tokens whose token count is set when it changes; counts the k routed
     * experts' rows per token as read (distinct experts in decode; a prefill chunk may route two slots to one expert).
     */
    private Rec perTokens(ExpertMatVec.Shape shape, WindowedMatVec mv) {
        long bytesPerToken = (long) shape.k() * shape.rows() * shape.rowBytes();
        return tokenCounted(mv, T -> T * bytesPerToken);
    }

    private int[] normRopeParams(LayerConfig l, int T, int heads, int ring) {
        return NormRope.params(T, heads, l.headDim(), l.ropeDims(), l.ropeTheta(), (float) l.ropePositionScale(), config.rmsEps(), ring);
    }

    /** A per-head norm weight; a file without one gets ones (the same function as no weight). */
    private Tensor headNorm(String label, float[] w, int headDim) throws RullamaException {
        if (w != null) return model.vector(label, w);
        float[] ones = new float[headDim];
        java.util.Arrays.fill(ones, 1f);
        Tensor t = t(label + ".ones", DType.F32, headDim);
        device.write(t, ones);
        return t;
    }

    /** {@code rope_freqs} divisors, or 1 / 1e30 for the proportional rule (the pairs past the rotated ones stay), or null. */
    private Tensor ropeFactors(LayerConfig l) throws RullamaException {
        int half = l.ropeDims() / 2;
        if (l.ropeFrequencies() == RopeFrequencies.FREQ_FACTORS_TENSOR) return model.vector("rope_freqs", weights.ropeFreqs());
        if (l.ropeFrequencies() == RopeFrequencies.PROPORTIONAL) {
            int rotated = (int) Math.floor(l.ropePartialFactor() * l.ropeDims() / 2);
            float[] fct = new float[half];
            for (int i = 0; i < half; i++) fct[i] = i < rotated ? 1f : 1e30f;
            Tensor t = t("rope_proportional." + l.index(), DType.F32, half);
            device.write(t, fct);
            return t;
        }
        return null;
    }

    // ------------------------------------------------------------------------------------------------- running

    int position() { return position; }

    int contextLength() { return context; }

    int lastDispatchCount() { return lastDispatches; }

    /** MoE layers the last submit computed by id ({@link #experts}). */
    int lastExpertLayersById() { return expertLayersById; }

    /** MoE layers the last submit computed with the all-experts path. */
    int lastExpertLayersAll() { return expertLayersAll; }

    /** Tests only: forces the expert path (TRUE by id, FALSE all experts) where both are bound; null restores the rule. */
    void forceExpertPath(Boolean byId) { forcedExpertPath = byId; }

    GpuLanguageModel.StepCounters counters() {
        return new GpuLanguageModel.StepCounters(steps, dispatchesTotal, encodeNanosTotal, submitNanosTotal, weightBytesTotal, uploadBytesTotal);
    }

    /** {@link Device#write} of host data, counted as this step's upload. */
    private void upload(Tensor dst, MemorySegment data) throws RullamaException {
        device.write(dst, 0, data);
        stepUploadBytes += data.byteSize();
    }

    private enum Head { NONE, LAST, ALL, GREEDY, SAMPLE }

    /** Every record of a step with this head, in order; built once per head (the program is fixed once constructed). */
    private final java.util.EnumMap<Head, List<Rec>> stepRecords = new java.util.EnumMap<>(Head.class);

    private List<Rec> steps(Head head) {
        return stepRecords.computeIfAbsent(head, hd -> {
            List<Rec> recs = new ArrayList<>(program);
            switch (hd) {
                case LAST -> recs.addAll(headLast);
                case ALL -> recs.addAll(headAll);
                case GREEDY -> {
                    recs.addAll(headLast);
                    recs.addAll(greedy);
                }
                case SAMPLE -> {
                    recs.addAll(headLast);
                    recs.addAll(sample);
                }
                case NONE -> { }
            }
            return List.copyOf(recs);
        });
    }

    /** One submit: the step's inputs, then every layer for {@code tokens} at the current position. */
    private void run(int[] tokens, int from, int T, Head head) throws RullamaException {
        if (position + T > context)
            throw new IllegalStateException("context of " + context + " positions is full (at " + position + ", " + T + " more tokens)");
        int[] part = java.util.Arrays.copyOfRange(tokens, from, from + T);
        for (int tok : part)
            if (tok < 0 || tok >= config.vocabSize())
                throw new IllegalArgumentException("token id " + tok + " is outside the vocabulary of " + config.vocabSize());
        stepWeightBytes = 0;
        stepUploadBytes = 0;
        upload(step, MemorySegment.ofArray(StepWords.of(position, draw)));
        upload(ids, MemorySegment.ofArray(part));
        if (!gpuEmbedding) {
            int d = config.embeddingLength();
            float[] rows = new float[T * d];
            float s = config.embeddingScale();
            for (int t = 0; t < T; t++) {
                float[] r = weights.tokenEmbedding().row(part[t]);
                for (int j = 0; j < d; j++) rows[t * d + j] = r[j] * s;
            }
            upload(x, MemorySegment.ofArray(rows));
        }
        if (config.hasPerLayerInputs()) {
            WeightMatrix table = weights.perLayerInputs().tokenEmbedding();
            int lp = table.cols();
            float tokScale = (float) Math.sqrt(config.perLayerInputLength());
            float[] rows = new float[T * lp];
            for (int t = 0; t < T; t++) {
                float[] r = table.row(part[t]);
                for (int j = 0; j < lp; j++) rows[t * lp + j] = r[j] * tokScale;
            }
            upload(plTok, MemorySegment.ofArray(rows));
        }
        expertLayersById = 0;
        expertLayersAll = 0;
        List<Rec> recs = steps(head);
        int dispatches = 0;
        long encode = 0, submit = 0;
        CommandBatch b = null;
        try {
            for (int i = 0; i < recs.size(); i++) {
                long t0 = System.nanoTime();
                if (b == null) b = device.newBatch();
                recs.get(i).record(b, T);
                long t1 = System.nanoTime();
                encode += t1 - t0;
                // submit every SUBMIT_EVERY dispatches: the GPU starts on the first layers while the CPU records
                // (and the backend translates) the rest
                if (i == recs.size() - 1 || submitEvery > 0 && b.dispatchCount() >= submitEvery) {
                    dispatches += b.dispatchCount();
                    CommandBatch full = b;
                    b = null;
                    full.submit();
                    submit += System.nanoTime() - t1;
                }
            }
        } catch (RullamaException | RuntimeException e) {
            if (b != null) b.close();
            throw e;
        }
        lastDispatches = dispatches;
        encodeNanosTotal += encode;
        submitNanosTotal += submit;
        steps++;
        dispatchesTotal += lastDispatches;
        weightBytesTotal += stepWeightBytes;
        uploadBytesTotal += stepUploadBytes;
        position += T;
    }

    float[] decode(int tok) throws RullamaException {
        run(new int[]{tok}, 0, 1, Head.LAST);
        return device.readFloats(logits);
    }

    int decodeGreedy(int tok) throws RullamaException {
        run(new int[]{tok}, 0, 1, Head.GREEDY);
        return device.readInts(token.window(0, DType.U32, 1))[0];
    }

    /** Samples with {@code params} ({@link TopKSampler#params}) after appending {@code tok}; only the id is read back. */
    int decodeSample(int tok, int[] params, int drawNumber) throws RullamaException {
        setSampling(params, drawNumber);
        run(new int[]{tok}, 0, 1, Head.SAMPLE);
        return device.readInts(token.window(0, DType.U32, 1))[0];
    }

    int prefillSample(int[] tokens, int[] params, int drawNumber) throws RullamaException {
        setSampling(params, drawNumber);
        prefillTo(tokens, Head.SAMPLE);
        return device.readInts(token.window(0, DType.U32, 1))[0];
    }

    private void setSampling(int[] params, int drawNumber) throws RullamaException {
        if (!java.util.Arrays.equals(params, lastSampleParams)) {
            device.write(sampleParams, params);
            lastSampleParams = params.clone();
        }
        draw = drawNumber;
    }

    float[] prefill(int[] tokens) throws RullamaException {
        prefillTo(tokens, Head.LAST);
        return device.readFloats(logits);
    }

    int prefillGreedy(int[] tokens) throws RullamaException {
        prefillTo(tokens, Head.GREEDY);
        return device.readInts(token.window(0, DType.U32, 1))[0];
    }

    private void prefillTo(int[] tokens, Head head) throws RullamaException {
        if (tokens.length == 0) throw new IllegalArgumentException("no tokens");
        for (int from = 0; from < tokens.length; from += chunk) {
            int n = Math.min(chunk, tokens.length - from);
            run(tokens, from, n, from + n == tokens.length ? head : Head.NONE);
        }
    }

    float[][] forwardAll(int[] tokens) throws RullamaException {
        int vocab = config.vocabSize();
        if (logitsAll == null) {
            logitsAll = f32("logits_all", (long) chunk * vocab);
            headAll.add(matmulOnly(weights.lmHead(), h, logitsAll));
            if (config.finalLogitSoftcap() > 0)
                headAll.add(elementwise(Elementwise.Op.SOFTCAP, model.dummy, logitsAll, T -> T * vocab, config.finalLogitSoftcap()));
        }
        float[][] out = new float[tokens.length][];
        for (int from = 0; from < tokens.length; from += chunk) {
            int n = Math.min(chunk, tokens.length - from);
            float[] z;
            if (n == 1) {
                run(tokens, from, 1, Head.LAST);
                z = device.readFloats(logits);
            } else {
                run(tokens, from, n, Head.ALL);
                z = device.readFloats(logitsAll.window(0, DType.F32, (long) n * vocab));
            }
            for (int t = 0; t < n; t++) out[from + t] = java.util.Arrays.copyOfRange(z, t * vocab, (t + 1) * vocab);
        }
        return out;
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception ignored) {
                // closing GPU handles does not fail in practice; keep freeing the rest
            }
        }
        owned.clear();
    }
}
