package dev.rullama.shaders.ops;

import dev.rullama.api.KernelSpec;
import dev.rullama.shaders.WgslSource;

import java.util.Map;

/**
 * A plain storage-to-storage copy of vec4&lt;u32&gt; words ({@code copy.wgsl}): the memory bandwidth probe of
 * {@code rullama bench}. Copying n vec4s moves {@code 32 n} bytes (16 read + 16 written per element), all coalesced, so
 * its throughput is what the device's memory sustains for a kernel, the ceiling the weight reads of decode are
 * compared with.
 */
public final class CopyVec4 {
    public static final String FILE = "copy";
    /** Bytes of one element. */
    public static final int ELEMENT_BYTES = 16;

    private CopyVec4() {}

    /** Bindings: params, src, dst. */
    public static KernelSpec spec(int workgroupSize) {
        return new KernelSpec("copy_vec4", WgslSource.load(FILE), "main", Map.of("WG", (double) workgroupSize),
                Bindings.of("params:U", "src:R", "dst:W"));
    }

    /** The uniform block: n (vec4 elements), padding. */
    public static int[] params(long vec4s) {
        Bindings.require(vec4s >= 1 && vec4s <= 0xFFFF_FFFFL, "a copy of " + vec4s + " vec4s does not fit a u32 count");
        return new int[]{(int) vec4s, 0, 0, 0};
    }

    public static long workgroups(long vec4s, int workgroupSize) {
        return Math.max(1, Bindings.ceilDiv(vec4s, workgroupSize));
    }

    /** Reference: the first {@code 4 * vec4s} words of {@code src}. */
    public static int[] reference(int[] src, int vec4s) {
        return java.util.Arrays.copyOf(src, 4 * vec4s);
    }
}
