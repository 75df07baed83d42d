package dev.rullama.shaders.quant;

import dev.rullama.api.Availability;
import dev.rullama.api.Backend;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.shaders.conformance.CaseReport;
import dev.rullama.shaders.conformance.ConformanceHarness;
import dev.rullama.shaders.conformance.QuantMatVecCases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The quantized matrix kernels' conformance cases ({@link QuantMatVecCases#all()}) and windowed checks
 * ({@link QuantMatVecCases#windowed()}) on one backend: extend it in the backend's tests. Seeded like the main
 * suite ({@code -Drullama.conformance.seed} replays a run).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class QuantKernelsSuite {
    private Device device;
    private ConformanceHarness harness;
    private long seed;

    protected abstract Backend backend();

    @BeforeAll
    void openDevice() throws Exception {
        Backend b = backend();
        Availability a = b.probe();
        if (!a.available()) fail("backend " + b.name() + " is unavailable: " + a.detail());
        device = b.open(DeviceOptions.defaults());
        harness = new ConformanceHarness(device);
        seed = Long.getLong("rullama.conformance.seed", System.nanoTime());
        System.out.printf("[conformance] backend=%s adapter='%s' limits=%s seed=%d%n", b.name(), device.adapter().displayName(),
                device.limits(), seed);
    }

    @AfterAll
    void closeDevice() {
        if (device != null) device.close();
    }

    @TestFactory
    Stream<DynamicTest> quantizedKernelsMatchTheirReference() {
        return QuantMatVecCases.all().stream().map(c -> DynamicTest.dynamicTest(c.kernel() + " " + c.shape(), () -> {
            CaseReport r = harness.run(c, new Random(seed ^ (c.kernel() + c.shape()).hashCode()));
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }));
    }

    @TestFactory
    Stream<DynamicTest> windowedWeightsMatchTheirReference() {
        return QuantMatVecCases.windowed().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
            CaseReport r = c.run(device, new Random(seed ^ c.name().hashCode()));
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }));
    }
}
