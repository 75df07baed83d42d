package dev.rullama.shaders.quant;

import dev.rullama.api.Device;
import dev.rullama.shaders.conformance.CaseReport;
import dev.rullama.shaders.conformance.ExpertMatVecCases;
import dev.rullama.shaders.conformance.QuantMatVecCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The quantized matrix kernels' conformance cases ({@link QuantMatVecCases#all()}), windowed checks
 * ({@link QuantMatVecCases#windowed()}) and id-indexed expert products ({@link ExpertMatVecCases#all()}) on one backend: extend it in the backend's tests. Seeded like the main
 * suite ({@code -Drullama.conformance.seed} replays a run).
 */
public abstract class QuantKernelsSuite extends dev.rullama.shaders.conformance.BackendDeviceSuite {
    private Device device;
    private long seed;

    @BeforeAll
    void openHarness() {
        device = device();
        seed = seed();
    }

    @TestFactory
    Stream<DynamicTest> quantizedKernelsMatchTheirReference() {
        return harnessTests(QuantMatVecCases.all());
    }

    @TestFactory
    Stream<DynamicTest> expertKernelsMatchTheirReference() {
        return harnessTests(ExpertMatVecCases.all());
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
