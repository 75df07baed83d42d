package dev.rullama.gemma.gpu;

import dev.rullama.api.DeviceLimits;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU tuning properties: defaults, values, one-line errors; and the prefill chunk rule ({@link GpuLanguageModel#chunkFor}). */
class TuningPropertiesTest {
    private static final DeviceLimits LIMITS = limits(128L << 20, 4L << 30);

    private static DeviceLimits limits(long binding, long buffer) {
        return new DeviceLimits(binding, buffer, 10, 32768, 1024, 1024, 65535, 256, 65536);
    }

    private static <T> T with(String property, String value, Supplier<T> read) {
        String old = System.getProperty(property);
        try {
            if (value == null) System.clearProperty(property);
            else System.setProperty(property, value);
            return read.get();
        } finally {
            if (old == null) System.clearProperty(property);
            else System.setProperty(property, old);
        }
    }

    private static void rejects(String property, String value, Supplier<?> read) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with(property, value, read));
        assertTrue(e.getMessage().startsWith("-D" + property + "=" + value + ": expected"), e.getMessage());
    }

    @Test
    void chunkIsTheDefaultUnlessTheAllPositionsLogitsWouldNotFitOneBinding() {
        String p = GpuLanguageModel.CHUNK_PROPERTY;
        // an H200 through Dawn: 4 GiB bindings; Gemma's 262144-token vocabulary
        assertEquals(GpuLanguageModel.DEFAULT_CHUNK, with(p, null, () -> GpuLanguageModel.chunkFor(262144, limits(4L << 30, 1L << 40))));
        // lavapipe: 128 MiB bindings hold 128 rows of 262144 floats
        assertEquals(128, with(p, null, () -> GpuLanguageModel.chunkFor(262144, LIMITS)));
        // the buffer limit counts too; never below one token
        assertEquals(64, with(p, null, () -> GpuLanguageModel.chunkFor(262144, limits(4L << 30, 64L << 20))));
        assertEquals(1, with(p, null, () -> GpuLanguageModel.chunkFor(262144, limits(1024, 1024))));
    }

    @Test
    void chunkPropertySetsItWithinBounds() {
        String p = GpuLanguageModel.CHUNK_PROPERTY;
        assertEquals(64, with(p, "64", () -> GpuLanguageModel.chunkFor(512, LIMITS)));
        assertEquals(128, with(p, "1024", () -> GpuLanguageModel.chunkFor(262144, LIMITS)), "still capped by the binding");
        for (String bad : new String[]{"0", "-3", "1025", "lots"}) rejects(p, bad, () -> GpuLanguageModel.chunkFor(512, LIMITS));
    }

    @Test
    void submitEvery() {
        String p = ForwardPass.SUBMIT_EVERY_PROPERTY;
        assertEquals(ForwardPass.DEFAULT_SUBMIT_EVERY, with(p, null, ForwardPass::submitEvery));
        assertEquals(0, with(p, "0", ForwardPass::submitEvery));
        assertEquals(128, with(p, " 128 ", ForwardPass::submitEvery));
        rejects(p, "-5", ForwardPass::submitEvery);
        rejects(p, "many", ForwardPass::submitEvery);
    }

    @Test
    void expertPath() {
        String p = ForwardPass.EXPERTS_PROPERTY;
        assertTrue(with(p, null, ForwardPass::expertsById));
        assertTrue(with(p, "by-id", ForwardPass::expertsById));
        assertFalse(with(p, "all", ForwardPass::expertsById));
        rejects(p, "auto", ForwardPass::expertsById);
    }

    @Test
    void memoryBudget() {
        String p = GpuLanguageModel.BUDGET_PROPERTY;
        assertEquals(GpuLanguageModel.DEFAULT_BUFFERS * (4L << 30), with(p, null, () -> GpuLanguageModel.budgetBytes(LIMITS)));
        assertEquals(1L << 30, with(p, "1073741824", () -> GpuLanguageModel.budgetBytes(LIMITS)));
        rejects(p, "abc", () -> GpuLanguageModel.budgetBytes(LIMITS));
        rejects(p, "0", () -> GpuLanguageModel.budgetBytes(LIMITS));
    }
}
