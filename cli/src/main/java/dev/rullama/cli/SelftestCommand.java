package dev.rullama.cli;

import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceOptions;
import dev.rullama.shaders.conformance.CaseReport;
import dev.rullama.shaders.conformance.ConformanceHarness;
import dev.rullama.shaders.conformance.KernelCase;
import dev.rullama.shaders.conformance.StandardCases;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;

/** {@code rullama selftest}: runs every kernel on the GPU against its Java reference, like the conformance suite. */
@Command(name = "selftest", mixinStandardHelpOptions = true,
        description = {"Run every WGSL kernel on the chosen backend with fresh random inputs and compare it with its Java reference.",
                "Prints one line per case (backend, kernel, shape, error, tolerance) and exits 1 if any case fails."})
final class SelftestCommand implements Callable<Integer> {
    @Option(names = "--backend", paramLabel = "NAME",
            description = "dawn, wgpu, auto (default: $RULLAMA_BACKEND, else auto) or all (every available backend).")
    String backend;

    @Option(names = "--seed", description = "Seed for the random inputs (default: time-based, printed).")
    Long seed;

    @Spec
    CommandSpec spec;

    private final Backends backends;

    @Inject
    SelftestCommand(Backends backends) {
        this.backends = backends;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Backend> chosen = new ArrayList<>();
        if ("all".equalsIgnoreCase(backend)) {
            for (Backend b : backends.all()) if (!b.hidden() && b.probe().available()) chosen.add(b);
            if (chosen.isEmpty()) chosen.add(backends.select("auto")); // raises the error that lists why
        } else {
            chosen.add(backends.select(backend));
        }
        long s = seed != null ? seed : System.nanoTime();
        int passed = 0, failed = 0;
        for (Backend b : chosen) {
            try (Device d = b.open(DeviceOptions.defaults())) {
                out.printf("selftest: backend=%s adapter='%s' (%s, %s) seed=%d%n", b.name(), d.adapter().displayName(),
                        d.adapter().type(), d.adapter().api(), s);
                if ("CPU".equals(d.adapter().type())) out.println("selftest: note: this adapter is a CPU rasterizer (no GPU found): correct but slow");
                out.flush();
                ConformanceHarness h = new ConformanceHarness(d);
                for (KernelCase c : StandardCases.all()) {
                    CaseReport r = h.run(c, new Random(s ^ c.shape().hashCode()));
                    out.println(r.line());
                    out.flush();
                    if (r.passed()) passed++;
                    else failed++;
                }
            }
        }
        out.printf("selftest: %d passed, %d failed%n", passed, failed);
        return failed == 0 ? 0 : 1;
    }
}
