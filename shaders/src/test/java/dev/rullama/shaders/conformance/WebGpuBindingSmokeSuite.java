package dev.rullama.shaders.conformance;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.ShaderCompileException;
import dev.rullama.api.Tensor;
import dev.rullama.api.webgpu.WebGpuBackend;
import dev.rullama.shaders.MatVecF32;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * For backends built on a generated {@code webgpu.h} binding: drives one device through its whole life (create,
 * upload, compile, a failing compile, bind, dispatch, copy, clear, read back, free, close) with call counting on,
 * and requires that every function the binding declares was called at least once on the real library. A binding
 * whose header has drifted from its library then fails here, loudly, instead of in a user's session.
 */
public abstract class WebGpuBindingSmokeSuite {
    /** A fresh backend instance (it loads the library with call counting on). */
    protected abstract WebGpuBackend freshBackend();

    @Test
    void everyBoundFunctionRunsOnTheRealLibrary() throws Exception {
        String previous = System.setProperty("rullama.webgpu.countCalls", "true");
        WebGpuBackend backend;
        try {
            backend = freshBackend();
            backend.api(); // loads with counting on
        } finally {
            if (previous == null) System.clearProperty("rullama.webgpu.countCalls");
            else System.setProperty("rullama.webgpu.countCalls", previous);
        }
        try (Device device = backend.open(DeviceOptions.defaults())) {
            Tensor params = device.upload("params", MatVecF32.params(2, 3));
            Tensor w = device.upload("w", new float[]{1, 2, 3, 4, 5, 6});
            Tensor x = device.upload("x", new float[]{1, 1, 1});
            Tensor y = device.createTensor("y", DType.F32, 2);
            Tensor copy = device.createTensor("copy", DType.F32, 2);
            BoundKernel k = device.bind(device.compile(MatVecF32.spec(64)), params, w, x, y);
            try (CommandBatch batch = device.newBatch()) {
                batch.clear(copy).dispatch(k, 2, 1, 1).copy(y, copy);
                batch.submitAndWait();
            }
            assertArrayEquals(new float[]{6, 15}, device.readFloats(copy));
            KernelSpec bad = new KernelSpec("bad", "fn main( {", "main", Map.of(), List.of());
            assertThrows(ShaderCompileException.class, () -> device.compile(bad));
            k.close();
            y.close();
        }
        try (Device doomed = backend.open(DeviceOptions.defaults())) {
            Tensor t = doomed.upload("t", new float[]{1, 2, 3, 4});
            WebGpuBackend.loseDevice(doomed);
            dev.rullama.api.GpuException lost = assertThrows(dev.rullama.api.GpuException.class, () -> doomed.readFloats(t));
            System.out.println("[smoke] backend=" + backend.name() + " after device loss: " + lost.getMessage());
            assertTrue(lost.getMessage().contains("device lost"), lost.getMessage());
        }
        try (Device d = backend.open(DeviceOptions.defaults())) {
            long base = d.allocatedBytes();
            Tensor a = d.createTensor("a", DType.U8, 1001); // rounded up to whole words
            assertEquals(base + 1004, d.allocatedBytes(), "a tensor's buffer is counted");
            a.window(0, DType.U8, 4).close(); // windows own nothing
            assertEquals(base + 1004, d.allocatedBytes());
            d.read(a); // the readback staging buffer is device memory too
            long withStaging = d.allocatedBytes();
            assertTrue(withStaging >= base + 1004 + 1004, "staging counted: " + withStaging);
            a.close();
            a.close();
            assertEquals(withStaging - 1004, d.allocatedBytes(), "a closed tensor is no longer counted, once");
            assertEquals(withStaging, d.peakAllocatedBytes(), "the peak stays");
        }
        Map<String, Long> counts = backend.api().callCounts();
        assertEquals(backend.header().functions().keySet(), counts.keySet());
        TreeSet<String> never = new TreeSet<>();
        counts.forEach((fn, n) -> { if (n == 0) never.add(fn); });
        System.out.printf("[smoke] backend=%s: %d of %d bound functions called on the real library%n",
                backend.name(), counts.size() - never.size(), counts.size());
        assertTrue(never.isEmpty(), "bound but never called: " + never);
    }
}
