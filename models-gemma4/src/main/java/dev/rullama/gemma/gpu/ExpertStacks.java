package dev.rullama.gemma.gpu;

import dev.rullama.api.DeviceLimits;
import dev.rullama.gemma.GemmaConfig;
import dev.rullama.gemma.GemmaWeights;
import dev.rullama.gguf.GgufTensor;
import dev.rullama.shaders.ExpertMatVec;
import dev.rullama.shaders.ExpertMatVec.Mode;
import dev.rullama.shaders.ExpertMatVec.Shape;
import dev.rullama.shaders.QuantMatVec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One MoE layer's expert stacks (spec §4) as the GPU holds them, and which of the two expert paths of
 * {@link ForwardPass} they allow:
 * <ul>
 * <li><b>by id</b> ({@link ExpertMatVec}): every stack is uploaded whole and bound whole, so each stack must fit one
 * storage binding (min(maxStorageBufferBindingSize, {@link QuantMatVec#MAX_WINDOW_BYTES}); 128 MiB on lavapipe) and
 * its rows must have a multiple of 4 columns;</li>
 * <li><b>all experts</b> (one quantized product per expert): expert e's gate, up and down are bound as windows of the
 * same uploaded stacks, so each must start at a multiple of minStorageBufferOffsetAlignment.</li>
 * </ul>
 * When neither holds (a stack too large for a binding whose experts are not aligned either) the experts are uploaded
 * one copy per matrix as before ({@link #copies()}). Gate and up share the fused {@code ffn_gate_up_exps}
 * {@code [d, 2F, E]} (expert e's gate is rows {@code 2Fe..}, its up {@code 2Fe+F..}) or are the split legacy
 * {@code ffn_gate_exps}/{@code ffn_up_exps} {@code [d, F, E]}; down is {@code [F, d, E]}.
 */
record ExpertStacks(GgufTensor gate, GgufTensor up, GgufTensor down, int experts, int ffn, int width, int k,
                    boolean byId, boolean perExpertWindows) {
    private static final Logger LOG = LoggerFactory.getLogger(ExpertStacks.class);

    static ExpertStacks of(GemmaConfig c, GemmaWeights.Experts ex, DeviceLimits limits) {
        GemmaWeights.Expert first = ex.experts().getFirst();
        GgufTensor gate = first.gate().tensor(), up = first.up().tensor(), down = first.down().tensor();
        int e = c.expertCount(), f = c.expertFeedForwardLength(), d = c.embeddingLength(), k = c.expertUsedCount();
        ExpertStacks probe = new ExpertStacks(gate, up, down, e, f, d, k, false, false);
        boolean byId = d % 4 == 0 && f % 4 == 0 && probe.shapes().stream().allMatch(s -> ExpertMatVec.fits(s, limits));
        long align = Math.max(4, limits.minStorageBufferOffsetAlignment());
        boolean windows = true;
        for (int x = 0; x < e && windows; x++)
            windows = probe.gateRow(x) * gate.rowBytes() % align == 0 && probe.upRow(x) * up.rowBytes() % align == 0
                    && probe.downRow(x) * down.rowBytes() % align == 0;
        return new ExpertStacks(gate, up, down, e, f, d, k, byId, windows);
    }

    boolean fused() { return gate == up; }

    /** Rows of one expert in the gate/up stack: 2F fused, F split. */
    long gateUpRows() { return fused() ? 2L * ffn : ffn; }

    /** First row of expert e's gate, up and down in their stacks. */
    long gateRow(int e) { return e * gateUpRows(); }

    long upRow(int e) { return e * gateUpRows() + (fused() ? ffn : 0); }

    long downRow(int e) { return (long) width * e; }

    /** Whether the stacks are uploaded as per-expert copies (neither path can bind the whole stacks). */
    boolean copies() { return !byId && !perExpertWindows; }

    /** The distinct stack tensors. */
    List<GgufTensor> tensors() { return fused() ? List.of(gate, down) : List.of(gate, up, down); }

    /** The by-id products: gate and up one output per slot, down the router-weighted sum per token. */
    Shape gateShape() { return new Shape(gate.type(), experts, gateUpRows(), 0, ffn, width, k, Mode.PER_SLOT); }

    Shape upShape() { return new Shape(up.type(), experts, gateUpRows(), fused() ? ffn : 0, ffn, width, k, Mode.PER_SLOT); }

    Shape downShape() { return new Shape(down.type(), experts, width, 0, width, ffn, k, Mode.WEIGHTED_SUM); }

    private List<Shape> shapes() {
        List<Shape> out = new ArrayList<>();
        out.add(gateShape());
        out.add(upShape());
        out.add(downShape());
        return out;
    }

    /** Logs once per model why some layers bind only one expert path (the first such layer's reason and how many). */
    static void logPaths(Map<Integer, ExpertStacks> layers, DeviceLimits limits) {
        String first = null;
        int count = 0;
        for (Map.Entry<Integer, ExpertStacks> e : layers.entrySet()) {
            String why = e.getValue().onlyOnePathReason(limits);
            if (why == null) continue;
            if (first == null) first = "layer " + e.getKey() + ": " + why;
            count++;
        }
        if (first != null) LOG.info("MoE: {} of {} expert layers bind one expert path only; {}", count, layers.size(), first);
    }

    /** Why only one path is bound, for the log; null when both are. */
    String onlyOnePathReason(DeviceLimits limits) {
        long cap = Math.min(limits.maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES);
        if (!byId) return "expert stacks " + tensors().stream().map(t -> t.name() + " (" + t.byteSize() + " bytes)").toList()
                + " do not all fit one storage binding of " + cap + " bytes (or a row is not a multiple of 4 columns): every expert is computed for every token";
        if (!perExpertWindows) return "the experts of " + tensors().stream().map(GgufTensor::name).toList() + " do not start at multiples of the "
                + limits.minStorageBufferOffsetAlignment() + "-byte storage offset alignment: the routed experts are computed by id even for long prefill chunks";
        return null;
    }
}
