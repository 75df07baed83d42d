package dev.rullama.api;

/** What the implementation says about the adapter it picked. {@code type} is e.g. DiscreteGPU, IntegratedGPU, CPU. */
public record AdapterInfo(String vendor, String architecture, String device, String description,
                          String api, String type, int vendorId, int deviceId, int subgroupMinSize, int subgroupMaxSize) {
    /** A short human name: the device name, else the description. */
    public String displayName() { return device.isBlank() ? description : device; }
}
