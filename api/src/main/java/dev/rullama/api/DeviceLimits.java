package dev.rullama.api;

/** The device limits rullama's kernels depend on (the device is created with the adapter's own limits). */
public record DeviceLimits(long maxStorageBufferBindingSize, long maxBufferSize, int maxStorageBuffersPerShaderStage,
                           int maxComputeWorkgroupStorageSize, int maxComputeInvocationsPerWorkgroup,
                           int maxComputeWorkgroupSizeX, int maxComputeWorkgroupsPerDimension,
                           int minStorageBufferOffsetAlignment, long maxUniformBufferBindingSize) {
}
