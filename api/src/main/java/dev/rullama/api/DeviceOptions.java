package dev.rullama.api;

/**
 * How to open a device.
 *
 * @param validateDispatches check for GPU errors after every submit instead of at readback (slower; a debug switch)
 * @param requestFeatures   request {@code shader-f16} and {@code subgroups} when the adapter has them
 */
public record DeviceOptions(boolean validateDispatches, boolean requestFeatures) {
    public static DeviceOptions defaults() { return new DeviceOptions(false, true); }
}
