package dev.rullama.gemma.gpu;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.Device;
import dev.rullama.api.Tensor;
import dev.rullama.shaders.Grid;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Conformance of the package's private kernel {@code moe_accumulate.wgsl} with {@link MoeAccumulate#reference}, on every backend. */
class MoeAccumulateTest {
    @Test
    void matchesReference() throws Exception {
        Map<String, Device> devs = GpuLanguageModelTest.devices();
        assumeTrue(!devs.isEmpty(), "no GPU backend available");
        int dim = 300, tokens = 5, k = 3, experts = 6;
        Random r = new Random(7);
        int[] ids = new int[tokens * k];
        float[] w = new float[tokens * k], y = new float[tokens * dim], acc0 = new float[tokens * dim];
        for (int t = 0; t < tokens; t++)
            for (int j = 0; j < k; j++) {
                ids[t * k + j] = (t + j * 2) % experts;
                w[t * k + j] = r.nextFloat();
            }
        ids[k] = -1; // an empty slot never matches
        for (int i = 0; i < y.length; i++) {
            y[i] = (float) r.nextGaussian();
            acc0[i] = (float) r.nextGaussian();
        }
        for (Map.Entry<String, Device> e : devs.entrySet()) {
            Device device = e.getValue();
            float[] want = acc0;
            try (Tensor tIds = device.upload("ids", ids); Tensor tW = device.upload("w", w); Tensor tY = device.upload("y", y);
                 Tensor tAcc = device.upload("acc", acc0); Tensor p = device.upload("p", new int[4])) {
                BoundKernel bk = device.bind(device.compile(MoeAccumulate.spec(64)), p, tIds, tW, tY, tAcc);
                for (int ex = 0; ex < experts; ex++) {
                    device.write(p, MoeAccumulate.params(dim, tokens, k, ex));
                    Grid g = Grid.fold(MoeAccumulate.workgroups(dim, tokens, 64), device.limits());
                    CommandBatch b = device.newBatch();
                    b.dispatch(bk, g.x(), g.y(), g.z());
                    b.submitAndWait();
                    want = MoeAccumulate.reference(want, ids, w, y, dim, tokens, k, ex);
                }
                assertArrayEquals(want, device.readFloats(tAcc), 1e-6f, e.getKey());
                bk.close();
            }
        }
    }
}
