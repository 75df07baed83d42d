package dev.rullama.gemma.gpu;

import dev.rullama.api.DeviceLimits;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The prefill chunk rule ({@link GpuLanguageModel#chunkFor}): default, capped by one storage binding, the property. */
class PrefillChunkTest {
    private static DeviceLimits limits(long binding, long buffer) {
        return new DeviceLimits(binding, buffer, 10, 32768, 1024, 1024, 65535, 256, 65536);
    }

    @Test
    void defaultUnlessTheAllPositionsLogitsWouldNotFitOneBinding() {
        String old = System.clearProperty(GpuLanguageModel.CHUNK_PROPERTY);
        try {
            // an H200 through Dawn: 4 GiB bindings; Gemma's 262144-token vocabulary
            assertEquals(GpuLanguageModel.DEFAULT_CHUNK, GpuLanguageModel.chunkFor(262144, limits(4L << 30, 1L << 40)));
            // lavapipe: 128 MiB bindings hold 128 rows of 262144 floats
            assertEquals(128, GpuLanguageModel.chunkFor(262144, limits(128L << 20, 4L << 30)));
            // the buffer limit counts too; never below one token
            assertEquals(64, GpuLanguageModel.chunkFor(262144, limits(4L << 30, 64L << 20)));
            assertEquals(1, GpuLanguageModel.chunkFor(262144, limits(1024, 1024)));
        } finally {
            if (old != null) System.setProperty(GpuLanguageModel.CHUNK_PROPERTY, old);
        }
    }

    @Test
    void propertySetsItWithinBounds() {
        String old = System.getProperty(GpuLanguageModel.CHUNK_PROPERTY);
        try {
            System.setProperty(GpuLanguageModel.CHUNK_PROPERTY, "64");
            assertEquals(64, GpuLanguageModel.chunkFor(512, limits(128L << 20, 4L << 30)));
            System.setProperty(GpuLanguageModel.CHUNK_PROPERTY, "1024");
            assertEquals(128, GpuLanguageModel.chunkFor(262144, limits(128L << 20, 4L << 30)), "still capped by the binding");
            for (String bad : new String[]{"0", "-3", "1025", "lots"}) {
                System.setProperty(GpuLanguageModel.CHUNK_PROPERTY, bad);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GpuLanguageModel.chunkFor(512, limits(128L << 20, 4L << 30)));
                assertTrue(e.getMessage().contains(GpuLanguageModel.CHUNK_PROPERTY) && e.getMessage().contains(bad), e.getMessage());
            }
        } finally {
            if (old == null) System.clearProperty(GpuLanguageModel.CHUNK_PROPERTY);
            else System.setProperty(GpuLanguageModel.CHUNK_PROPERTY, old);
        }
    }
}
