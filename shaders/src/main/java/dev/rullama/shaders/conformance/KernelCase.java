package dev.rullama.shaders.conformance;

import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.Grid;

import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One kernel at one shape: how to make fresh inputs, how to dispatch it, and what its Java reference says the
 * outputs must be. Every binding's data is given as raw 32-bit words (floats as their bits), so one harness
 * handles f32, integer and packed-quant operands alike.
 */
public interface KernelCase {
    String kernel();

    String shape();

    String dtype();

    Tolerance tolerance();

    KernelSpec spec();

    /** Fresh inputs for one run. */
    Prepared prepare(Random random, DeviceLimits limits);

    /**
     * @param bindings    per binding, in binding order: the words to upload (READ, UNIFORM) or an array of the
     *                    output's length whose contents are ignored (READ_WRITE: poisoned before the run)
     * @param grid        the dispatch
     * @param expected    binding index of each output → the reference result
     * @param initialized READ_WRITE bindings that start with their given words instead of the poison (an output the
     *                    kernel reads before it writes it); its guard words are still poisoned
     */
    record Prepared(List<int[]> bindings, Grid grid, Map<Integer, float[]> expected, java.util.Set<Integer> initialized) {
        Prepared(List<int[]> bindings, Grid grid, Map<Integer, float[]> expected) {
            this(bindings, grid, expected, java.util.Set.of());
        }
    }

    static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Float.floatToRawIntBits(values[i]);
        return out;
    }

    static float[] randomFloats(Random random, int n, float scale) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = (random.nextFloat() * 2 - 1) * scale;
        return out;
    }
}
