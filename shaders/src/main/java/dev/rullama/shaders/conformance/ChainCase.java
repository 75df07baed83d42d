package dev.rullama.shaders.conformance;

import dev.rullama.api.DeviceLimits;
import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.Grid;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A conformance case that a single out-of-place dispatch ({@link KernelCase}) cannot express: several dispatches
 * recorded into one batch (split-K attention and its combine, two-pass reductions), operands updated in place (RoPE,
 * residual adds, a KV cache whose other slots must survive), or integer outputs that must match exactly (token and
 * expert ids). {@link ChainHarness} runs it with the same poison and guard rules as {@link ConformanceHarness}.
 */
public interface ChainCase {
    String kernel();

    String shape();

    String dtype();

    /** Applies to the float outputs ({@link Prepared#expected}); integer outputs must match exactly. */
    Tolerance tolerance();

    Prepared prepare(Random random, DeviceLimits limits);

    /**
     * One tensor of the case.
     *
     * @param init    the words to upload, or null for an output that starts poisoned
     * @param words   its length in 32-bit words
     * @param uniform bound as a uniform (no guard words after it)
     */
    record Buffer(String name, int[] init, int words, boolean uniform) {
        public static Buffer input(String name, int[] words) { return new Buffer(name, words, words.length, false); }

        public static Buffer input(String name, float[] values) { return input(name, KernelCase.bits(values)); }

        public static Buffer uniform(String name, int[] words) { return new Buffer(name, words, words.length, true); }

        /** Starts as NaN poison: every element the case expects must be written. */
        public static Buffer output(String name, int words) { return new Buffer(name, null, words, false); }

        /** Starts with {@code words} and is updated in place: its whole expected content is compared. */
        public static Buffer inout(String name, float[] values) { return input(name, values); }

        @Override
        public String toString() { return name + "[" + words + "]" + (init == null ? " (poisoned)" : ""); }
    }

    /** One dispatch: {@code buffers[i]} is the index (into {@link Prepared#buffers}) bound to the spec's binding i. */
    record Dispatch(KernelSpec spec, int[] buffers, Grid grid) {
        @Override
        public String toString() { return spec.name() + " " + Arrays.toString(buffers) + " " + grid; }
    }

    /**
     * @param expected buffer index → the reference floats of its first elements (compared with the tolerance)
     * @param exact    buffer index → the words its first elements must hold exactly
     */
    record Prepared(List<Buffer> buffers, List<Dispatch> dispatches, Map<Integer, float[]> expected, Map<Integer, int[]> exact) {}
}
