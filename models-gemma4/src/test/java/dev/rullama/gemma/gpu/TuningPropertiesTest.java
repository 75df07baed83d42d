package dev.rullama.gemma.gpu;

import dev.rullama.api.DeviceLimits;
import org.junit.jupiter.api.Test;

import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GPU tuning properties other than the chunk ({@link PrefillChunkTest}): defaults, values, one-line errors. */
class TuningPropertiesTest {
    private static final DeviceLimits LIMITS = new DeviceLimits(128L << 20, 4L << 30, 10, 32768, 1024, 1024, 65535, 256, 65536);

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
