package dev.rullama.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything needed to compile a WGSL compute kernel: source, entry point, pipeline-overridable constants and the
 * declared bindings of {@code @group(0)}, in binding order. Two equal specs compile to the same cached pipeline.
 */
public record KernelSpec(String name, String wgsl, String entryPoint, Map<String, Double> constants, List<Binding> bindings) {
    /** One {@code @group(0) @binding(index)} resource. */
    public record Binding(int index, String name, Access access) {}

    public KernelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(wgsl, "wgsl");
        Objects.requireNonNull(entryPoint, "entryPoint");
        constants = Map.copyOf(constants);
        bindings = List.copyOf(bindings);
        for (int i = 0; i < bindings.size(); i++)
            if (bindings.get(i).index() != i)
                throw new IllegalArgumentException(name + ": bindings must be numbered 0.." + (bindings.size() - 1) + " in order");
    }

    /** The same kernel with other override constants (e.g. another tile size). */
    public KernelSpec withConstants(Map<String, Double> newConstants) {
        return new KernelSpec(name, wgsl, entryPoint, newConstants, bindings);
    }
}
