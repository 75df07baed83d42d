package dev.rullama.shaders.conformance;

import dev.rullama.api.Availability;
import dev.rullama.api.Backend;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

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
}
