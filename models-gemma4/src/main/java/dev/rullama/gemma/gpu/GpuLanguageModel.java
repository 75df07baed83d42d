package dev.rullama.gemma.gpu;

import dev.rullama.api.Backend;
import dev.rullama.api.DType;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.OutOfDeviceMemoryException;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gemma.LayerConfig;
import dev.rullama.gemma.WeightMatrix;
import dev.rullama.gemma.runtime.InferenceSession;
import dev.rullama.gemma.runtime.LanguageModel;
import dev.rullama.gemma.sampling.SamplingConfig;
import dev.rullama.shaders.ops.TopKSampler;
import dev.rullama.gguf.GgufFile;
import dev.rullama.gguf.GgufTensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gemma 4 / Gemma 3 on a GPU {@link Device}: the forward pass of {@code dev.rullama.gemma.reference.ReferenceModel},
 * op for op, as WGSL kernels from {@code rullama-shaders}. Weights are uploaded exactly as the GGUF stores them (raw
 * bytes in U32 tensors, decoded on the fly by the quantized matrix kernels); norm vectors as F32; the per-layer token
 * table of E models stays in the mapped file and only the rows of the step's tokens are uploaded.
 *
 * <pre>{@code
 * Device device = Backends.discover().select(name).open(DeviceOptions.defaults());
 * GgufFile file = GgufFile.open(path);
 * GemmaConfig config = GemmaConfig.from(file);
 * try (GpuLanguageModel model = GpuLanguageModel.load(file, config, device, 4096)) {
 *     GpuLanguageModel.Session s = model.newSession(4096);
 *     float[] logits = s.prefill(promptIds);
 *     int next = s.decodeGreedy(token); // argmax on the GPU, only the id comes back
 * }
 * }</pre>
 *
 * <p>Memory: before allocating anything the model estimates weights + KV cache of {@code maxContext} + activations and
 * throws {@link OutOfDeviceMemoryException} when that exceeds the budget ({@link #budgetBytes}): the system property
 * {@value #BUDGET_PROPERTY} (bytes) if set, else {@value #DEFAULT_BUFFERS} × {@code limits.maxBufferSize} (WebGPU does
 * not report the adapter's memory; the largest buffer is the only size the adapter admits to). A single tensor larger
 * than {@code maxBufferSize} is rejected the same way.
 *
 * <p>Not thread-safe; the device is driven by one thread. Keep {@code file} and {@code device} open while the model is
 * used; {@link #close()} frees the model's tensors, not the device.
 */
public final class GpuLanguageModel implements LanguageModel {
    public static final String BUDGET_PROPERTY = "rullama.gpu.memoryBudget";
    public static final int DEFAULT_BUFFERS = 8;
    /** Prefill tokens per submit: see {@link #chunkFor}. */
    public static final String CHUNK_PROPERTY = "rullama.gpu.chunk";
    static final int DEFAULT_CHUNK = 256;
    static final int MAX_CHUNK = 1024;

    final Device device;
    final GemmaConfig config;
    /** Tokens one forward submit processes at most; longer prefills are split (sizes the activations and sliding rings). */
    final int chunk;
    final GemmaWeights weights;
    private final Map<GgufTensor, Tensor> uploaded = new IdentityHashMap<>();
    /** FFN gate tensor → one buffer holding the gate's bytes and then the up's (see {@link #uploadGateUp}). */
    private final Map<GgufTensor, Tensor> gateUp = new IdentityHashMap<>();
    private final Map<String, Tensor> byName = new LinkedHashMap<>();
    private final Map<WeightMatrix, Tensor> experts = new IdentityHashMap<>();
    private final Map<Integer, ExpertStacks> expertStacks = new LinkedHashMap<>();
    private final Map<float[], Tensor> vectors = new IdentityHashMap<>();
    private final List<Tensor> owned = new ArrayList<>();
    final Tensor dummy;
    private final long budget;
    private final long weightBytes;
    private final long decodeWeightBytesTopK;
    private boolean ownsDevice;
    private static final long UPLOAD_PIECE = 64L << 20;
    private LoadProgress progress = LoadProgress.NONE;
    private long uploadedBytes;

    private GpuLanguageModel(Device device, GemmaConfig config, GemmaWeights weights, long budget, long weightBytes, int chunk)
            throws RullamaException {
        this.device = device;
        this.chunk = chunk;
        this.config = config;
        this.weights = weights;
        this.budget = budget;
        this.weightBytes = weightBytes;
        this.decodeWeightBytesTopK = decodeWeightBytesTopK(weights, config);
        this.dummy = own(device.upload("dummy", new float[4]));
    }

    /**
     * Opens a device of {@code backend} and loads the model on it; {@link #close()} also closes that device. This is
     * what a front end calls: {@code GpuLanguageModel.open(Backends.discover().select(name), DeviceOptions.defaults(),
     * file, GemmaConfig.from(file), ctx)}.
     */
    public static GpuLanguageModel open(Backend backend, DeviceOptions options, GgufFile file, GemmaConfig config, int maxContext)
            throws RullamaException {
        return open(backend, options, file, config, maxContext, LoadProgress.NONE);
    }

    /** As {@link #open(Backend, DeviceOptions, GgufFile, GemmaConfig, int)}, reporting the weight upload to {@code progress}. */
    public static GpuLanguageModel open(Backend backend, DeviceOptions options, GgufFile file, GemmaConfig config, int maxContext,
                                        LoadProgress progress) throws RullamaException {
        Device device = backend.open(options);
        try {
            GpuLanguageModel m = load(file, config, device, maxContext, budgetBytes(device.limits()), progress);
            m.ownsDevice = true;
            return m;
        } catch (RullamaException | RuntimeException e) {
            device.close();
            throw e;
        }
    }

    /** Loads with room for sessions of up to {@code maxContext} positions. */
    public static GpuLanguageModel load(GgufFile file, GemmaConfig config, Device device, int maxContext) throws RullamaException {
        return load(file, config, device, maxContext, budgetBytes(device.limits()));
    }

    /** As {@link #load(GgufFile, GemmaConfig, Device, int)} with an explicit memory budget in bytes. */
    public static GpuLanguageModel load(GgufFile file, GemmaConfig config, Device device, int maxContext, long budget) throws RullamaException {
        return load(file, config, device, maxContext, budget, LoadProgress.NONE);
    }

    /** Progress of the weight upload: bytes uploaded so far of the total; called on the loading thread. */
    @FunctionalInterface
    public interface LoadProgress {
        LoadProgress NONE = (done, total) -> {};

        void update(long uploadedBytes, long totalBytes);
    }

    /** As {@link #load(GgufFile, GemmaConfig, Device, int, long)}, reporting the weight upload to {@code progress}. */
    public static GpuLanguageModel load(GgufFile file, GemmaConfig config, Device device, int maxContext, long budget,
                                        LoadProgress progress) throws RullamaException {
        GemmaWeights w = GemmaWeights.bind(file, config);
        List<GgufTensor> whole = new ArrayList<>(gpuMatrices(w));
        Map<Integer, ExpertStacks> stacks = new LinkedHashMap<>();
        long wb = 0;
        for (int i = 0; i < config.blockCount(); i++) {
            GemmaWeights.Experts ex = w.layer(i).experts();
            if (ex == null) continue;
            ExpertStacks st = ExpertStacks.of(config, ex, device.limits());
            stacks.put(i, st);
            if (!st.copies()) whole.addAll(st.tensors());
            else for (GemmaWeights.Expert e : ex.experts())
                wb += 4 * (words(e.gate().rows() * e.gate().tensor().rowBytes()) + words(e.up().rows() * e.up().tensor().rowBytes())
                        + words(e.down().rows() * e.down().tensor().rowBytes()));
        }
        for (GgufTensor t : whole) {
            long bytes = words(t.byteSize()) * 4;
            if (bytes > device.limits().maxBufferSize())
                throw new OutOfDeviceMemoryException("tensor " + t.name() + " needs " + bytes + " bytes, more than the adapter's largest buffer ("
                        + device.limits().maxBufferSize() + "); use a smaller quantization");
            wb += bytes;
        }
        ExpertStacks.logPaths(stacks, device.limits());
        int chunk = chunkFor(config.vocabSize(), device.limits());
        ForwardPass.expertsById(); // a bad -Drullama.gpu.experts or .submitEvery fails here, before any upload
        ForwardPass.submitEvery();
        long need = wb + sessionBytes(config, maxContext, chunk);
        if (need > budget)
            throw new OutOfDeviceMemoryException(String.format("the model needs about %.1f MiB on the GPU (weights %.1f MiB + KV cache and activations for a context of %d), more than the budget of %.1f MiB; try a smaller --ctx or a smaller quantization (budget: -D%s=bytes)",
                    need / 1048576.0, wb / 1048576.0, maxContext, budget / 1048576.0, BUDGET_PROPERTY));
        GpuLanguageModel m = new GpuLanguageModel(device, config, w, budget, wb, chunk);
        m.progress = progress;
        try {
            for (GemmaWeights.Layer l : w.layers()) m.uploadGateUp(l.ffnGate(), l.ffnUp());
            for (GgufTensor t : gpuMatrices(w)) m.uploadRaw(t);
            for (Map.Entry<Integer, ExpertStacks> e : stacks.entrySet()) m.uploadExperts(e.getKey(), w.layer(e.getKey()).experts(), e.getValue());
            progress.update(wb, wb);
        } catch (RullamaException | RuntimeException e) {
            m.close();
            throw e;
        }
        return m;
    }

    /** The memory budget: {@value #BUDGET_PROPERTY} if set, else {@value #DEFAULT_BUFFERS} × maxBufferSize. */
    public static long budgetBytes(DeviceLimits limits) {
        long b = limits.maxBufferSize();
        long fallback = b > Long.MAX_VALUE / DEFAULT_BUFFERS ? Long.MAX_VALUE : b * DEFAULT_BUFFERS;
        return numberProperty(BUDGET_PROPERTY, fallback, 1, Long.MAX_VALUE, "a positive number of bytes");
    }

    /**
     * A numeric {@code -D} tuning property: {@code fallback} when unset or blank, else a whole number from {@code min} to
     * {@code max}; anything else is a one-line error naming the property, its value and what it {@code expected}.
     */
    static long numberProperty(String name, long fallback, long min, long max, String expected) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) return fallback;
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // reported below, with the property's name
        }
        throw new IllegalArgumentException("-D" + name + "=" + v + ": expected " + expected);
    }

    /** Every matrix that lives on the GPU (the per-layer token table of E models stays in the file). */
    private static List<GgufTensor> gpuMatrices(GemmaWeights w) {
        List<GgufTensor> out = new ArrayList<>();
        java.util.function.Consumer<WeightMatrix> add = m -> {
            if (m != null && !out.contains(m.tensor())) out.add(m.tensor());
        };
        add.accept(w.tokenEmbedding());
        add.accept(w.lmHead());
        if (w.perLayerInputs() != null) add.accept(w.perLayerInputs().modelProjection());
        for (GemmaWeights.Layer l : w.layers()) {
            add.accept(l.q());
            add.accept(l.k());
            add.accept(l.v());
            add.accept(l.attnOutput());
            add.accept(l.ffnGate());
            add.accept(l.ffnUp());
            add.accept(l.ffnDown());
            if (l.experts() != null) add.accept(l.experts().router());
            if (l.perLayer() != null) {
                add.accept(l.perLayer().inputGate());
                add.accept(l.perLayer().projection());
            }
        }
        return out;
    }

    private static long words(long bytes) { return (bytes + 3) / 4; }

    /** Bytes of a matrix's rows as stored (what one product with it reads). */
    static long matrixBytes(WeightMatrix m) { return (long) m.rows() * m.tensor().rowBytes(); }

    /**
     * Weight bytes one decode step has to read: every matrix the step multiplies (Q, K and V of the layers that own
     * their KV cache, attention output, the FFN, the MoE router, the PLE gate and projections, the LM head) plus, for
     * MoE layers, k of the E experts (k/E of the expert bytes: what a top-k kernel reads). The embedding row
     * gathered on the GPU and the rows uploaded from the CPU (PLE table, CPU-side embeddings) are not counted.
     */
    static long decodeWeightBytesTopK(GemmaWeights w, GemmaConfig c) {
        long sum = matrixBytes(w.lmHead());
        if (w.perLayerInputs() != null) sum += matrixBytes(w.perLayerInputs().modelProjection());
        for (LayerConfig lc : c.layers()) {
            GemmaWeights.Layer l = w.layer(lc.index());
            sum += matrixBytes(l.q()) + matrixBytes(l.attnOutput()) + matrixBytes(l.ffnGate()) + matrixBytes(l.ffnUp()) + matrixBytes(l.ffnDown());
            if (lc.ownsKv()) {
                sum += matrixBytes(l.k());
                if (!lc.kEqualsV()) sum += matrixBytes(l.v());
            }
            if (l.perLayer() != null) sum += matrixBytes(l.perLayer().inputGate()) + matrixBytes(l.perLayer().projection());
            if (l.experts() != null) {
                sum += matrixBytes(l.experts().router());
                long all = 0;
                for (GemmaWeights.Expert e : l.experts().experts()) all += matrixBytes(e.gate()) + matrixBytes(e.up()) + matrixBytes(e.down());
                sum += all * c.expertUsedCount() / c.expertCount();
            }
        }
        return sum;
    }

    /**
     * Prefill tokens per forward submit: {@value #CHUNK_PROPERTY} if set (1..{@value #MAX_CHUNK}), else
     * {@value #DEFAULT_CHUNK}; lowered where the all-positions logits {@code [chunk][vocab]} would not fit one storage
     * binding (128 MiB on lavapipe: 128 tokens for a 262144-token vocabulary). Longer chunks keep a large GPU busy in
     * the prefill products (E2B pp512 on an H200: 862 t/s with 64, 1111 with 256). A session's activations grow with it,
     * and a session that evaluates every position ({@code eval}) also holds {@code 4·chunk·vocab} bytes of logits.
     */
    static int chunkFor(int vocab, DeviceLimits limits) {
        long c = numberProperty(CHUNK_PROPERTY, DEFAULT_CHUNK, 1, MAX_CHUNK, "a token count from 1 to " + MAX_CHUNK);
        long fit = Math.min(limits.maxStorageBufferBindingSize(), limits.maxBufferSize()) / (4L * Math.max(1, vocab));
        return (int) Math.max(1, Math.min(c, fit));
    }

    /**
     * KV cache of {@code context} positions plus activations and logits for {@code chunk}-token submits, in bytes (the
     * all-positions logits included, which only an evaluating session allocates).
     */
    static long sessionBytes(GemmaConfig c, int context, int chunk) {
        long kv = 0;
        int maxQ = 0, maxKv = 0, maxF = 0;
        for (LayerConfig l : c.layers()) {
            maxQ = Math.max(maxQ, l.queryWidth());
            maxKv = Math.max(maxKv, l.kvWidth());
            maxF = Math.max(maxF, l.ffnWidth());
            if (l.ownsKv()) kv += 2L * 4 * ring(l, context, chunk) * l.kvWidth();
        }
        long d = c.embeddingLength();
        long lp = (long) c.blockCount() * c.perLayerInputLength();
        long act = 4L * chunk * (4 * d + 3L * maxQ + 5L * maxKv + 2L * maxF + 4 * lp + 2L * c.perLayerInputLength());
        if (c.expertCount() > 0)
            act += 4L * chunk * (6 * d + 2L * c.expertUsedCount() * c.expertFeedForwardLength() + c.expertCount() + 2L * c.expertUsedCount());
        long logits = 4L * (chunk + 1) * c.vocabSize();
        return kv + act + logits;
    }

    /** Slots of a layer's cache: a ring of window + chunk - 1 on sliding layers whose window is shorter than the context. */
    static int ring(LayerConfig l, int context, int chunk) {
        if (!l.sliding() || l.window() >= context) return context;
        return l.window() + chunk - 1; // may exceed the context: a batch of chunk tokens still needs window - 1 older keys
    }

    /** Tokens per forward submit ({@link #chunkFor}). */
    public int chunk() { return chunk; }

    private void uploadRaw(GgufTensor t) throws RullamaException {
        if (uploaded.containsKey(t)) return;
        Tensor g = own(device.createTensor(t.name(), DType.U32, words(t.byteSize())));
        writeBytes(g, 0, t.data(), t.byteSize());
        uploaded.put(t, g);
        byName.put(t.name(), g);
    }

    /** Writes {@code bytes} bytes of {@code data} at {@code offset} (a multiple of 4), the last partial word zero-padded. */
    private void writeBytes(Tensor g, long offset, MemorySegment data, long bytes) throws RullamaException {
        long whole = bytes & ~3L;
        // in pieces of at most UPLOAD_PIECE bytes: bounded staging memory in the backend, and progress to report
        for (long at = 0; at < whole; at += UPLOAD_PIECE) {
            long n = Math.min(UPLOAD_PIECE, whole - at);
            device.write(g, offset + at, data.asSlice(at, n));
            uploadedBytes += n;
            progress.update(uploadedBytes, weightBytes);
        }
        if (whole < bytes) {
            byte[] tail = new byte[4];
            MemorySegment.copy(data, whole, MemorySegment.ofArray(tail), 0, bytes - whole);
            device.write(g, offset + whole, MemorySegment.ofArray(tail));
        }
    }

    /**
     * Uploads a dense FFN's gate and up matrices into ONE buffer, the gate's bytes and then the up's, so that decode
     * computes {@code gelu(gate·x)·(up·x)} in one dispatch ({@code QuantMatVec.bindGlu}); each matrix stays
     * addressable on its own as a window (prefill). Only when both have the same type and shape and the up's start
     * is a valid binding offset; otherwise they are uploaded apart as usual.
     */
    private void uploadGateUp(WeightMatrix gate, WeightMatrix up) throws RullamaException {
        if (gate == null || up == null) return;
        GgufTensor g = gate.tensor(), u = up.tensor();
        if (g == u || uploaded.containsKey(g) || uploaded.containsKey(u) || g.type() != u.type()
                || gate.rows() != up.rows() || gate.cols() != up.cols() || g.byteSize() != u.byteSize()
                || g.byteSize() % Math.max(4, device.limits().minStorageBufferOffsetAlignment()) != 0) return;
        long bytes = g.byteSize();
        Tensor pair = own(device.createTensor(g.name() + "+up", DType.U32, 2 * words(bytes)));
        writeBytes(pair, 0, g.data(), bytes);
        writeBytes(pair, bytes, u.data(), bytes);
        Tensor gw = pair.window(0, DType.U32, words(bytes)), uw = pair.window(bytes, DType.U32, words(bytes));
        uploaded.put(g, gw);
        uploaded.put(u, uw);
        byName.put(g.name(), gw);
        byName.put(u.name(), uw);
        gateUp.put(g, pair);
    }

    /** The buffer holding {@code gate}'s bytes followed by its up matrix's, or null when they were uploaded apart. */
    Tensor gateUpPair(WeightMatrix gate) {
        return gateUp.get(gate.tensor());
    }

    /**
     * A layer's expert stacks ({@link ExpertStacks}): each stack tensor uploaded once, whole, as raw bytes; expert e's
     * gate, up and down for the all-experts path are windows of it ({@link Tensor#window}) when they start at aligned
     * offsets. Only when the stacks allow neither path is every expert's matrix uploaded as a copy of its own.
     */
    private void uploadExperts(int layer, GemmaWeights.Experts ex, ExpertStacks st) throws RullamaException {
        expertStacks.put(layer, st);
        int f = config.expertFeedForwardLength(), d = config.embeddingLength();
        if (!st.copies()) for (GgufTensor t : st.tensors()) uploadRaw(t);
        for (int e = 0; e < ex.experts().size(); e++) {
            GemmaWeights.Expert x = ex.experts().get(e);
            if (st.perExpertWindows()) {
                experts.put(x.gate(), window(x.gate().tensor(), st.gateRow(e), f));
                experts.put(x.up(), window(x.up().tensor(), st.upRow(e), f));
                experts.put(x.down(), window(x.down().tensor(), st.downRow(e), d));
            } else if (st.copies()) {
                experts.put(x.gate(), slice("blk." + layer + ".exp" + e + ".gate", x.gate().tensor(), st.gateRow(e), f));
                experts.put(x.up(), slice("blk." + layer + ".exp" + e + ".up", x.up().tensor(), st.upRow(e), f));
                experts.put(x.down(), slice("blk." + layer + ".exp" + e + ".down", x.down().tensor(), st.downRow(e), d));
            }
        }
    }

    private Tensor window(GgufTensor t, long firstRow, long rows) {
        return uploaded.get(t).window(firstRow * t.rowBytes(), DType.U32, words(rows * t.rowBytes()));
    }

    private Tensor slice(String label, GgufTensor t, long firstRow, long rows) throws RullamaException {
        long rb = t.rowBytes();
        long bytes = rows * rb;
        Tensor g = own(device.createTensor(label, DType.U32, words(bytes)));
        writeBytes(g, 0, t.data().asSlice(firstRow * rb, bytes), bytes);
        return g;
    }

    /** The uploaded raw bytes of a matrix. */
    Tensor raw(WeightMatrix m) {
        Tensor t = experts.get(m);
        if (t == null) t = uploaded.get(m.tensor());
        if (t == null) throw new IllegalStateException(m.name() + " was not uploaded");
        return t;
    }

    /** The expert stacks of MoE layer {@code layer}, as uploaded. */
    ExpertStacks expertStacks(int layer) { return expertStacks.get(layer); }

    /** The whole uploaded stack tensor {@code t} (raw bytes); see {@link ExpertStacks}. */
    Tensor stack(GgufTensor t) {
        Tensor g = uploaded.get(t);
        if (g == null) throw new IllegalStateException(t.name() + " was not uploaded whole");
        return g;
    }

    /** A small F32 vector (norm weights, scales), uploaded once. */
    Tensor vector(String label, float[] v) throws RullamaException {
        if (v == null) return null;
        Tensor t = vectors.get(v);
        if (t == null) {
            t = own(device.upload(label, v));
            vectors.put(v, t);
        }
        return t;
    }

    Tensor own(Tensor t) {
        owned.add(t);
        return t;
    }

    /** Bytes of uploaded weights. */
    public long weightBytes() { return weightBytes; }

    /**
     * Weight bytes one decode token must read with an ideal top-k MoE kernel (experts at k/E; equal to what the
     * forward pass reads for dense models). {@link Session#counters()} says what the implementation actually read.
     */
    public long decodeWeightBytesTopK() { return decodeWeightBytesTopK; }

    /**
     * What a session's submits did so far, cumulative (difference two snapshots to measure a span).
     *
     * @param steps           forward submits (one per decode token; one per chunk of prompt tokens, see {@link #chunkFor})
     * @param dispatches      kernel dispatches recorded
     * @param encodeNanos     CPU time spent recording the submits' command batches (after the inputs were written,
     *                        until just before submit)
     * @param weightBytesRead bytes of weight matrices the recorded matrix products bind and read (each once per submit)
     * @param uploadBytes     bytes written from the host for the steps: position, token ids, and the rows the CPU
     *                        supplies (the per-layer token embeddings of E models, embeddings of types without a GPU gather)
     */
    public record StepCounters(long steps, long dispatches, long encodeNanos, long submitNanos, long weightBytesRead, long uploadBytes) {
        /** {@code this - earlier}, field by field. */
        public StepCounters minus(StepCounters earlier) {
            return new StepCounters(steps - earlier.steps, dispatches - earlier.dispatches, encodeNanos - earlier.encodeNanos,
                    submitNanos - earlier.submitNanos, weightBytesRead - earlier.weightBytesRead, uploadBytes - earlier.uploadBytes);
        }
    }

    /** The budget this model was checked against. */
    public long budget() { return budget; }

    public Device device() { return device; }

    public GemmaWeights weights() { return weights; }

    @Override
    public GemmaConfig config() { return config; }

    @Override
    public String engine() { return device.backendName() + " (" + device.adapter().displayName() + ", " + device.adapter().type() + ")"; }

    /**
     * A fresh conversation: allocates its KV cache and activations and binds every kernel once.
     *
     * @throws OutOfDeviceMemoryException when the session does not fit the budget next to the weights
     */
    @Override
    public Session newSession(int contextLength) {
        try {
            if (contextLength <= 0) throw new IllegalArgumentException("context length " + contextLength);
            if (config.contextLength() > 0 && contextLength > config.contextLength())
                throw new IllegalArgumentException("context length " + contextLength + " exceeds the model's trained " + config.contextLength());
            long need = weightBytes + sessionBytes(config, contextLength, chunk);
            if (need > budget)
                throw new OutOfDeviceMemoryException(String.format("a context of %d needs about %.1f MiB on the GPU with the weights, more than the budget of %.1f MiB; try a smaller --ctx or a smaller quantization",
                        contextLength, need / 1048576.0, budget / 1048576.0));
            return new Session(this, contextLength);
        } catch (RullamaException e) {
            throw new GpuRuntimeException(e);
        }
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).close();
        owned.clear();
        uploaded.clear();
        experts.clear();
        expertStacks.clear();
        vectors.clear();
        if (ownsDevice) {
            ownsDevice = false;
            device.close();
        }
    }

    /** A {@link RullamaException} from the GPU, unchecked because {@link InferenceSession} declares none. */
    public static final class GpuRuntimeException extends RuntimeException {
        public GpuRuntimeException(RullamaException cause) { super(cause.getMessage(), cause); }

        @Override
        public synchronized RullamaException getCause() { return (RullamaException) super.getCause(); }
    }

    /** One conversation on the GPU; see {@link ForwardPass}. */
    public static final class Session implements InferenceSession, dev.rullama.gemma.runtime.DeviceSampling {
        private final ForwardPass pass;
        private final int vocab;

        Session(GpuLanguageModel model, int contextLength) throws RullamaException {
            this.pass = new ForwardPass(model, contextLength);
            this.vocab = model.config.vocabSize();
        }

        @Override
        public int position() { return pass.position(); }

        @Override
        public int contextLength() { return pass.contextLength(); }

        @Override
        public float[] prefill(int[] tokens) {
            try {
                return pass.prefill(tokens);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        @Override
        public float[] decode(int token) {
            try {
                return pass.decode(token);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        /** Appends one token and returns the argmax of the next logits, computed on the GPU (only the id is read back). */
        public int decodeGreedy(int token) {
            try {
                return pass.decodeGreedy(token);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        /** Greedy, or top-k up to {@value TopKSampler#MAX_K} with temperature, top-p and min-p; no penalties. */
        @Override
        public boolean samplesOnDevice(SamplingConfig c) {
            return !c.hasPenalties() && (c.isGreedy() || c.topK() >= 1 && c.topK() <= TopKSampler.MAX_K);
        }

        @Override
        public int prefillSample(int[] tokens, SamplingConfig c, int draw) {
            try {
                return c.isGreedy() ? pass.prefillGreedy(tokens) : pass.prefillSample(tokens, sampleParams(c), draw);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        @Override
        public int decodeSample(int token, SamplingConfig c, int draw) {
            try {
                return c.isGreedy() ? pass.decodeGreedy(token) : pass.decodeSample(token, sampleParams(c), draw);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        private int[] sampleParams(SamplingConfig c) {
            if (!samplesOnDevice(c)) throw new IllegalArgumentException("this sampling configuration needs the CPU sampler: " + c);
            // the seed's two halves folded into the RNG's 32-bit seed
            return TopKSampler.params(vocab, TopKSampler.groups(vocab, ForwardPass.SAMPLE_WG), c.topK(), c.temperature(), c.topP(), c.minP(),
                    (int) (c.seed() ^ (c.seed() >>> 32)), 1);
        }

        /** Appends {@code tokens} and returns the GPU argmax after the last one. */
        public int prefillGreedy(int[] tokens) {
            try {
                return pass.prefillGreedy(tokens);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        @Override
        public float[][] forwardAll(int[] tokens) {
            try {
                return pass.forwardAll(tokens);
            } catch (RullamaException e) {
                throw new GpuRuntimeException(e);
            }
        }

        /** Dispatches recorded by the last submit (one decode step: every layer's kernels). */
        public int lastDispatchCount() { return pass.lastDispatchCount(); }

        /** MoE layers whose experts the last submit computed by id; see {@code ForwardPass.experts}. */
        int lastExpertLayersById() { return pass.lastExpertLayersById(); }

        /** MoE layers whose experts the last submit computed with the all-experts path. */
        int lastExpertLayersAll() { return pass.lastExpertLayersAll(); }

        /** Tests only: forces the expert path (TRUE by id, FALSE all experts) where both are bound; null restores the rule. */
        void forceExpertPath(Boolean byId) { pass.forceExpertPath(byId); }

        /** This session's cumulative counters (see {@link StepCounters}). */
        public StepCounters counters() { return pass.counters(); }

        @Override
        public void close() { pass.close(); }
    }
}
