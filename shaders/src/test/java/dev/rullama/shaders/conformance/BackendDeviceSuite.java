package dev.rullama.shaders.conformance;

import dev.rullama.api.Availability;
import dev.rullama.api.Backend;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What every suite that judges a backend shares: one device per test class on the backend under test (an
 * unavailable backend fails the suite rather than skipping it) and one random seed per run, printed so that
 * {@code -Drullama.conformance.seed} replays it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendDeviceSuite {
    private Device device;
    private long seed;

    /** The backend under test. */
    protected abstract Backend backend();

    /** The tag of this suite's report lines, e.g. {@code conformance}. */
    protected String tag() { return "conformance"; }

    @BeforeAll
    void openDevice() throws Exception {
        Backend b = backend();
        Availability a = b.probe();
        if (!a.available()) fail("backend " + b.name() + " is unavailable: " + a.detail());
        device = b.open(DeviceOptions.defaults());
        seed = Long.getLong("rullama.conformance.seed", System.nanoTime());
        System.out.printf("[%s] backend=%s adapter='%s' type=%s api=%s features=%s limits=%s seed=%d%n", tag(), b.name(),
                device.adapter().displayName(), device.adapter().type(), device.adapter().api(), device.features(),
                device.limits(), seed);
    }

    @AfterAll
    void closeDevice() {
        if (device != null) device.close();
    }

    protected Device device() { return device; }

    protected long seed() { return seed; }

    /**
     * One dynamic test per case, run by a {@link ConformanceHarness} on this suite's device with inputs seeded by the
     * run's seed and the case's kernel and shape; each prints its report line and fails unless the case passed.
     */
    protected Stream<DynamicTest> harnessTests(List<? extends KernelCase> cases) {
        ConformanceHarness harness = new ConformanceHarness(device);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.kernel() + " " + c.shape(), () -> {
            CaseReport r = harness.run(c, new Random(seed ^ (c.kernel() + " " + c.shape()).hashCode()));
            System.out.println(r.line());
            assertTrue(r.passed(), r.line());
        }));
    }
}
