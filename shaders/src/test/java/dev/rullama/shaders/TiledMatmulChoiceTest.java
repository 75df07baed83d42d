package dev.rullama.shaders;

import dev.rullama.api.DeviceLimits;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which prefill kernel {@link QuantMatVec#bindMatmul} takes: by the adapter's workgroup memory, or the property. */
class TiledMatmulChoiceTest {
    private static DeviceLimits workgroupMemory(int bytes) {
        return new DeviceLimits(128L << 20, 4L << 30, 10, bytes, 1024, 1024, 65535, 256, 65536);
    }

    @Test
    void byWorkgroupMemoryOrTheProperty() {
        String old = System.clearProperty(QuantMatVec.MATMUL_PROPERTY);
        try {
            assertFalse(QuantMatVec.tiledMatmul(workgroupMemory(16384)), "WebGPU's default 16 KiB: the portable kernel");
            assertTrue(QuantMatVec.tiledMatmul(workgroupMemory(32768)), "lavapipe's 32 KiB");
            assertTrue(QuantMatVec.tiledMatmul(workgroupMemory(49152)), "an H200's 48 KiB");
            System.setProperty(QuantMatVec.MATMUL_PROPERTY, "simple");
            assertFalse(QuantMatVec.tiledMatmul(workgroupMemory(49152)));
            System.setProperty(QuantMatVec.MATMUL_PROPERTY, "tiled");
            assertTrue(QuantMatVec.tiledMatmul(workgroupMemory(49152)));
            System.setProperty(QuantMatVec.MATMUL_PROPERTY, "fast");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantMatVec.tiledMatmul(workgroupMemory(49152)));
            assertTrue(e.getMessage().contains(QuantMatVec.MATMUL_PROPERTY + "=fast"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty(QuantMatVec.MATMUL_PROPERTY);
            else System.setProperty(QuantMatVec.MATMUL_PROPERTY, old);
        }
    }
}
