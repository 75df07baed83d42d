package dev.rullama.shaders.quant;

import dev.rullama.api.DeviceLimits;
import dev.rullama.gguf.GgmlType;
import dev.rullama.shaders.QuantMatVec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantMatVecPlanTest {
    static DeviceLimits limits(long binding, int align) {
        return new DeviceLimits(binding, 1L << 40, 10, 49152, 1024, 1024, 65535, align, 65536);
    }

    static final DeviceLimits LAVAPIPE = limits(128L << 20, 32);
    static final DeviceLimits DAWN_H200 = limits((4L << 30) - 1, 16);
    static final DeviceLimits WGPU_H200 = limits((2L << 30) - 4, 32);

    /** Windows tile the rows in order, start on aligned bytes at row starts, and fit the binding and 1 GiB. */
    static void checkPlan(GgmlType type, long rows, long cols, DeviceLimits l, List<RowWindow> plan) {
        long rowBytes = QuantMatVec.rowBytes(type, cols);
        long cap = Math.min(l.maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES);
        long next = 0;
        for (RowWindow w : plan) {
            assertEquals(next, w.firstRow());
            assertEquals(w.firstRow() * rowBytes, w.byteOffset());
            assertEquals(w.rows() * rowBytes, w.byteSize());
            assertEquals(0, w.byteOffset() % l.minStorageBufferOffsetAlignment(), "aligned window start");
            assertTrue(w.words() * 4 <= cap, "window fits the binding: " + w);
            assertTrue(w.rows() > 0);
            next += w.rows();
        }
        assertEquals(rows, next);
    }

    @Test
    void aTensorThatFitsIsOneWindow() {
        List<RowWindow> plan = QuantMatVec.plan(GgmlType.Q4_K, 10240, 2560, LAVAPIPE);
        assertEquals(List.of(new RowWindow(0, 10240, 0, 10240L * 1440)), plan);
        // a final partial word is bound whole
        RowWindow odd = QuantMatVec.plan(GgmlType.MXFP4, 3, 32, LAVAPIPE).getFirst();
        assertEquals(51, odd.byteSize());
        assertEquals(13, odd.words());
    }

    @Test
    void gemmasOutputHeadIsWindowedOnLavapipeButNotOnTheH200() {
        // token_embd as the tied output head: Q6_K [262144][2560] = 550 MB; E4B-size; 31B-size [262144][5376] = 1.15 GB
        for (long cols : new long[]{1536, 2560, 5376}) {
            for (DeviceLimits l : List.of(LAVAPIPE, DAWN_H200, WGPU_H200)) {
                List<RowWindow> plan = QuantMatVec.plan(GgmlType.Q6_K, 262144, cols, l);
                checkPlan(GgmlType.Q6_K, 262144, cols, l, plan);
                long bytes = 262144 * QuantMatVec.rowBytes(GgmlType.Q6_K, cols);
                long expected = (bytes + Math.min(l.maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES) - 1)
                        / Math.min(l.maxStorageBufferBindingSize(), QuantMatVec.MAX_WINDOW_BYTES);
                assertTrue(plan.size() >= expected && plan.size() <= expected + 1, cols + " " + l + ": " + plan.size());
            }
        }
        assertEquals(1, QuantMatVec.plan(GgmlType.Q6_K, 262144, 2560, DAWN_H200).size());
        assertEquals(2, QuantMatVec.plan(GgmlType.Q6_K, 262144, 5376, DAWN_H200).size(), "1.15 GB > 1 GiB even where 4 GiB is allowed");
    }

    @Test
    void windowBoundariesFollowTheRowGranule() {
        // 17-byte rows: only every 256th row (lavapipe aligns to 32 bytes: every 32nd) starts on an aligned byte
        DeviceLimits small = limits(6000, 256);
        List<RowWindow> plan = QuantMatVec.plan(GgmlType.MXFP4, 601, 32, small);
        checkPlan(GgmlType.MXFP4, 601, 32, small, plan);
        assertEquals(List.of(256L, 256L, 89L), plan.stream().map(RowWindow::rows).toList());
        // 288-byte Q4_K rows of 512: gcd(288, 256) = 32, so multiples of 8 rows
        plan = QuantMatVec.plan(GgmlType.Q4_K, 100, 512, limits(4096, 256));
        checkPlan(GgmlType.Q4_K, 100, 512, limits(4096, 256), plan);
        assertTrue(plan.stream().limit(plan.size() - 1).allMatch(w -> w.rows() == 8));
        // F16 with an odd width: 514-byte rows
        plan = QuantMatVec.plan(GgmlType.F16, 300, 257, limits(70_000, 256));
        checkPlan(GgmlType.F16, 300, 257, limits(70_000, 256), plan);
        assertEquals(3, plan.size());
    }

    @Test
    void aGranuleLargerThanTheBindingIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantMatVec.plan(GgmlType.MXFP4, 1000, 32, limits(2048, 256)));
        assertTrue(e.getMessage().contains("256 rows"), e.getMessage());
    }

    @Test
    void rowsMustBeWholeBlocks() {
        assertThrows(IllegalArgumentException.class, () -> QuantMatVec.plan(GgmlType.Q4_K, 4, 300, LAVAPIPE));
        assertEquals(514, QuantMatVec.rowBytes(GgmlType.F16, 257), "plain types take any width");
    }
}
