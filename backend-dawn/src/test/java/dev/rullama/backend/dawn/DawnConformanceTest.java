package dev.rullama.backend.dawn;

import dev.rullama.api.Backend;
import dev.rullama.shaders.conformance.KernelConformanceSuite;

/** The shared kernel conformance suite on Dawn. */
class DawnConformanceTest extends KernelConformanceSuite {
    @Override
    protected Backend backend() { return new DawnBackend(); }
}
