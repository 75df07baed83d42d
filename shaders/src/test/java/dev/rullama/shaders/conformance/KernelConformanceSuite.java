package dev.rullama.shaders.conformance;

import dev.rullama.api.BoundKernel;
import dev.rullama.api.CommandBatch;
import dev.rullama.api.DType;
import dev.rullama.api.Device;
import dev.rullama.api.KernelSpec;
import dev.rullama.api.ShaderCompileException;
import dev.rullama.api.Tensor;
import dev.rullama.shaders.MatVecF32;
import dev.rullama.shaders.RmsNorm;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conformance suite every backend runs, a third party's too: extend this class in the backend's tests and
 * return the backend. Each case uses fresh random inputs (seeded per case and printed, so a failure can be
 * replayed with {@code -Drullama.conformance.seed}), poisoned outputs and guards, and prints one report line.
 * An unavailable backend fails the suite rather than skipping it.
 */
public abstract class KernelConformanceSuite extends BackendDeviceSuite {
    private Device device;
    private ConformanceHarness harness;
    private long seed;

    @BeforeAll
    void openHarness() {
        device = device();
        harness = new ConformanceHarness(device);
        seed = seed();
    }

    @TestFactory
    Stream<DynamicTest> everyKernelMatchesItsReference() {
        return harnessTests(StandardCases.all());
    }

    /** A broken variant of a real kernel: the same source with one line changed. */
    private static KernelSpec broken(KernelSpec spec, String from, String to) {
        assertTrue(spec.wgsl().contains(from), "test setup: '" + from + "' is not in " + spec.name());
        return new KernelSpec(spec.name() + "_broken", spec.wgsl().replace(from, to), spec.entryPoint(), spec.constants(), spec.bindings());
    }

    @Test
    void poisoningCatchesAnOutOfBoundsRead() throws Exception {
        KernelCase c = StandardCases.matVec(9, 100, 64);
        CaseReport r = harness.run(c, broken(c.spec(), "c < p.cols", "c <= p.cols"), new Random(seed));
        System.out.println(r.line() + " (expected FAIL: reads one element past x)");
        assertFalse(r.passed(), "reading past the end of x must spoil the output");
    }

    @Test
    void poisoningCatchesAnOutOfBoundsWrite() throws Exception {
        KernelCase c = StandardCases.rmsNorm(2, 100, true, 64);
        CaseReport r = harness.run(c, broken(c.spec(), "y[base + i] = v;", "y[base + i] = v; y[p.rows * p.n + i] = v;"), new Random(seed));
        System.out.println(r.line() + " (expected FAIL: writes past the end of y)");
        assertFalse(r.passed());
        assertTrue(r.guardWordsClobbered() > 0, "the guard after y must be clobbered");
    }

    @Test
    void poisoningCatchesAnUnwrittenOutput() throws Exception {
        KernelCase c = StandardCases.matVec(5, 64, 64);
        CaseReport r = harness.run(c, broken(c.spec(), "if (row >= p.rows) {", "if (row + 1u >= p.rows) {"), new Random(seed));
        System.out.println(r.line() + " (expected FAIL: skips the last row)");
        assertFalse(r.passed());
        assertEquals(1, r.poisonedOutputs());
    }

    @Test
    void brokenWgslRaisesLineAndColumn() {
        String src = "@group(0) @binding(0) var<storage, read_write> y: array<f32>;\n"
                + "@compute @workgroup_size(1)\n"
                + "fn main() {\n"
                + "    let x: f32 = 1u;\n"
                + "    y[0] = x;\n"
                + "}\n";
        KernelSpec bad = new KernelSpec("bad_type", src, "main", Map.of(),
                List.of(new KernelSpec.Binding(0, "y", dev.rullama.api.Access.READ_WRITE)));
        ShaderCompileException e = assertThrows(ShaderCompileException.class, () -> device.compile(bad));
        System.out.println("[conformance] backend=" + device.backendName() + " compile error: " + e.getMessage());
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.column() > 0, e.getMessage());
        // the device is still usable afterwards
        CaseReport r = assertDoesNotThrowReport(StandardCases.rmsNorm(1, 8, true, 64));
        assertTrue(r.passed(), r.line());
    }

    private CaseReport assertDoesNotThrowReport(KernelCase c) {
        try {
            return harness.run(c, new Random(seed));
        } catch (Exception e) {
            throw new AssertionError("device unusable after a compile error", e);
        }
    }

    @Test
    void oversizedDispatchIsRejectedBeforeTheGpu() throws Exception {
        try (Tensor params = device.upload("params", MatVecF32.params(1, 1)); Tensor w = device.upload("w", new float[]{1});
             Tensor x = device.upload("x", new float[]{1}); Tensor y = device.createTensor("y", DType.F32, 1);
             BoundKernel k = device.bind(device.compile(MatVecF32.spec(64)), params, w, x, y);
             CommandBatch batch = device.newBatch()) {
            int tooMany = device.limits().maxComputeWorkgroupsPerDimension() + 1;
            assertThrows(IllegalArgumentException.class, () -> batch.dispatch(k, tooMany, 1, 1));
        }
    }

    @Test
    void writableAliasingIsRejectedBeforeTheGpu() throws Exception {
        try (Tensor p = device.upload("params", RmsNorm.params(4, 1, 1e-6f)); Tensor x = device.upload("x", new float[]{1, 2, 3, 4})) {
            var kernel = device.compile(RmsNorm.spec(true, 64));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> device.bind(kernel, p, x, x, x));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }
    }

    @Test
    void wrongBindingCountIsRejected() throws Exception {
        try (Tensor x = device.upload("x", new float[]{1, 2, 3, 4})) {
            var kernel = device.compile(RmsNorm.spec(true, 64));
            assertThrows(IllegalArgumentException.class, () -> device.bind(kernel, x, x));
        }
    }

    @Test
    void windowsReadAndWriteTheirOwnBytes() throws Exception {
        int align = Math.max(4, device.limits().minStorageBufferOffsetAlignment()) / 4;
        try (Tensor t = device.createTensor("windowed", DType.F32, 3L * align)) {
            Tensor mid = t.window(4L * align, DType.F32, align);
            float[] values = new float[align];
            for (int i = 0; i < align; i++) values[i] = i + 0.5f;
            device.write(mid, values);
            float[] all = device.readFloats(t);
            for (int i = 0; i < 3 * align; i++)
                assertEquals(i >= align && i < 2 * align ? values[i - align] : 0f, all[i], "element " + i);
            float[] back = device.readFloats(mid);
            assertEquals(values.length, back.length);
            for (int i = 0; i < align; i++) assertEquals(values[i], back[i]);
        }
    }
}
