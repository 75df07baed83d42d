package dev.rullama.shaders;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WgslSourceTest {
    @Test
    void includesAreExpandedOnceAndKeepTheIncludersLineNumbers() {
        String raw = WgslSource.load("matvec_f32");
        assertFalse(raw.lines().anyMatch(l -> l.startsWith("#include")), "no include directive may reach the compiler");
        assertTrue(raw.contains("fn workgroup_sum("), "reduce.wgsl is inlined");
        assertEquals(1, raw.split("fn workgroup_sum\\(", -1).length - 1, "inlined exactly once");
        // the kernel's own text comes first, unchanged, so compiler line numbers refer to matvec_f32.wgsl
        assertTrue(raw.startsWith("// Matrix-vector product"), raw.substring(0, 40));
    }

    @Test
    void unknownKernelIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WgslSource.load("no_such_kernel"));
        assertTrue(e.getMessage().contains("no_such_kernel.wgsl"), e.getMessage());
    }

    @Test
    void referencesAgreeWithHandComputedValues() {
        // y = x / sqrt(mean(x^2) + eps) * w: x = (3, 4) -> mean 12.5 -> scale 1/sqrt(12.5)
        float[] y = RmsNorm.reference(new float[]{3, 4}, new float[]{1, 2}, 1, 2, 0f);
        assertEquals(3 / Math.sqrt(12.5), y[0], 1e-6);
        assertEquals(8 / Math.sqrt(12.5), y[1], 1e-6);
        float[] v = MatVecF32.reference(new float[]{1, 2, 3, 4, 5, 6}, new float[]{1, 0, -1}, 2, 3);
        assertEquals(-2f, v[0]);
        assertEquals(-2f, v[1]);
    }

    @Test
    void gridFoldsPastTheDimensionLimit() {
        var limits = new dev.rullama.api.DeviceLimits(1, 1, 1, 1, 1, 1, 65535, 256, 1);
        assertEquals(new Grid(100, 1, 1), Grid.fold(100, limits));
        Grid g = Grid.fold(262144, limits);
        assertTrue((long) g.x() * g.y() >= 262144 && g.x() <= 65535 && g.y() <= 65535, g.toString());
    }
}
