package dev.rullama.shaders.quant;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.Device;
import dev.rullama.api.RullamaException;
import dev.rullama.api.Tensor;
import dev.rullama.shaders.Grid;

import java.util.List;

/**
 * One quantized matrix–vector (or matrix–matrix) product bound once for reuse every token: one bound kernel per
 * {@link RowWindow} of the weights, each with its own slot of a small uniform tensor holding that window's
 * parameters, and the grid each window is dispatched with. {@link #record} appends all windows' dispatches to a
 * batch; they write disjoint rows of the output, so their order does not matter.
 *
 * <p>Made by {@code QuantMatVec.bind} / {@code QuantMatVec.bindMatmul}. Closing it releases the bind groups and
 * the parameter tensor, not the weights, x or y.
 */
public final class WindowedMatVec implements AutoCloseable {
    /** A window's bound kernel and grid. */
    public record Dispatch(RowWindow window, BoundKernel kernel, Grid grid) {}

    /** Rewrites one window's parameters and grid (for the prefill kernel's token count). */
    @FunctionalInterface
    public interface Retarget {
        Grid apply(Device device, RowWindow window, Tensor paramsSlot, int tokens) throws RullamaException;
    }

    private final List<Dispatch> dispatches;
    private final List<Tensor> paramSlots;
    private final Tensor params;
    private final Retarget retarget;
    private Grid[] grids;

    public WindowedMatVec(List<Dispatch> dispatches, List<Tensor> paramSlots, Tensor params, Retarget retarget) {
        this.dispatches = List.copyOf(dispatches);
        this.paramSlots = List.copyOf(paramSlots);
        this.params = params;
        this.retarget = retarget;
        this.grids = dispatches.stream().map(Dispatch::grid).toArray(Grid[]::new);
    }

    /** The bound kernels, one per window, in row order. */
    public List<BoundKernel> kernels() { return dispatches.stream().map(Dispatch::kernel).toList(); }

    public List<Dispatch> dispatches() { return dispatches; }

    /** Records every window's dispatch. */
    public CommandBatch record(CommandBatch batch) {
        for (int i = 0; i < dispatches.size(); i++) {
            Grid g = grids[i];
            batch.dispatch(dispatches.get(i).kernel(), g.x(), g.y(), g.z());
        }
        return batch;
    }

    /**
     * Prefill only: sets the number of tokens (≤ the count X and Y were sized for). Rewrites the parameter tensor
     * through the queue, so it applies to batches submitted afterwards, including one already being recorded.
     */
    public void setTokens(Device device, int tokens) throws RullamaException {
        if (retarget == null) throw new IllegalStateException("a matrix-vector product has no token count");
        for (int i = 0; i < dispatches.size(); i++) grids[i] = retarget.apply(device, dispatches.get(i).window(), paramSlots.get(i), tokens);
    }

    @Override
    public void close() {
        for (Dispatch d : dispatches) d.kernel().close();
        params.close();
    }
}
