package dev.rullama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rullama.api.Availability;
import dev.rullama.api.Backend;
import dev.rullama.api.Backends;
import dev.rullama.api.Device;
import dev.rullama.api.DeviceLimits;
import dev.rullama.api.DeviceOptions;
import dev.rullama.api.RullamaException;
import dev.rullama.api.webgpu.VulkanEnvironment;
import jakarta.inject.Inject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rullama backends}: every backend, whether it can run here, and what adapter it gets. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = {"List the GPU backends, whether each is available (or why not), and the adapter, limits and features each gets.",
                "Exits 1 when no backend is available."})
final class BackendsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--no-open", description = "Only check that libraries are present; do not open devices.")
    boolean noOpen;

    @Spec
    CommandSpec spec;

    private final Backends backends;
    private final ObjectMapper mapper;

    @Inject
    BackendsCommand(Backends backends, ObjectMapper mapper) {
        this.backends = backends;
        this.mapper = mapper;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean any = false;
        for (Backend b : backends.all()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", b.name());
            row.put("description", b.description());
            Availability a = b.probe();
            row.put("library", a.available() ? a.detail() : null);
            if (!a.available()) {
                row.put("available", false);
                row.put("reason", a.detail());
            } else if (noOpen) {
                row.put("available", true);
                any = true;
            } else {
                try (Device d = b.open(DeviceOptions.defaults())) {
                    row.put("available", true);
                    row.put("adapter", d.adapter());
                    row.put("limits", d.limits());
                    row.put("features", d.features());
                    any = true;
                } catch (RullamaException e) {
                    row.put("available", false);
                    row.put("reason", Errors.oneLine(e));
                }
            }
            rows.add(row);
        }
        String vulkan = VulkanEnvironment.prepare();
        String auto;
        try {
            auto = backends.select("auto").name();
        } catch (RullamaException e) {
            auto = null;
        }
        if (json) {
            out.println(mapper.writeValueAsString(Map.of("backends", rows, "vulkan", vulkan, "auto", String.valueOf(auto))));
        } else {
            for (Map<String, Object> r : rows) print(out, r);
            out.println("vulkan      " + vulkan);
            out.println("auto        " + (auto == null ? "(none available)" : auto) + "   (choose with --backend=NAME or RULLAMA_BACKEND)");
        }
        out.flush();
        return any ? 0 : 1;
    }

    private static void print(PrintWriter out, Map<String, Object> r) {
        boolean ok = Boolean.TRUE.equals(r.get("available"));
        out.printf("%-11s %s%n", r.get("name"), ok ? "available    " + r.get("library") : "UNAVAILABLE  " + r.get("reason"));
        out.printf("%-11s %s%n", "", r.get("description"));
        if (r.get("adapter") instanceof dev.rullama.api.AdapterInfo ad) {
            out.printf("%-11s adapter  %s (%s, %s; vendor %s, %s; subgroup %d-%d)%n", "", ad.displayName(), ad.type(), ad.api(),
                    ad.vendor(), ad.description(), ad.subgroupMinSize(), ad.subgroupMaxSize());
            DeviceLimits l = (DeviceLimits) r.get("limits");
            out.printf("%-11s limits   storage binding %s, buffer %s, %d storage buffers/stage, workgroup memory %s, "
                            + "%d invocations/workgroup, %d workgroups/dimension%n", "", bytes(l.maxStorageBufferBindingSize()),
                    bytes(l.maxBufferSize()), l.maxStorageBuffersPerShaderStage(), bytes(l.maxComputeWorkgroupStorageSize()),
                    l.maxComputeInvocationsPerWorkgroup(), l.maxComputeWorkgroupsPerDimension());
            out.printf("%-11s features %s%n", "", r.get("features").toString().replaceAll("[\\[\\]]", ""));
        }
    }

    static String bytes(long n) {
        if (n >= (1L << 30) && n % (1L << 30) == 0) return (n >> 30) + " GiB";
        if (n >= (1L << 30)) return String.format("%.1f GiB", n / (double) (1L << 30));
        if (n >= (1L << 20)) return (n >> 20) + " MiB";
        if (n >= (1L << 10)) return (n >> 10) + " KiB";
        return n + " B";
    }
}
