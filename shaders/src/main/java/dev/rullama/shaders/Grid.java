package dev.rullama.shaders;

import dev.rullama.api.DeviceLimits;

/**
 * Folds a one-dimensional count of workgroups into (x, y), since one dispatch dimension holds at most
 * {@code maxComputeWorkgroupsPerDimension} (65535 on every adapter seen) workgroups. Kernels recover the index as
 * {@code wid.x + wid.y * num_workgroups.x} and skip indices past the real count.
 */
public record Grid(int x, int y, int z) {
    public static Grid fold(long workgroups, DeviceLimits limits) {
        int max = limits.maxComputeWorkgroupsPerDimension();
        if (workgroups <= 0) throw new IllegalArgumentException("a dispatch needs at least one workgroup, not " + workgroups);
        if (workgroups <= max) return new Grid((int) workgroups, 1, 1);
        long y = (workgroups + max - 1) / max;
        if (y > max) throw new IllegalArgumentException(workgroups + " workgroups do not fit a " + max + "x" + max + " grid");
        int x = (int) ((workgroups + y - 1) / y);
        return new Grid(x, (int) y, 1);
    }
}
