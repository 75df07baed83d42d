package dev.rullama.shaders;

import dev.rullama.api.DeviceLimits;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.ExpertMatVec.Mode;
import dev.rullama.shaders.ExpertMatVec.Shape;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The id-indexed expert product's shapes, parameters and binding rule (no GPU; the kernel itself is in the conformance suite). */
class ExpertMatVecTest {
    private static DeviceLimits limits(long binding) {
        return new DeviceLimits(binding, 1L << 40, 8, 49152, 1024, 1024, 65535, 256, 65536);
    }

    /** Gemma 4 26B-A4B: gate/up stack [2816, 1408, 128] Q4_K; the up half is rows 704.. of each expert. */
    @Test
    void gemma26bGateUpStackFitsAnH200BindingButNotLavapipes() {
        Shape up = new Shape(GgmlType.Q4_K, 128, 1408, 704, 704, 2816, 8, Mode.PER_SLOT);
        assertEquals(1584, up.rowBytes());
        assertEquals(128L * 1408 * 1584, up.stackBytes()); // 285,474,816 bytes
        assertTrue(ExpertMatVec.fits(up, limits(0xFFFF_FFFFL)), "4 GiB - 1 (H200), capped at 1 GiB");
        assertFalse(ExpertMatVec.fits(up, limits(128L << 20)), "128 MiB (lavapipe)");
        assertEquals(8, up.outputs(1));
        assertEquals(3 * 8, up.outputs(3));
    }

    @Test
    void paramsSelectTheSlotsAndTheRowsOfX() {
        Shape gate = new Shape(GgmlType.Q8_0, 6, 40, 3, 30, 96, 2, Mode.PER_SLOT);
        assertArrayEquals(new int[]{30, 96, 3 * 34, 40, 3, 6, 10, 2, 2, 0, 0, 0}, ExpertMatVec.params(gate, 5));
        Shape down = new Shape(GgmlType.Q8_0, 6, 40, 0, 40, 96, 2, Mode.WEIGHTED_SUM);
        // one output per token, x per slot
        assertArrayEquals(new int[]{40, 96, 3 * 34, 40, 0, 6, 5, 2, 1, 0, 0, 0}, ExpertMatVec.params(down, 5));
    }

    @Test
    void badShapesAreRejectedWithTheReason() {
        var cols = assertThrows(IllegalArgumentException.class, () -> new Shape(GgmlType.F16, 4, 8, 0, 8, 10, 2, Mode.PER_SLOT));
        assertTrue(cols.getMessage().contains("multiple of 4"), cols.getMessage());
        var rows = assertThrows(IllegalArgumentException.class, () -> new Shape(GgmlType.Q8_0, 4, 8, 4, 5, 32, 2, Mode.PER_SLOT));
        assertTrue(rows.getMessage().contains("not inside an expert of 8 rows"), rows.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Shape(GgmlType.Q4_K, 4, 8, 0, 8, 704, 2, Mode.PER_SLOT),
                "704 columns are not whole Q4_K blocks");
    }
}
